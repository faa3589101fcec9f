package textproc

import (
	"bufio"
	"compress/gzip"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
)

// Algorithms Train knows. They all end up as a linear model over sparse
// features, so prediction, confidence and the saved format are shared.
const (
	// AlgoLogReg is multinomial logistic regression on TF-IDF features,
	// trained by SGD with L2 regularisation.
	AlgoLogReg = "logreg"
	// AlgoSVM is a one-vs-rest linear SVM on TF-IDF features, trained by dual
	// coordinate descent.
	AlgoSVM = "svm"
	// AlgoNaiveBayes is multinomial naive Bayes on raw counts.
	AlgoNaiveBayes = "nb"
	// AlgoNBSVM is the SVM on features rescaled by naive-Bayes ratios.
	AlgoNBSVM = "nbsvm"
)

// DefaultAlgorithm is the algorithm Train uses when none is given: the one
// with the best cross-validated accuracy and macro-F1 in
// docs/intelligence.md.
const DefaultAlgorithm = AlgoNBSVM

// modelVersion is written into saved models; LoadModel refuses others.
const modelVersion = 1

// Example is one labelled text for training.
type Example struct {
	Text, Label string
}

// Prediction is a label with the model's confidence in it, in [0,1].
type Prediction struct {
	Label      string
	Confidence float64
}

// TrainOptions tunes Train. The zero value gives the defaults.
type TrainOptions struct {
	Algorithm string // AlgoLogReg, AlgoSVM or AlgoNaiveBayes; "" = DefaultAlgorithm
	Features  FeatureOptions
	// MinDF drops features seen in fewer training documents (default 2).
	MinDF int
	// Epochs of SGD / coordinate descent (default 50 / 40).
	Epochs int
	// Lambda is the L2 strength of logistic regression (default 1e-6).
	Lambda float64
	// C is the SVM's penalty for margin violations (default 1).
	C float64
	// Alpha is naive Bayes' additive smoothing (default 0.2).
	Alpha float64
	// Seed makes training reproducible: the same examples, options and
	// seed give the same model.
	Seed int64
	// ClassWeight, when positive, multiplies the SVM's C for the examples
	// of each one-vs-rest problem's positive class by (n_rest/n_class)^ClassWeight
	// (0: unweighted; 1: fully balanced).
	ClassWeight float64
	// RatioPower raises the NBSVM ratios' magnitudes to this power (0
	// means 1).
	RatioPower float64
	// RatioAlpha is the smoothing of the NBSVM log-count ratios (default 1).
	RatioAlpha float64
	// NoCalibration skips fitting the softmax temperature on held-out folds
	// (it triples training time; confidences are then uncalibrated).
	NoCalibration bool
}

func (o TrainOptions) withDefaults() TrainOptions {
	if o.Algorithm == "" {
		o.Algorithm = DefaultAlgorithm
	}
	o.Features = o.Features.withDefaults()
	if o.MinDF == 0 {
		o.MinDF = 2
	}
	if o.Epochs == 0 {
		switch o.Algorithm {
		case AlgoSVM, AlgoNBSVM:
			o.Epochs = 40
		default:
			o.Epochs = 50
		}
	}
	if o.Lambda == 0 {
		o.Lambda = 1e-6
	}
	if o.C == 0 {
		o.C = 1
	}
	if o.Alpha == 0 {
		o.Alpha = 0.2
	}
	if o.RatioAlpha == 0 {
		o.RatioAlpha = 1
	}
	return o
}

// Model is a trained classifier. It is safe for concurrent use.
type Model struct {
	algorithm string
	labels    []string
	features  FeatureOptions
	weighting weighting
	vocab     *vocabulary
	// w holds the weights feature-major: w[f*K+k] for feature f, class k,
	// so one feature's weights for all classes are adjacent in memory.
	w []float32
	b []float32
	// temp scales scores before the softmax; fitted so that confidences
	// match held-out accuracy (see calibrate).
	temp float64
	// pool holds *scratch: the buffers of one prediction, reused.
	pool sync.Pool
}

// Labels returns the classes the model knows, sorted.
func (m *Model) Labels() []string { return slices.Clone(m.labels) }

// Algorithm returns the algorithm the model was trained with.
func (m *Model) Algorithm() string { return m.algorithm }

// Train fits a classifier to the examples. Every text goes through Redact
// first: a phone number is never a feature.
func Train(examples []Example, opts TrainOptions) (*Model, error) {
	opts = opts.withDefaults()
	if err := checkAlgorithm(opts.Algorithm); err != nil {
		return nil, err
	}
	data, err := prepare(examples, opts.Features)
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(examples))
	for i := range idx {
		idx[i] = i
	}
	return data.train(idx, opts), nil
}

