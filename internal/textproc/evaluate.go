package textproc

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
)

// ClassMetrics are the cross-validated figures of one class.
type ClassMetrics struct {
	Label                 string
	Precision, Recall, F1 float64
	Support               int // examples of this class
}

// Report is the result of CrossValidate. Figures are computed on the pooled
// out-of-fold predictions: every example is predicted exactly once, by the
// model that did not see it.
type Report struct {
	Algorithm    string
	Folds        int
	N            int
	Accuracy     float64
	MacroF1      float64
	FoldAccuracy []float64
	PerClass     []ClassMetrics
	Labels       []string
	Confusion    [][]int // Confusion[true][predicted], in Labels order
	// ECE is the expected calibration error of the confidences (10 equal-
	// width bins): 0 means "confidence 0.8" is right 80% of the time.
	ECE float64
	// Err is set when cross-validation could not run (too few examples,
	// fewer than two labels).
	Err error
}

// stratifiedFolds splits idx into k folds with each label spread evenly,
// after a seeded shuffle.
func stratifiedFolds(idx []int, y []int, k int, seed int64) [][]int {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x666f6c6473)) // "folds"
	shuffled := slices.Clone(idx)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	// Stable sort by label keeps the shuffled order within a label; dealing
	// them round-robin then balances labels across folds.
	slices.SortStableFunc(shuffled, func(a, b int) int { return y[a] - y[b] })
	folds := make([][]int, k)
	for i, j := range shuffled {
		folds[i%k] = append(folds[i%k], j)
	}
	return folds
}

// CrossValidate estimates how well Train(examples, opts) generalises, by
// stratified k-fold cross-validation with a seeded split.
func CrossValidate(examples []Example, folds int, opts TrainOptions, seed int64) Report {
	opts = opts.withDefaults()
	rep := Report{Algorithm: opts.Algorithm, Folds: folds, N: len(examples)}
	if err := checkAlgorithm(opts.Algorithm); err != nil {
		rep.Err = err
		return rep
	}
	if folds < 2 || len(examples) < folds {
		rep.Err = fmt.Errorf("textproc: cannot run %d-fold cross-validation on %d examples", folds, len(examples))
		return rep
	}
	d, err := prepare(examples, opts.Features)
	if err != nil {
		rep.Err = err
		return rep
	}
	all := make([]int, len(examples))
	for i := range all {
		all[i] = i
	}
	parts := stratifiedFolds(all, d.y, folds, seed)
	pred := make([]int, len(examples))
	conf := make([]float64, len(examples))
	// Folds train independently; two at a time keeps both cores busy
	// without holding five models in memory.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for f := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var trainIdx []int
			for g := range parts {
				if g != f {
					trainIdx = append(trainIdx, parts[g]...)
				}
			}
			m := d.train(trainIdx, opts)
			for _, j := range parts[f] {
				s := m.scores(m.vocab.vectorize(d.counts[j], m.weighting))
				m.calibrated(s)
				softmaxInPlace(s)
				best := 0
				for k := range s {
					if s[k] > s[best] {
						best = k
					}
				}
				pred[j], conf[j] = best, s[best]
			}
		}()
	}
	wg.Wait()

	rep.Labels = d.labels
	K := len(d.labels)
	rep.Confusion = make([][]int, K)
	for k := range rep.Confusion {
		rep.Confusion[k] = make([]int, K)
	}
	correct := 0
	for i := range pred {
		rep.Confusion[d.y[i]][pred[i]]++
		if pred[i] == d.y[i] {
			correct++
		}
	}
	rep.Accuracy = float64(correct) / float64(len(pred))
	for _, p := range parts {
		c := 0
		for _, j := range p {
			if pred[j] == d.y[j] {
				c++
			}
		}
		rep.FoldAccuracy = append(rep.FoldAccuracy, float64(c)/float64(len(p)))
	}
	for k := range K {
		tp, predicted, actual := rep.Confusion[k][k], 0, 0
		for j := range K {
			predicted += rep.Confusion[j][k]
			actual += rep.Confusion[k][j]
		}
		cm := ClassMetrics{Label: d.labels[k], Support: actual}
		if predicted > 0 {
			cm.Precision = float64(tp) / float64(predicted)
		}
		if actual > 0 {
			cm.Recall = float64(tp) / float64(actual)
		}
		if cm.Precision+cm.Recall > 0 {
			cm.F1 = 2 * cm.Precision * cm.Recall / (cm.Precision + cm.Recall)
		}
		rep.PerClass = append(rep.PerClass, cm)
		rep.MacroF1 += cm.F1 / float64(K)
	}
	rep.ECE = expectedCalibrationError(pred, d.y, conf)
	return rep
}

func expectedCalibrationError(pred, y []int, conf []float64) float64 {
	const bins = 10
	var n, c [bins]float64
	var s [bins]float64
	for i := range pred {
		b := min(int(conf[i]*bins), bins-1)
		n[b]++
		s[b] += conf[i]
		if pred[i] == y[i] {
			c[b]++
		}
	}
	var ece float64
	for b := range bins {
		if n[b] > 0 {
			ece += n[b] / float64(len(pred)) * math.Abs(c[b]/n[b]-s[b]/n[b])
		}
	}
	return ece
}

// String formats the report as a Markdown table, the form it takes in
// docs/intelligence.md and on the CLI's standard error.
func (r Report) String() string {
	if r.Err != nil {
		return "cross-validation failed: " + r.Err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d-fold cross-validation of %s on %d examples: accuracy %.4f, macro-F1 %.4f, ECE %.4f\n",
		r.Folds, r.Algorithm, r.N, r.Accuracy, r.MacroF1, r.ECE)
	fmt.Fprintf(&b, "fold accuracies:")
	for _, a := range r.FoldAccuracy {
		fmt.Fprintf(&b, " %.4f", a)
	}
	b.WriteString("\n\n| class | precision | recall | F1 | support |\n|---|---|---|---|---|\n")
	for _, c := range r.PerClass {
		fmt.Fprintf(&b, "| %s | %.4f | %.4f | %.4f | %d |\n", c.Label, c.Precision, c.Recall, c.F1, c.Support)
	}
	return b.String()
}
