package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"hotline/internal/textproc"
)

// parseOpts reads a classifier configuration as the docs write it:
// "algo=svm,C=0.5,char=1-3,minDF=2,nowords,nobigrams,lambda=1e-5,alpha=0.1,epochs=30".
func parseOpts(s string) (textproc.TrainOptions, error) {
	var o textproc.TrainOptions
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "algo":
			o.Algorithm = v
		case "C":
			_, err = fmt.Sscan(v, &o.C)
		case "lambda":
			_, err = fmt.Sscan(v, &o.Lambda)
		case "alpha":
			_, err = fmt.Sscan(v, &o.Alpha)
		case "epochs":
			_, err = fmt.Sscan(v, &o.Epochs)
		case "minDF":
			_, err = fmt.Sscan(v, &o.MinDF)
		case "char":
			_, err = fmt.Sscanf(v, "%d-%d", &o.Features.CharMin, &o.Features.CharMax)
		case "nowords":
			o.Features.NoWords = true
		case "maxrunes":
			_, err = fmt.Sscan(v, &o.Features.MaxRunes)
		case "cw":
			_, err = fmt.Sscan(v, &o.ClassWeight)
		case "ra":
			_, err = fmt.Sscan(v, &o.RatioAlpha)
		case "rp":
			_, err = fmt.Sscan(v, &o.RatioPower)
		case "tw":
			_, err = fmt.Sscan(v, &o.Features.TitleWeight)
		case "tchar":
			_, err = fmt.Sscan(v, &o.Features.TitleCharMax)
		case "nocal":
			o.NoCalibration = true
		case "notitle":
			o.Features.NoTitle = true
		case "nobigrams":
			o.Features.NoWordBigrams = true
		case "":
		default:
			return o, fmt.Errorf("unknown option %q in %q", k, s)
		}
		if err != nil {
			return o, fmt.Errorf("option %q: %v", kv, err)
		}
	}
	return o, nil
}

// runCV prints the cross-validation report of each algorithm: the source
// of the comparison table in docs/intelligence.md.
func runCV(l *lab, args []string) error {
	c := newClassifierFlags("cv", "1")
	algos := c.fs.String("algos", "nb,logreg,svm,nbsvm", "algorithms, comma-separated")
	if err := c.parse(l, args); err != nil {
		return err
	}
	var cfgs []string
	for _, a := range strings.Split(*algos, ",") {
		cfgs = append(cfgs, "algo="+a)
	}
	return c.crossValidate(cfgs, func(cfg string, seed int64, rep textproc.Report, took time.Duration) {
		fmt.Printf("%s, fold seed %d (%v)\n%s\n", cfg, seed, took, rep)
	})
}

// runConfigs cross-validates option sets (separated by ";"), one line each.
func runConfigs(l *lab, args []string) error {
	c := newClassifierFlags("configs", "1")
	if err := c.parse(l, args); err != nil {
		return err
	}
	cfgs := strings.Join(c.fs.Args(), ";")
	if cfgs == "" {
		return fmt.Errorf("configs: name the option sets, e.g. textlab configs 'algo=nb,nocal;algo=nbsvm,nocal'")
	}
	return c.crossValidate(strings.Split(cfgs, ";"), func(cfg string, seed int64, rep textproc.Report, took time.Duration) {
		fmt.Printf("%-50s seed %d acc %.4f macroF1 %.4f ECE %.4f (%v)\n", cfg, seed, rep.Accuracy, rep.MacroF1, rep.ECE, took)
	})
}

// crossValidate runs textproc.CrossValidate for each configuration and
// fold seed and hands each report to show.
func (c *classifierFlags) crossValidate(cfgs []string, show func(cfg string, seed int64, rep textproc.Report, took time.Duration)) error {
	for _, cfg := range cfgs {
		opts, err := parseOpts(cfg)
		if err != nil {
			return err
		}
		for _, seed := range c.seedsOK {
			start := time.Now()
			rep := textproc.CrossValidate(c.ex, *c.folds, opts, seed)
			if rep.Err != nil {
				return rep.Err
			}
			show(cfg, seed, rep, time.Since(start).Round(time.Millisecond))
		}
	}
	return nil
}

// corpora prepares one textproc.Corpus per feature set, on demand.
type corpora struct {
	ex []textproc.Example
	mu sync.Mutex
	by map[textproc.FeatureOptions]*textproc.Corpus
}