func checkAlgorithm(a string) error {
	switch a {
	case AlgoLogReg, AlgoSVM, AlgoNaiveBayes, AlgoNBSVM:
		return nil
	}
	return fmt.Errorf("textproc: unknown algorithm %q (want %s, %s or %s)", a, AlgoLogReg, AlgoSVM, AlgoNaiveBayes)
}

// dataset is the examples with their features extracted once, so that
// cross-validation and calibration retrain without re-segmenting.
type dataset struct {
	counts []map[string]int
	y      []int
	labels []string
	feats  FeatureOptions
}

func prepare(examples []Example, fo FeatureOptions) (*dataset, error) {
	if len(examples) == 0 {
		return nil, errors.New("textproc: no training examples")
	}
	labelSet := map[string]bool{}
	for _, e := range examples {
		if e.Label == "" {
			return nil, errors.New("textproc: training example with an empty label")
		}
		labelSet[e.Label] = true
	}
	if len(labelSet) < 2 {
		return nil, errors.New("textproc: need at least two distinct labels")
	}
	labels := make([]string, 0, len(labelSet))
	for l := range labelSet {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	d := &dataset{counts: make([]map[string]int, len(examples)), y: make([]int, len(examples)), labels: labels, feats: fo}
	for i, e := range examples {
		d.y[i] = sort.SearchStrings(labels, e.Label)
	}
	seg := Default()
	parallelFor(len(examples), func(i int) {
		d.counts[i] = termCounts(seg, Redact(examples[i].Text), fo)
	})
	return d, nil
}

// parallelFor runs f(0..n-1) on all cores; the results must not depend on
// the order.
func parallelFor(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// train fits a model on the subset idx of the dataset.
func (d *dataset) train(idx []int, opts TrainOptions) *Model {
	m := d.fit(idx, opts)
	if !opts.NoCalibration && len(idx) >= 30 {
		m.temp = d.calibrate(idx, opts)
	}
	return m
}

// fit trains without calibration (temperature 1).
func (d *dataset) fit(idx []int, opts TrainOptions) *Model {
	docs := make([]map[string]int, len(idx))
	for i, j := range idx {
		docs[i] = d.counts[j]
	}
	m := &Model{
		algorithm: opts.Algorithm,
		labels:    d.labels,
		features:  opts.Features,
		vocab:     buildVocabulary(docs, opts.MinDF),
		temp:      1,
	}
	if tw := opts.Features.TitleWeight; tw > 0 && tw != 1 {
		// Folded into the idf, so the saved model needs no new field.
		for i, t := range m.vocab.terms {
			if len(t) > 0 && t[:1] == prefTitle {
				m.vocab.idf[i] *= float32(tw)
			}
		}
	}
	m.weighting = weightTFIDF
	if opts.Algorithm == AlgoNaiveBayes {
		m.weighting = weightCounts // naive Bayes models counts
	}
	xs := make([]sparseVec, len(idx))
	ys := make([]int, len(idx))
	for i, j := range idx {
		xs[i] = m.vocab.vectorize(d.counts[j], m.weighting)
		ys[i] = d.y[j]
	}
	K, D := len(d.labels), len(m.vocab.terms)
	m.w = make([]float32, D*K)
	m.b = make([]float32, K)
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x686f746c696e65)) // "hotline"
	switch opts.Algorithm {
	case AlgoNaiveBayes:
		fitNaiveBayes(m, xs, ys, opts.Alpha)
	case AlgoLogReg:
		fitLogReg(m, xs, ys, opts, rng)
	case AlgoSVM:
		fitSVM(m, xs, ys, opts, rng, false)
	case AlgoNBSVM:
		fitSVM(m, xs, ys, opts, rng, true)
	}
	return m
}

// fitNaiveBayes sets the weights to log P(feature | class) and the biases to
// log P(class): the naive Bayes log-posterior is then the linear score.
func fitNaiveBayes(m *Model, xs []sparseVec, ys []int, alpha float64) {
	K, D := len(m.labels), len(m.vocab.terms)
	sum := make([]float64, D*K)
	total := make([]float64, K)
	docs := make([]float64, K)
	for i, x := range xs {
		k := ys[i]
		docs[k]++
		for j, f := range x.idx {
			sum[int(f)*K+k] += float64(x.val[j])
			total[k] += float64(x.val[j])
		}
	}
	for k := range K {
		m.b[k] = float32(math.Log((docs[k] + 1) / (float64(len(xs)) + float64(K))))
		den := math.Log(total[k] + alpha*float64(D))
		for f := range D {
			m.w[f*K+k] = float32(math.Log(sum[f*K+k]+alpha) - den)
		}
	}
}

