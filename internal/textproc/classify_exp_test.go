package textproc

import (
	"fmt"
	"os"
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
