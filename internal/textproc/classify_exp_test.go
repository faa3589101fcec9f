package textproc

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestExperimentEnsemble cross-validates ensembles over several fold seeds.
// HOTLINE_CV_ENS holds ensembles separated by ";", each a list of member
// configs separated by "+" (member options as in parseOpts). Members'
// calibrated probabilities are averaged.
//
//	HOTLINE_CV_ENS='algo=nbsvm;algo=nbsvm+algo=logreg' go test ./internal/textproc -run TestExperimentEnsemble -v
func TestExperimentEnsemble(t *testing.T) {
	spec := os.Getenv("HOTLINE_CV_ENS")
	if spec == "" {
		t.Skip("set HOTLINE_CV_ENS to compare ensembles")
	}
	ex := teddyExamples(t)
	seeds := []int64{1, 2, 3}
	if os.Getenv("HOTLINE_CV_SEEDS") == "1" {
		seeds = []int64{1}
	}
	if v := os.Getenv("HOTLINE_CV_SEEDLIST"); v != "" {
		seeds = nil
		for _, f := range strings.Split(v, ",") {
			var s int64
			fmt.Sscan(f, &s)
			seeds = append(seeds, s)
		}
	}
	datasets := map[FeatureOptions]*dataset{}
	var mu sync.Mutex
	getData := func(fo FeatureOptions) *dataset {
		mu.Lock()
		defer mu.Unlock()
		if d, ok := datasets[fo]; ok {
			return d
		}
		d, err := prepare(ex, fo)
		if err != nil {
			t.Fatal(err)
		}
		datasets[fo] = d
		return d
	}
	for _, ens := range strings.Split(spec, ";") {
		start := time.Now()
		var members []TrainOptions
		for _, m := range strings.Split(ens, "+") {
			members = append(members, parseOpts(t, m).withDefaults())
		}
		var accs, f1s []float64
		for _, seed := range seeds {
			d0 := getData(members[0].Features)
			all := make([]int, len(ex))
			for i := range all {
				all[i] = i
			}
			parts := stratifiedFolds(all, d0.y, 5, seed)
			K := len(d0.labels)
			prob := make([][]float64, len(ex))
			for i := range prob {
				prob[i] = make([]float64, K)
			}
			var wg sync.WaitGroup
			sem := make(chan struct{}, 2)
			for f := range parts {
				var trainIdx []int
				for g := range parts {
					if g != f {
						trainIdx = append(trainIdx, parts[g]...)
					}
				}
				for _, mo := range members {
					d := getData(mo.Features)
					wg.Add(1)
					sem <- struct{}{}
					go func() {
						defer func() { <-sem; wg.Done() }()
						m := d.train(trainIdx, mo)
						for _, j := range parts[f] {
							s := m.scores(m.vocab.vectorize(d.counts[j], m.weighting))
							m.calibrated(s)
							softmaxInPlace(s)
							mu.Lock()
							for k := range s {
								prob[j][k] += s[k]
							}
							mu.Unlock()
						}
					}()
				}
			}
			wg.Wait()
			acc, f1 := scorePreds(prob, d0.y, K)
			accs = append(accs, acc)
			f1s = append(f1s, f1)
		}
		t.Logf("%-70s acc %s mean %.4f | F1 %s mean %.4f (%v)", ens, fmtList(accs), mean(accs), fmtList(f1s), mean(f1s), time.Since(start).Round(time.Millisecond))
	}
}

func scorePreds(prob [][]float64, y []int, K int) (acc, macroF1 float64) {
	conf := make([][]int, K)
	for k := range conf {
		conf[k] = make([]int, K)
	}
	correct := 0
	for i, p := range prob {
		best := 0
		for k := range p {
			if p[k] > p[best] {
				best = k
			}
		}
		conf[y[i]][best]++
		if best == y[i] {
			correct++
		}
	}
	for k := range K {
		tp, pr, ac := conf[k][k], 0, 0
		for j := range K {
			pr += conf[j][k]
			ac += conf[k][j]
		}
		if tp > 0 {
			p, r := float64(tp)/float64(pr), float64(tp)/float64(ac)
			macroF1 += 2 * p * r / (p + r) / float64(K)
		}
	}
	return float64(correct) / float64(len(prob)), macroF1
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func fmtList(xs []float64) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.4f", x)
	}
	return b.String()
}