// fitLogReg is multinomial logistic regression by plain SGD with the
// learning-rate schedule η_t = η0/(1+η0·λ·t). The L2 shrinkage is applied
// lazily through a global scale so each step only touches the document's
// own features.
func fitLogReg(m *Model, xs []sparseVec, ys []int, o TrainOptions, rng *rand.Rand) {
	K, D := len(m.labels), len(m.vocab.terms)
	v := make([]float64, D*K)
	b := make([]float64, K)
	scale := 1.0
	const eta0 = 0.5
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	p := make([]float64, K)
	t := 0.0
	for range o.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			eta := eta0 / (1 + eta0*o.Lambda*t)
			t++
			x := xs[i]
			for k := range K {
				p[k] = b[k]
			}
			for j, f := range x.idx {
				xv := float64(x.val[j]) * scale
				row := v[int(f)*K : int(f)*K+K]
				for k := range K {
					p[k] += xv * row[k]
				}
			}
			softmaxInPlace(p)
			p[ys[i]]--
			scale *= 1 - eta*o.Lambda
			for j, f := range x.idx {
				g := eta * float64(x.val[j]) / scale
				row := v[int(f)*K : int(f)*K+K]
				for k := range K {
					row[k] -= g * p[k]
				}
			}
			for k := range K {
				b[k] -= eta * p[k]
			}
			if scale < 1e-9 {
				for f := range v {
					v[f] *= scale
				}
				scale = 1
			}
		}
	}
	for f := range v {
		m.w[f] = float32(v[f] * scale)
	}
	for k := range K {
		m.b[k] = float32(b[k])
	}
}

// fitSVM trains one L2-regularised hinge-loss SVM per class against the
// rest by dual coordinate descent (Hsieh et al., ICML 2008), with the bias
// as an extra constant feature. With nbScale, each class first rescales
// the features by their naive-Bayes log-count ratio for that class (the
// "NBSVM" of Wang & Manning, ACL 2012), folded back into the weights so
// the model stays linear in the original features.
func fitSVM(m *Model, xs []sparseVec, ys []int, o TrainOptions, rng *rand.Rand, nbScale bool) {
	K, D := len(m.labels), len(m.vocab.terms)
	n := len(xs)
	b := newBinarySVM(n, D)
	r := make([]float64, D)
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	for k := range K {
		for f := range r {
			r[f] = 1
		}
		if nbScale {
			nbRatio(xs, ys, all, func(y int) bool { return y == k }, D, r, o.RatioAlpha)
			if o.RatioPower != 0 && o.RatioPower != 1 {
				for f := range r {
					r[f] = math.Copysign(math.Pow(math.Abs(r[f]), o.RatioPower), r[f])
				}
			}
		}
		cPos := o.C
		if o.ClassWeight > 0 {
			npos := 0
			for _, y := range ys {
				if y == k {
					npos++
				}
			}
			if npos > 0 {
				cPos = o.C * math.Pow(float64(n-npos)/float64(npos), o.ClassWeight)
			}
		}
		for i := range n {
			b.y[i], b.c[i] = -1, o.C
			if ys[i] == k {
				b.y[i], b.c[i] = 1, cPos
			}
		}
		bias := b.fit(xs, all, r, o.Epochs, rng)
		for f := range D {
			m.w[f*K+k] = float32(b.w[f] * r[f])
		}
		m.b[k] = float32(bias)
	}
}

// binarySVM is the memory of one L2-regularised hinge-loss SVM trained by
// dual coordinate descent (Hsieh et al., ICML 2008), with the bias as an
// extra constant feature. y and c (labels ±1 and penalties) are set by the
// caller for the examples it trains on.
type binarySVM struct {
	w, alpha, qii, y, c []float64
	order               []int
}

func newBinarySVM(n, D int) *binarySVM {
	return &binarySVM{w: make([]float64, D), alpha: make([]float64, n), qii: make([]float64, n),
		y: make([]float64, n), c: make([]float64, n)}
}