func (cs *corpora) get(fo textproc.FeatureOptions) (*textproc.Corpus, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c, ok := cs.by[fo]; ok {
		return c, nil
	}
	c, err := textproc.NewCorpus(cs.ex, fo)
	if err != nil {
		return nil, err
	}
	if cs.by == nil {
		cs.by = map[textproc.FeatureOptions]*textproc.Corpus{}
	}
	cs.by[fo] = c
	return c, nil
}

// trainFolds returns, for each fold, the indexes of the other folds.
func trainFolds(parts [][]int) [][]int {
	train := make([][]int, len(parts))
	for f := range parts {
		for g := range parts {
			if g != f {
				train[f] = append(train[f], parts[g]...)
			}
		}
	}
	return train
}

// runEnsemble cross-validates ensembles (separated by ";"), each a list of
// member configurations separated by "+"; the members' calibrated
// probabilities are averaged.
func runEnsemble(l *lab, args []string) error {
	c := newClassifierFlags("ensemble", "1,2,3")
	if err := c.parse(l, args); err != nil {
		return err
	}
	spec := strings.Join(c.fs.Args(), ";")
	if spec == "" {
		return fmt.Errorf("ensemble: name the ensembles, e.g. textlab ensemble 'algo=nbsvm;algo=nbsvm+algo=logreg'")
	}
	cs := &corpora{ex: c.ex}
	for _, ens := range strings.Split(spec, ";") {
		start := time.Now()
		var members []textproc.TrainOptions
		for _, m := range strings.Split(ens, "+") {
			o, err := parseOpts(m)
			if err != nil {
				return err
			}
			members = append(members, o)
		}
		var accs, f1s []float64
		for _, seed := range c.seedsOK {
			c0, err := cs.get(members[0].Features)
			if err != nil {
				return err
			}
			parts := c0.Folds(*c.folds, seed)
			train := trainFolds(parts)
			K := len(c0.Labels())
			prob := make([][]float64, len(c.ex))
			for i := range prob {
				prob[i] = make([]float64, K)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			sem := make(chan struct{}, 2) // two models at a time: both cores, bounded memory
			for f := range parts {
				for _, mo := range members {
					cm, err := cs.get(mo.Features)
					if err != nil {
						return err
					}
					wg.Add(1)
					sem <- struct{}{}
					go func() {
						defer func() { <-sem; wg.Done() }()
						m := cm.Train(train[f], mo)
						for _, j := range parts[f] {
							s := cm.Probabilities(m, j)
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
			acc, f1 := scorePreds(prob, c0.Classes(), K)
			accs = append(accs, acc)
			f1s = append(f1s, f1)
		}
		fmt.Printf("%-70s acc %s mean %.4f | F1 %s mean %.4f (%v)\n", ens, fmtList(accs), mean(accs), fmtList(f1s), mean(f1s), time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// runErrors prints the confusion matrix of the default model without
// calibration (rows the true class, columns the predicted one).
func runErrors(l *lab, args []string) error {
	c := newClassifierFlags("errors", "1")
	if err := c.parse(l, args); err != nil {
		return err
	}
	for _, seed := range c.seedsOK {
		rep := textproc.CrossValidate(c.ex, *c.folds, textproc.TrainOptions{NoCalibration: true}, seed)
		if rep.Err != nil {
			return rep.Err
		}
		fmt.Printf("fold seed %d: accuracy %.4f\n", seed, rep.Accuracy)
		for i, row := range rep.Confusion {
			fmt.Printf("%-8s %v\n", rep.Labels[i], row)
		}
	}
	return nil
}

// runKNN blends the model's calibrated probabilities with a k-nearest-
// neighbour vote (cosine of the TF-IDF vectors) for several blend weights.
func runKNN(l *lab, args []string) error {
	c := newClassifierFlags("knn", "1,2,3")
	optsFlag := c.fs.String("opts", "", "the model's options (as configs takes them; default the product's)")
	ksFlag := c.fs.String("k", "3,10", "neighbour counts, comma-separated")
	if err := c.parse(l, args); err != nil {
		return err
	}
	opts, err := parseOpts(*optsFlag)
	if err != nil {
		return err
	}
	ks64, err := seedList(*ksFlag)
	if err != nil {
		return err
	}
	corpus, err := textproc.NewCorpus(c.ex, opts.Features)
	if err != nil {
		return err
	}
	y := corpus.Classes()
	K := len(corpus.Labels())
	lambdas := []float64{0, 0.1, 0.2, 0.3, 0.5}
	for _, kk := range ks64 {
		accs, f1s := make([][]float64, len(lambdas)), make([][]float64, len(lambdas))
		for _, seed := range c.seedsOK {
			parts := corpus.Folds(*c.folds, seed)
			train := trainFolds(parts)
			pm := make([][]float64, len(c.ex))
			pk := make([][]float64, len(c.ex))
			for f := range parts {
				m := corpus.Train(train[f], opts)
				tv := make([]map[int32]float32, len(train[f]))
				for i, j := range train[f] {
					tv[i] = corpus.Vector(m, j)
				}
				for _, j := range parts[f] {
					pm[j] = corpus.Probabilities(m, j)
					pk[j] = neighbourVote(corpus.Vector(m, j), tv, train[f], y, K, int(kk))
				}
			}
			for li, lam := range lambdas {
				prob := make([][]float64, len(c.ex))
				for j := range prob {
					prob[j] = make([]float64, K)
					for k := range K {
						prob[j][k] = (1-lam)*pm[j][k] + lam*pk[j][k]
					}
				}
				a, f1 := scorePreds(prob, y, K)
				accs[li] = append(accs[li], a)
				f1s[li] = append(f1s[li], f1)
			}
		}
		for li, lam := range lambdas {
			fmt.Printf("k=%d λ=%.1f acc %s mean %.4f | F1 %s mean %.4f\n", kk, lam, fmtList(accs[li]), mean(accs[li]), fmtList(f1s[li]), mean(f1s[li]))
		}
	}
	return nil
}

// neighbourVote is the similarity-weighted class vote of q's k most similar
// training vectors tv (whose examples are trainIdx).
func neighbourVote(q map[int32]float32, tv []map[int32]float32, trainIdx, y []int, K, k int) []float64 {
	type nb struct {
		sim float64
		y   int
	}
	best := make([]nb, len(tv))
	for i, v := range tv {
		var sim float64
		for id, x := range q {
			sim += float64(x * v[id])
		}
		best[i] = nb{sim, y[trainIdx[i]]}
	}
	slices.SortFunc(best, func(a, b nb) int { return cmp.Compare(b.sim, a.sim) }) // most similar first
	p := make([]float64, K)
	tot := 0.0
	for _, b := range best[:min(k, len(best))] {
		p[b.y] += b.sim
		tot += b.sim
	}
	for c := range p {
		p[c] /= max(tot, 1e-9)
	}
	return p
}

// runCurve cross-validates the default model (without calibration, which
// does not change accuracy) trained on a quarter, half, three quarters and
// all of each training fold: how much more labelled data would still help.
func runCurve(l *lab, args []string) error {
	c := newClassifierFlags("curve", "1,2,3")
	if err := c.parse(l, args); err != nil {
		return err
	}
	opts := textproc.TrainOptions{NoCalibration: true}
	corpus, err := textproc.NewCorpus(c.ex, opts.Features)
	if err != nil {
		return err
	}
	y := corpus.Classes()
	K := len(corpus.Labels())
	for _, quarters := range []int{1, 2, 3, 4} {
		var accs, f1s []float64
		n := 0
		for _, seed := range c.seedsOK {
			parts := corpus.Folds(*c.folds, seed)
			prob := make([][]float64, len(c.ex))
			for f, trainIdx := range trainFolds(parts) {
				// A stratified share of the training fold.
				sub := corpus.Split(trainIdx, 4, seed+100)
				trainIdx = nil
				for _, p := range sub[:quarters] {
					trainIdx = append(trainIdx, p...)
				}
				n = len(trainIdx)
				m := corpus.Train(trainIdx, opts)
				for _, j := range parts[f] {
					prob[j] = corpus.Probabilities(m, j)
				}
			}
			acc, f1 := scorePreds(prob, y, K)
			accs = append(accs, acc)
			f1s = append(f1s, f1)
		}
		fmt.Printf("%d/4 of each training fold (%d messages): acc %s mean %.4f | F1 %s mean %.4f\n", quarters, n, fmtList(accs), mean(accs), fmtList(f1s), mean(f1s))
	}
	return nil
}

// scorePreds is the accuracy and macro-F1 of the most probable class.
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