// BenchmarkPredictLong predicts only the messages over 1,000 characters:
// the ones that make the latency's p99.
func BenchmarkPredictLong(b *testing.B) {
	m, ex := trainedTeddy(b)
	var long []string
	for _, e := range ex {
		if len([]rune(e.Text)) > 1000 {
			long = append(long, e.Text)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Predict(long[i%len(long)])
		i++
	}
}

// TestExperimentErrors prints the confusion matrix of the default model
// (5-fold, seed 1) and the titles of misclassified messages, to the
// terminal only.
func TestExperimentErrors(t *testing.T) {
	if os.Getenv("HOTLINE_CV_ERRORS") == "" {
		t.Skip("set HOTLINE_CV_ERRORS=1 to print the errors")
	}
	ex := teddyExamples(t)
	rep := CrossValidate(ex, 5, TrainOptions{NoCalibration: true}, 1)
	for i, row := range rep.Confusion {
		t.Logf("%-8s %v", rep.Labels[i], row)
	}
}

// TestExperimentKNN blends the default model's calibrated probabilities
// with a k-nearest-neighbour vote (cosine of the TF-IDF vectors) for
// several blend weights, 5-fold over fold seeds 1–3.
func TestExperimentKNN(t *testing.T) {
	if os.Getenv("HOTLINE_CV_KNN") == "" {
		t.Skip("set HOTLINE_CV_KNN=1 to try the kNN blend")
	}
	ex := teddyExamples(t)
	opts := TrainOptions{}.withDefaults()
	d, err := prepare(ex, opts.Features)
	if err != nil {
		t.Fatal(err)
	}
	K := len(d.labels)
	lambdas := []float64{0, 0.1, 0.2, 0.3, 0.5}
	ks := []int{3, 10}
	for _, kk := range ks {
		var accs, f1s [5][]float64
		for _, seed := range []int64{1, 2, 3} {
			all := make([]int, len(ex))
			for i := range all {
				all[i] = i
			}
			parts := stratifiedFolds(all, d.y, 5, seed)
			pm := make([][]float64, len(ex))
			pk := make([][]float64, len(ex))
			for f := range parts {
				var trainIdx []int
				for g := range parts {
					if g != f {
						trainIdx = append(trainIdx, parts[g]...)
					}
				}
				m := d.train(trainIdx, opts)
				vec := func(j int) map[int32]float32 {
					v := m.vocab.vectorize(d.counts[j], weightTFIDF)
					out := make(map[int32]float32, len(v.idx))
					for i, id := range v.idx {
						out[id] = v.val[i]
					}
					return out
				}
				tv := make([]map[int32]float32, len(trainIdx))
				for i, j := range trainIdx {
					tv[i] = vec(j)
				}
				for _, j := range parts[f] {
					s := m.calibrated(m.scores(m.vocab.vectorize(d.counts[j], m.weighting)))
					softmaxInPlace(s)
					pm[j] = s
					q := vec(j)
					type nb struct {
						sim float64
						y   int
					}
					var best []nb
					for i, v := range tv {
						var sim float64
						for id, x := range q {
							sim += float64(x * v[id])
						}
						best = append(best, nb{sim, d.y[trainIdx[i]]})
					}
					slices.SortFunc(best, func(a, b nb) int {
						if a.sim > b.sim {
							return -1
						}
						if a.sim < b.sim {
							return 1
						}
						return 0
					})
					p := make([]float64, K)
					tot := 0.0
					for _, b := range best[:kk] {
						p[b.y] += b.sim
						tot += b.sim
					}
					for c := range p {
						p[c] /= max(tot, 1e-9)
					}
					pk[j] = p
				}
			}
			for li, l := range lambdas {
				prob := make([][]float64, len(ex))
				for j := range prob {
					prob[j] = make([]float64, K)
					for c := range K {
						prob[j][c] = (1-l)*pm[j][c] + l*pk[j][c]
					}
				}
				a, f1 := scorePreds(prob, d.y, K)
				accs[li] = append(accs[li], a)
				f1s[li] = append(f1s[li], f1)
			}
		}
		for li, l := range lambdas {
			t.Logf("k=%d λ=%.1f acc %s mean %.4f | F1 %s mean %.4f", kk, l, fmtList(accs[li]), mean(accs[li]), fmtList(f1s[li]), mean(f1s[li]))
		}
	}
}

// TestExperimentLearningCurve cross-validates the default model (without
// calibration, which does not change accuracy) trained on a quarter, half,
// three quarters and all of each training fold, over fold seeds 1–3: how
// much more labelled data would still help.
//
//	HOTLINE_CV_CURVE=1 go test ./internal/textproc -run TestExperimentLearningCurve -v
func TestExperimentLearningCurve(t *testing.T) {
	if os.Getenv("HOTLINE_CV_CURVE") == "" {
		t.Skip("set HOTLINE_CV_CURVE=1 to print the learning curve")
	}
	ex := teddyExamples(t)
	opts := TrainOptions{NoCalibration: true}.withDefaults()
	d, err := prepare(ex, opts.Features)
	if err != nil {
		t.Fatal(err)
	}
	K := len(d.labels)
	for _, quarters := range []int{1, 2, 3, 4} {
		var accs, f1s []float64
		n := 0
		for _, seed := range []int64{1, 2, 3} {
			all := make([]int, len(ex))
			for i := range all {
				all[i] = i
			}
			parts := stratifiedFolds(all, d.y, 5, seed)
			prob := make([][]float64, len(ex))
			for f := range parts {
				var trainIdx []int
				for g := range parts {
					if g != f {
						trainIdx = append(trainIdx, parts[g]...)
					}
				}
				// A stratified share of the training fold.
				sub := stratifiedFolds(trainIdx, d.y, 4, seed+100)
				trainIdx = nil
				for _, p := range sub[:quarters] {
					trainIdx = append(trainIdx, p...)
				}
				n = len(trainIdx)
				m := d.train(trainIdx, opts)
				for _, j := range parts[f] {
					prob[j] = m.scores(m.vocab.vectorize(d.counts[j], m.weighting))
				}
			}
			acc, f1 := scorePreds(prob, d.y, K)
			accs = append(accs, acc)
			f1s = append(f1s, f1)
		}
		t.Logf("%d/4 of each training fold (%d messages): acc %s mean %.4f | F1 %s mean %.4f", quarters, n, fmtList(accs), mean(accs), fmtList(f1s), mean(f1s))
	}
}