// fit trains on the examples sub, with features scaled by r, and returns
// the bias; the weights (of the scaled features) are left in b.w.
func (b *binarySVM) fit(xs []sparseVec, sub []int, r []float64, epochs int, rng *rand.Rand) float64 {
	for _, i := range sub {
		x := xs[i]
		q := 1.0 // the bias feature
		for j, val := range x.val {
			v := float64(val) * r[x.idx[j]]
			q += v * v
		}
		b.qii[i] = q
		b.alpha[i] = 0
	}
	clear(b.w)
	w := b.w
	bias := 0.0
	b.order = append(b.order[:0], sub...)
	order := b.order
	for range epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		maxPG := 0.0
		for _, i := range order {
			y, c := b.y[i], b.c[i]
			x := xs[i]
			dot := bias
			for j, f := range x.idx {
				dot += w[f] * float64(x.val[j]) * r[f]
			}
			g := y*dot - 1
			pg := g
			switch {
			case b.alpha[i] == 0:
				pg = math.Min(g, 0)
			case b.alpha[i] == c:
				pg = math.Max(g, 0)
			}
			maxPG = math.Max(maxPG, math.Abs(pg))
			if pg == 0 {
				continue
			}
			old := b.alpha[i]
			b.alpha[i] = math.Min(math.Max(old-g/b.qii[i], 0), c)
			delta := (b.alpha[i] - old) * y
			for j, f := range x.idx {
				w[f] += delta * float64(x.val[j]) * r[f]
			}
			bias += delta
		}
		if maxPG < 1e-3 {
			break
		}
	}
	return bias
}

// nbRatio sets r to the naive-Bayes log-count ratio of each feature for
// the examples in sub whose class is positive against the others, from
// binarised features with additive smoothing a.
func nbRatio(xs []sparseVec, ys []int, sub []int, positive func(y int) bool, D int, r []float64, a float64) {
	p := make([]float64, D)
	q := make([]float64, D)
	for _, i := range sub {
		t := q
		if positive(ys[i]) {
			t = p
		}
		for _, f := range xs[i].idx {
			t[f]++
		}
	}
	var sp, sq float64
	for f := range D {
		p[f] += a
		q[f] += a
		sp += p[f]
		sq += q[f]
	}
	for f := range D {
		r[f] = math.Log((p[f] / sp) / (q[f] / sq))
	}
}

func softmaxInPlace(p []float64) {
	mx := math.Inf(-1)
	for _, v := range p {
		mx = math.Max(mx, v)
	}
	var sum float64
	for k, v := range p {
		p[k] = math.Exp(v - mx)
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
	}
}

// calibrate fits the softmax temperature on out-of-fold scores of a 3-fold
// split of the training set, minimising the negative log-likelihood. Raw
// naive Bayes posteriors are near 0 or 1 and SVM margins are not
// probabilities at all; one fitted scale makes "confidence 0.8" mean
// "right about 80% of the time" on data like the training data.
func (d *dataset) calibrate(idx []int, opts TrainOptions) float64 {
	folds := stratifiedFolds(idx, d.y, 3, opts.Seed+1)
	var scores [][]float64
	var truth []int
	for f := range folds {
		var trainIdx []int
		for g := range folds {
			if g != f {
				trainIdx = append(trainIdx, folds[g]...)
			}
		}
		m := d.fit(trainIdx, opts)
		for _, j := range folds[f] {
			scores = append(scores, m.scores(m.vocab.vectorize(d.counts[j], m.weighting)))
			truth = append(truth, d.y[j])
		}
	}
	nll := func(logT float64) float64 {
		t := math.Exp(logT)
		var s float64
		p := make([]float64, len(d.labels))
		for i, sc := range scores {
			for k := range p {
				p[k] = sc[k] * t
			}
			softmaxInPlace(p)
			s -= math.Log(math.Max(p[truth[i]], 1e-12))
		}
		return s
	}
	// Golden-section search over log T in [-7, 5] (T from 0.001 to 150):
	// NB's log-likelihood sums need T far below 1, SVM margins far above.
	lo, hi := -7.0, 5.0
	const phi = 0.6180339887498949
	a, b := hi-phi*(hi-lo), lo+phi*(hi-lo)
	fa, fb := nll(a), nll(b)
	for range 60 {
		if fa < fb {
			hi, b, fb = b, a, fa
			a = hi - phi*(hi-lo)
			fa = nll(a)
		} else {
			lo, a, fa = a, b, fb
			b = lo + phi*(hi-lo)
			fb = nll(b)
		}
	}
	return math.Exp((lo + hi) / 2)
}

// calibrated turns raw scores into the calibrated logits, in place.
func (m *Model) calibrated(s []float64) []float64 {
	for k := range s {
		s[k] *= m.temp
	}
	return s
}

