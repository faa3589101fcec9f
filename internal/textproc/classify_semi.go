package textproc

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// Semi-supervised training: unlabelled texts from the same source (a
// center's open orders, the unlabelled messages of a petition board) can
// take part in training by self-training (confident predictions become
// weighted training examples) or through a latent space (LSA) learned from
// all texts. See docs/intelligence.md §2 for what each does to accuracy.

// addUnlabeled extracts the features of unlabelled texts (redacted first,
// like every text) into d.unl.
func (d *dataset) addUnlabeled(texts []string) {
	seg := Default()
	unl := make([]map[string]int, len(texts))
	parallelFor(len(texts), func(i int) {
		unl[i] = termCounts(seg, Redact(texts[i]), d.feats)
	})
	d.unl = append(d.unl, unl...)
}

// addAux extracts the features of auxiliary labelled examples into d.aux;
// examples whose label is not one of d.labels are skipped. It returns how
// many were kept.
func (d *dataset) addAux(examples []Example) int {
	seg := Default()
	kept := 0
	for _, e := range examples {
		k := sort.SearchStrings(d.labels, e.Label)
		if k == len(d.labels) || d.labels[k] != e.Label {
			d.auxOther = append(d.auxOther, termCounts(seg, Redact(e.Text), d.feats))
			continue
		}
		d.aux = append(d.aux, termCounts(seg, Redact(e.Text), d.feats))
		d.auxY = append(d.auxY, k)
		kept++
	}
	return kept
}

func (d *dataset) semiActive(o TrainOptions) bool { return o.SelfTrain > 0 && len(d.unl) > 0 }

// fitSemi is self-training: a model trained on the labelled rows idx
// labels the unlabelled texts; those it labels with a calibrated confidence
// of at least opts.SelfTrain join the training set with weight
// opts.SelfTrainWeight, and the model is trained again (opts.SelfTrainRounds
// times). The temperature that makes confidences comparable with the
// threshold is fitted once, on the first model (inner 3-fold split of idx).
func (d *dataset) fitSemi(idx []int, opts TrainOptions) *Model {
	base := opts
	base.SelfTrain = 0
	m := d.fit(idx, base)
	temp := 1.0
	if len(idx) >= 30 {
		temp = d.calibrate(idx, base)
	}
	in0 := d.labelledInput(idx, base)
	if in0.w == nil {
		in0.w = make([]float64, len(in0.docs))
		for i := range in0.w {
			in0.w[i] = 1
		}
	}
	K := len(d.labels)
	for range opts.SelfTrainRounds {
		in := fitInput{docs: slices.Clone(in0.docs), y: slices.Clone(in0.y), w: slices.Clone(in0.w), vocabOnly: in0.vocabOnly, lsaOnly: in0.lsaOnly}
		label := make([]int, len(d.unl))
		for i := range label {
			label[i] = -1
		}
		sc := make([][]float64, len(d.unl))
		parallelFor(len(d.unl), func(i int) {
			s := m.scores(m.vocab.vectorize(d.unl[i], m.weighting))
			for k := range s {
				s[k] *= temp
			}
			softmaxInPlace(s)
			sc[i] = s
		})
		type cand struct {
			i    int
			conf float64
		}
		byClass := make([][]cand, K)
		for i, s := range sc {
			best := 0
			for k := 1; k < K; k++ {
				if s[k] > s[best] {
					best = k
				}
			}
			if s[best] >= opts.SelfTrain {
				byClass[best] = append(byClass[best], cand{i, s[best]})
			}
		}
		nLab := make([]int, K)
		for _, y := range in0.y {
			nLab[y]++
		}
		for k, cs := range byClass {
			if opts.SelfTrainCap > 0 {
				slices.SortStableFunc(cs, func(a, b cand) int {
					switch {
					case a.conf > b.conf:
						return -1
					case a.conf < b.conf:
						return 1
					}
					return a.i - b.i
				})
				cs = cs[:min(len(cs), int(opts.SelfTrainCap*float64(nLab[k])))]
				slices.SortFunc(cs, func(a, b cand) int { return a.i - b.i })
			}
			for _, c := range cs {
				label[c.i] = k
			}
		}
		if !opts.SelfTrainVocab {
			in.vocabDocs = in0.docs
		}
		for i, l := range label {
			if l >= 0 {
				in.docs = append(in.docs, d.unl[i])
				in.y = append(in.y, l)
				if opts.SelfTrainNBOnly {
					in.w = append(in.w, -opts.SelfTrainWeight)
				} else {
					in.w = append(in.w, opts.SelfTrainWeight)
				}
			}
		}
		m = d.fitInput(in, base)
	}
	return m
}

