package textproc

import (
	"math"
	"math/rand/v2"
)

// fitCrammerSinger trains one multiclass linear SVM (Crammer & Singer
// 2001) by the sequential dual method of Keerthi et al. (KDD 2008): all
// classes' weights are trained together, against the largest margin
// violation among the other classes, instead of seven independent
// one-vs-rest problems. With nbScale, class k sees the features scaled by
// its naive-Bayes log-count ratio against the rest, as in NBSVM; the scales
// are folded back into the weights. A constant feature gives each class a
// (regularised) bias.
func fitCrammerSinger(m *Model, xs []sparseVec, ys []int, ws []float64, D int, o TrainOptions, rng *rand.Rand, nbScale bool) {
	K := len(m.labels)
	n := len(xs)
	r := make([]float64, D*K) // r[f*K+k]
	for i := range r {
		r[i] = 1
	}
	if nbScale {
		rk := make([]float64, D)
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		for k := range K {
			nbRatio(xs, ys, ws, all, func(y int) bool { return y == k }, D, rk, o.RatioAlpha)
			for f := range D {
				r[f*K+k] = rk[f]
			}
		}
	}
	w := make([]float64, D*K)
	bias := make([]float64, K)
	alpha := make([]float64, n*K)
	A := make([]float64, n*K) // ||φ_k(x_i)||², with the constant feature
	for i, x := range xs {
		for k := range K {
			A[i*K+k] = 1
		}
		for j, f := range x.idx {
			v := float64(x.val[j])
			for k := range K {
				s := v * r[int(f)*K+k]
				A[i*K+k] += s * s
			}
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	g := make([]float64, K)
	a := make([]float64, K)
	cap := make([]float64, K)
	for range o.Epochs {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		maxViol := 0.0
		for _, i := range order {
			x, y := xs[i], ys[i]
			c := o.C
			if ws != nil {
				c *= ws[i]
			}
			for k := range K {
				g[k] = bias[k]
				if k != y {
					g[k]++ // e_i^k: the margin wanted against class k
				}
			}
			for j, f := range x.idx {
				v := float64(x.val[j])
				row := w[int(f)*K : int(f)*K+K]
				rr := r[int(f)*K : int(f)*K+K]
				for k := range K {
					g[k] += row[k] * rr[k] * v
				}
			}
			// Optimality: the largest gradient against the smallest among
			// the classes whose alpha may still grow.
			gmax, gmin := math.Inf(-1), math.Inf(1)
			for k := range K {
				cap[k] = 0
				if k == y {
					cap[k] = c
				}
				gmax = math.Max(gmax, g[k])
				if alpha[i*K+k] < cap[k] {
					gmin = math.Min(gmin, g[k])
				}
			}
			viol := gmax - gmin
			maxViol = math.Max(maxViol, viol)
			if viol < 1e-9 {
				continue
			}
			// a_k = min(cap_k, α_k + (β − g_k)/A_k), with β such that Σ a_k = 0
			// (the sum increases with β): bisection.
			sum := func(beta float64) float64 {
				var s float64
				for k := range K {
					s += math.Min(cap[k], alpha[i*K+k]+(beta-g[k])/A[i*K+k])
				}
				return s
			}
			lo, hi := -1.0, 1.0
			for sum(lo) > 0 {
				lo *= 2
			}
			for sum(hi) < 0 {
				hi *= 2
			}
			for range 60 {
				mid := (lo + hi) / 2
				if sum(mid) < 0 {
					lo = mid
				} else {
					hi = mid
				}
			}
			beta := (lo + hi) / 2
			for k := range K {
				a[k] = math.Min(cap[k], alpha[i*K+k]+(beta-g[k])/A[i*K+k]) - alpha[i*K+k]
			}
			for k := range K {
				if a[k] == 0 {
					continue
				}
				alpha[i*K+k] += a[k]
				bias[k] += a[k]
			}
			for j, f := range x.idx {
				v := float64(x.val[j])
				row := w[int(f)*K : int(f)*K+K]
				rr := r[int(f)*K : int(f)*K+K]
				for k := range K {
					row[k] += a[k] * v * rr[k]
				}
			}
		}
		if maxViol < 1e-3 {
			break
		}
	}
	for f := range D {
		for k := range K {
			m.w[f*K+k] = float32(w[f*K+k] * r[f*K+k])
		}
	}
	for k := range K {
		m.b[k] = float32(bias[k])
	}
}