// scores returns the raw linear scores of a vector, one per class.
func (m *Model) scores(x sparseVec) []float64 {
	return m.scoresInto(x, make([]float64, len(m.labels)))
}

// scoresInto is scores writing into s (len K).
func (m *Model) scoresInto(x sparseVec, s []float64) []float64 {
	K := len(m.labels)
	s = s[:K]
	for k := range K {
		s[k] = float64(m.b[k])
	}
	for j, f := range x.idx {
		xv := float64(x.val[j])
		row := m.w[int(f)*K : int(f)*K+K]
		for k := range K {
			s[k] += xv * float64(row[k])
		}
	}
	return s
}

// probabilitiesInto returns the calibrated class probabilities of a text,
// in sc's memory.
func (m *Model) probabilitiesInto(text string, sc *scratch) []float64 {
	x := m.vocab.vectorizeText(Default(), Redact(text), m.features, m.weighting, sc)
	if cap(sc.scores) < len(m.labels) {
		sc.scores = make([]float64, len(m.labels))
	}
	s := m.calibrated(m.scoresInto(x, sc.scores))
	softmaxInPlace(s)
	return s
}

func (m *Model) getScratch() *scratch {
	if sc, ok := m.pool.Get().(*scratch); ok {
		return sc
	}
	return &scratch{}
}

// Predict returns the most likely label of text and the model's confidence
// in it (a softmax probability, calibrated on held-out folds at training).
func (m *Model) Predict(text string) (label string, confidence float64) {
	sc := m.getScratch()
	defer m.pool.Put(sc)
	p := m.probabilitiesInto(text, sc)
	best := 0
	for k := range p {
		if p[k] > p[best] {
			best = k
		}
	}
	return m.labels[best], p[best]
}

// TopK returns the k most likely labels of text, most likely first.
func (m *Model) TopK(text string, k int) []Prediction {
	sc := m.getScratch()
	p := m.probabilitiesInto(text, sc)
	out := make([]Prediction, len(p))
	for i := range p {
		out[i] = Prediction{Label: m.labels[i], Confidence: p[i]}
	}
	m.pool.Put(sc)
	slices.SortStableFunc(out, func(a, b Prediction) int {
		switch {
		case a.Confidence > b.Confidence:
			return -1
		case a.Confidence < b.Confidence:
			return 1
		}
		return 0
	})
	if k < len(out) {
		out = out[:max(k, 0)]
	}
	return out
}

// modelFile is the saved form of a Model (gob, gzip-compressed).
type modelFile struct {
	Magic     string
	Version   int
	Algorithm string
	Labels    []string
	Features  FeatureOptions
	TFIDF     bool
	Terms     []string
	IDF       []float32
	W, B      []float32
	Temp      float64
}

const modelMagic = "hotline-textproc-classifier"

// Save writes the model to w.
func (m *Model) Save(w io.Writer) error {
	zw := gzip.NewWriter(w)
	f := modelFile{
		Magic: modelMagic, Version: modelVersion, Algorithm: m.algorithm, Labels: m.labels,
		Features: m.features, TFIDF: m.weighting == weightTFIDF, Terms: m.vocab.terms,
		IDF: m.vocab.idf, W: m.w, B: m.b, Temp: m.temp,
	}
	if err := gob.NewEncoder(zw).Encode(&f); err != nil {
		return err
	}
	return zw.Close()
}

// LoadModel reads a model written by Save.
func LoadModel(r io.Reader) (*Model, error) {
	zr, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("textproc: not a saved model: %w", err)
	}
	var f modelFile
	if err := gob.NewDecoder(zr).Decode(&f); err != nil {
		return nil, fmt.Errorf("textproc: reading model: %w", err)
	}
	if f.Magic != modelMagic {
		return nil, errors.New("textproc: not a saved classifier model")
	}
	if f.Version != modelVersion {
		return nil, fmt.Errorf("textproc: model version %d, this program reads version %d: retrain the model", f.Version, modelVersion)
	}
	K, D := len(f.Labels), len(f.Terms)
	if K < 2 || len(f.W) != K*D || len(f.B) != K || len(f.IDF) != D {
		return nil, errors.New("textproc: model file is inconsistent")
	}
	if err := checkAlgorithm(f.Algorithm); err != nil {
		return nil, err
	}
	v := newVocabulary(f.Terms, f.IDF)
	m := &Model{algorithm: f.Algorithm, labels: f.Labels, features: f.Features, vocab: v, w: f.W, b: f.B, temp: f.Temp}
	if f.TFIDF {
		m.weighting = weightTFIDF
	}
	return m, nil
}