// lsaBasis is the top-k right singular vectors of a TF-IDF matrix: v holds
// D rows of k values, the latent coordinates of each feature.
type lsaBasis struct {
	k, d int
	v    []float64
}

// newLSABasis computes the k leading right singular vectors of the matrix
// whose rows are the given vectors (D columns) by randomized SVD (Halko,
// Martinsson & Tropp 2011: Gaussian sketch with 10 extra columns, two power
// iterations).
func newLSABasis(rows []sparseVec, D, k int, rng *rand.Rand) *lsaBasis {
	n := len(rows)
	l := min(k+10, n, D)
	k = min(k, l)
	omega := make([]float64, D*l)
	for i := range omega {
		omega[i] = rng.NormFloat64()
	}
	y := lsaMulA(rows, omega, l)
	orthonormalizeRows(y, n, l)
	for range 2 {
		z := lsaMulAt(rows, y, D, l)
		y = lsaMulA(rows, z, l)
		orthonormalizeRows(y, n, l)
	}
	bt := lsaMulAt(rows, y, D, l) // Aᵀ Q, D×l
	// Btᵀ Bt = Qᵀ A Aᵀ Q: its eigenvectors rotate Bt into the right
	// singular vectors, its eigenvalues are the squared singular values.
	g := make([]float64, l*l)
	for f := range D {
		row := bt[f*l : f*l+l]
		for a, x := range row {
			if x == 0 {
				continue
			}
			ga := g[a*l : a*l+l]
			for b := a; b < l; b++ {
				ga[b] += x * row[b]
			}
		}
	}
	for a := range l {
		for b := range a {
			g[a*l+b] = g[b*l+a]
		}
	}
	vals, vecs := jacobiEigen(g, l)
	v := make([]float64, D*k)
	for f := range D {
		row := bt[f*l : f*l+l]
		out := v[f*k : f*k+k]
		for j := range k {
			if vals[j] <= 1e-12 {
				continue
			}
			var s float64
			for c, x := range row {
				s += x * vecs[c*l+j]
			}
			out[j] = s / math.Sqrt(vals[j])
		}
	}
	return &lsaBasis{k: k, d: D, v: v}
}

// lsaMulA returns A·X (n×l) for the sparse rows A and X of D×l.
func lsaMulA(rows []sparseVec, x []float64, l int) []float64 {
	y := make([]float64, len(rows)*l)
	parallelFor(len(rows), func(i int) {
		out := y[i*l : i*l+l]
		r := rows[i]
		for j, f := range r.idx {
			v := float64(r.val[j])
			xr := x[int(f)*l : int(f)*l+l]
			for c := range out {
				out[c] += v * xr[c]
			}
		}
	})
	return y
}

// lsaMulAt returns Aᵀ·Y (D×l) for the sparse rows A and Y of n×l.
func lsaMulAt(rows []sparseVec, y []float64, D, l int) []float64 {
	z := make([]float64, D*l)
	for i, r := range rows {
		yr := y[i*l : i*l+l]
		for j, f := range r.idx {
			v := float64(r.val[j])
			out := z[int(f)*l : int(f)*l+l]
			for c := range out {
				out[c] += v * yr[c]
			}
		}
	}
	return z
}

// orthonormalizeRows makes the l columns of the n×l row-major matrix y
// orthonormal (modified Gram-Schmidt, twice for accuracy); a column that
// vanishes is left zero.
func orthonormalizeRows(y []float64, n, l int) {
	cols := make([][]float64, l)
	for c := range cols {
		cols[c] = make([]float64, n)
		for i := range n {
			cols[c][i] = y[i*l+c]
		}
	}
	for range 2 {
		for c := range cols {
			for p := range c {
				var dot float64
				for i, x := range cols[c] {
					dot += x * cols[p][i]
				}
				for i := range cols[c] {
					cols[c][i] -= dot * cols[p][i]
				}
			}
			var norm float64
			for _, x := range cols[c] {
				norm += x * x
			}
			norm = math.Sqrt(norm)
			if norm < 1e-12 {
				clear(cols[c])
				continue
			}
			for i := range cols[c] {
				cols[c][i] /= norm
			}
		}
	}
	for c := range cols {
		for i := range n {
			y[i*l+c] = cols[c][i]
		}
	}
}

// jacobiEigen returns the eigenvalues of the symmetric l×l matrix a (row-
// major; destroyed) in decreasing order, and the eigenvectors as the
// columns of an l×l row-major matrix in the same order (cyclic Jacobi).
func jacobiEigen(a []float64, l int) ([]float64, []float64) {
	v := make([]float64, l*l)
	for i := range l {
		v[i*l+i] = 1
	}
	for range 100 {
		var off float64
		for p := range l {
			for q := p + 1; q < l; q++ {
				off += a[p*l+q] * a[p*l+q]
			}
		}
		if off < 1e-22 {
			break
		}
		for p := range l {
			for q := p + 1; q < l; q++ {
				apq := a[p*l+q]
				if math.Abs(apq) < 1e-300 {
					continue
				}
				theta := (a[q*l+q] - a[p*l+p]) / (2 * apq)
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range l {
					akp, akq := a[k*l+p], a[k*l+q]
					a[k*l+p] = c*akp - s*akq
					a[k*l+q] = s*akp + c*akq
				}
				for k := range l {
					apk, aqk := a[p*l+k], a[q*l+k]
					a[p*l+k] = c*apk - s*aqk
					a[q*l+k] = s*apk + c*aqk
				}
				for k := range l {
					vkp, vkq := v[k*l+p], v[k*l+q]
					v[k*l+p] = c*vkp - s*vkq
					v[k*l+q] = s*vkp + c*vkq
				}
			}
		}
	}
	order := make([]int, l)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return a[order[i]*l+order[i]] > a[order[j]*l+order[j]] })
	vals := make([]float64, l)
	vecs := make([]float64, l*l)
	for j, o := range order {
		vals[j] = a[o*l+o]
		for i := range l {
			vecs[i*l+j] = v[i*l+o]
		}
	}
	return vals, vecs
}

// augment appends the latent coordinates of x, scaled by gamma, as
// features d..d+k-1.
func (b *lsaBasis) augment(x sparseVec, gamma float64) sparseVec {
	z := make([]float64, b.k)
	for j, f := range x.idx {
		v := float64(x.val[j])
		row := b.v[int(f)*b.k : int(f)*b.k+b.k]
		for c := range z {
			z[c] += v * row[c]
		}
	}
	out := sparseVec{idx: make([]int32, len(x.idx), len(x.idx)+b.k), val: make([]float32, len(x.val), len(x.val)+b.k)}
	copy(out.idx, x.idx)
	copy(out.val, x.val)
	for c, v := range z {
		out.idx = append(out.idx, int32(b.d+c))
		out.val = append(out.val, float32(gamma*v))
	}
	return out
}

// fold turns the weights of the latent features into weights of the
// sparse features they are computed from (the latent features are linear
// in them), so the model stays one linear model over its vocabulary.
func (b *lsaBasis) fold(m *Model, gamma float64) {
	K := len(m.labels)
	w := make([]float32, b.d*K)
	dense := m.w[b.d*K:]
	for f := range b.d {
		row := b.v[f*b.k : f*b.k+b.k]
		for c := range K {
			s := float64(m.w[f*K+c])
			for j, x := range row {
				s += gamma * x * float64(dense[j*K+c])
			}
			w[f*K+c] = float32(s)
		}
	}
	m.w = w
}
