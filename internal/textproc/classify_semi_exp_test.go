package textproc

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
)

// teddyUnlabeled returns the unlabelled messages of the same petition
// board (hotspot_messages_train.csv and the questions of
// replies_train.csv: title + body, never the user column or the reply),
// without any message that is also in messages_labeled_train.csv (same
// 留言编号, same title or same start of the body) and without repeats, so
// that no labelled test message can enter training through this pool.
func teddyUnlabeled(t testing.TB) []string {
	t.Helper()
	lab := readCSV(t, "teddy2020c/messages_labeled_train.csv")
	ids, titles, bodies := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range lab {
		ids[r["留言编号"]] = true
		titles[normKey(r["留言主题"], 1000)] = true
		bodies[normKey(r["留言详情"], 60)] = true
	}
	seen := map[string]bool{}
	var out []string
	dropped := 0
	for _, f := range []string{"teddy2020c/hotspot_messages_train.csv", "teddy2020c/replies_train.csv"} {
		for _, r := range readCSV(t, f) {
			tk, bk := normKey(r["留言主题"], 1000), normKey(r["留言详情"], 60)
			if ids[r["留言编号"]] || titles[tk] || (bk != "" && bodies[bk]) {
				dropped++
				continue
			}
			if seen[tk+"\x00"+bk] {
				continue
			}
			seen[tk+"\x00"+bk] = true
			out = append(out, r["留言主题"]+"\n"+r["留言详情"])
		}
	}
	if testing.Verbose() {
		t.Logf("unlabelled pool: %d messages (%d dropped as also labelled)", len(out), dropped)
	}
	return out
}

// normKey is the first n letters and digits of s: a key that ignores
// spacing and punctuation.
func normKey(s string, n int) string {
	var b strings.Builder
	i := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			i++
			if i == n {
				break
			}
		}
	}
	return b.String()
}

// taxonomyExamples turns label_taxonomy.csv into one short pseudo-example
// per path: "二级 三级" as title and body, labelled with the 一级分类.
func taxonomyExamples(t testing.TB) []Example {
	var out []Example
	for _, r := range readCSV(t, "teddy2020c/label_taxonomy.csv") {
		s := r["二级分类"] + " " + r["三级分类"]
		out = append(out, Example{Text: s + "\n" + s, Label: r["一级分类"]})
	}
	return out
}

// TestExperimentSemi cross-validates option sets (HOTLINE_CV_SEMI, ";"
// separated, options as in parseOpts) with the unlabelled pool and the
// taxonomy pseudo-examples available to training, over fold seeds 1–3
// (HOTLINE_CV_SEEDLIST for others). Only labelled messages are ever
// scored; the unlabelled pool never contains a labelled message.
//
//	HOTLINE_CV_SEMI='algo=nbsvm,nocal;algo=nbsvm,nocal,st=0.9' go test ./internal/textproc -run TestExperimentSemi -v -timeout 60m
func TestExperimentSemi(t *testing.T) {
	spec := os.Getenv("HOTLINE_CV_SEMI")
	if spec == "" {
		t.Skip("set HOTLINE_CV_SEMI to compare semi-supervised option sets")
	}
	ex := teddyExamples(t)
	pool := teddyUnlabeled(t)
	tax := taxonomyExamples(t)
	seeds := []int64{1, 2, 3}
	if v := os.Getenv("HOTLINE_CV_SEEDLIST"); v != "" {
		seeds = nil
		for _, f := range strings.Split(v, ",") {
			var s int64
			fmt.Sscan(f, &s)
			seeds = append(seeds, s)
		}
	}
	datasets := map[FeatureOptions]*dataset{}
	for _, cfg := range strings.Split(spec, ";") {
		start := time.Now()
		// "frac=F|" before the options keeps only that share of each
		// training fold (a learning curve).
		frac := 1.0
		if f, rest, ok := strings.Cut(cfg, "|"); ok {
			fmt.Sscanf(f, "frac=%g", &frac)
			cfg = rest
		}
		opts := parseOpts(t, cfg).withDefaults()
		d, ok := datasets[opts.Features]
		if !ok {
			var err error
			d, err = prepare(ex, opts.Features)
			if err != nil {
				t.Fatal(err)
			}
			d.addUnlabeled(pool)
			n := d.addAux(tax)
			t.Logf("taxonomy: %d of %d paths under the labelled classes", n, len(tax))
			datasets[opts.Features] = d
		}
		K := len(d.labels)
		var accs, f1s []float64
		perClass := make([]float64, K)
		for _, seed := range seeds {
			all := make([]int, len(ex))
			for i := range all {
				all[i] = i
			}
			parts := stratifiedFolds(all, d.y, 5, seed)
			prob := make([][]float64, len(ex))
			var wg sync.WaitGroup
			sem := make(chan struct{}, 2)
			for f := range parts {
				var trainIdx []int
				for g := range parts {
					if g != f {
						trainIdx = append(trainIdx, parts[g]...)
					}
				}
				if frac < 1 {
					sub := stratifiedFolds(trainIdx, d.y, 20, seed+100)
					trainIdx = nil
					for _, p := range sub[:int(frac*20+0.5)] {
						trainIdx = append(trainIdx, p...)
					}
				}
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					m := d.train(trainIdx, opts)
					for _, j := range parts[f] {
						s := m.scores(m.vocab.vectorize(d.counts[j], m.weighting))
						prob[j] = s
					}
				}()
			}
			wg.Wait()
			acc, f1 := scorePreds(prob, d.y, K)
			accs = append(accs, acc)
			f1s = append(f1s, f1)
			for k, v := range classF1(prob, d.y, K) {
				perClass[k] += v / float64(len(seeds))
			}
		}
		var pc strings.Builder
		for k, v := range perClass {
			fmt.Fprintf(&pc, " %s %.3f", d.labels[k], v)
		}
		if frac < 1 {
			cfg = fmt.Sprintf("frac=%g|%s", frac, cfg)
		}
		t.Logf("%-40s acc %s mean %.4f | F1 %s mean %.4f (%v)\n    per-class F1 (mean):%s", cfg, fmtList(accs), mean(accs), fmtList(f1s), mean(f1s), time.Since(start).Round(time.Millisecond), pc.String())
	}
}

// classF1 is the F1 of each class of pooled predictions (argmax of prob).
func classF1(prob [][]float64, y []int, K int) []float64 {
	tp, pr, ac := make([]float64, K), make([]float64, K), make([]float64, K)
	for i, p := range prob {
		best := 0
		for k := range p {
			if p[k] > p[best] {
				best = k
			}
		}
		pr[best]++
		ac[y[i]]++
		if best == y[i] {
			tp[best]++
		}
	}
	out := make([]float64, K)
	for k := range K {
		if tp[k] > 0 {
			out[k] = 2 * tp[k] / (pr[k] + ac[k])
		}
	}
	return out
}

// wordClusters groups the word features of the unlabelled texts into nc
// clusters: spherical k-means of their LSA vectors (dims dimensions, from
// the pool's word TF-IDF matrix; words in at least 3 texts). It returns
// word feature key → cluster.
func wordClusters(unl []map[string]int, dims, nc int, seed uint64) map[string]int {
	var wdocs []map[string]int
	for _, c := range unl {
		w := map[string]int{}
		for k, v := range c {
			if strings.HasPrefix(k, prefWord) {
				w[k] = v
			}
		}
		wdocs = append(wdocs, w)
	}
	voc := buildVocabulary(wdocs, 3)
	rows := make([]sparseVec, len(wdocs))
	for i, c := range wdocs {
		rows[i] = voc.vectorize(c, weightTFIDF)
	}
	D := len(voc.terms)
	rng := rand.New(rand.NewPCG(seed, 7))
	b := newLSABasis(rows, D, dims, rng)
	k := b.k
	vec := make([][]float64, D)
	for f := range D {
		v := slices.Clone(b.v[f*k : f*k+k])
		var n float64
		for _, x := range v {
			n += x * x
		}
		n = math.Sqrt(n)
		if n > 0 {
			for j := range v {
				v[j] /= n
			}
		}
		vec[f] = v
	}
	cent := make([][]float64, nc)
	for c := range cent {
		cent[c] = slices.Clone(vec[rng.IntN(D)])
	}
	assign := make([]int, D)
	for range 20 {
		for f, v := range vec {
			best, bs := 0, math.Inf(-1)
			for c, ce := range cent {
				var s float64
				for j, x := range v {
					s += x * ce[j]
				}
				if s > bs {
					best, bs = c, s
				}
			}
			assign[f] = best
		}
		for c := range cent {
			clear(cent[c])
		}
		for f, v := range vec {
			for j, x := range v {
				cent[assign[f]][j] += x
			}
		}
		for c, ce := range cent {
			var n float64
			for _, x := range ce {
				n += x * x
			}
			if n == 0 {
				cent[c] = slices.Clone(vec[rng.IntN(D)])
				continue
			}
			n = math.Sqrt(n)
			for j := range ce {
				ce[j] /= n
			}
		}
	}
	out := make(map[string]int, D)
	for f, t := range voc.terms {
		out[t] = assign[f]
	}
	return out
}

// TestExperimentWordClusters adds word-cluster features (clusters learned from
// the unlabelled pool only) to every labelled text and cross-validates the
// options in HOTLINE_CV_CLUSTERS ("dims,clusters|options;...").
func TestExperimentWordClusters(t *testing.T) {
	spec := os.Getenv("HOTLINE_CV_CLUSTERS")
	if spec == "" {
		t.Skip("set HOTLINE_CV_CLUSTERS to try word-cluster features")
	}
	ex := teddyExamples(t)
	pool := teddyUnlabeled(t)
	seeds := []int64{1, 2, 3}
	if v := os.Getenv("HOTLINE_CV_SEEDLIST"); v != "" {
		seeds = nil
		for _, f := range strings.Split(v, ",") {
			var s int64
			fmt.Sscan(f, &s)
			seeds = append(seeds, s)
		}
	}
	for _, cfg := range strings.Split(spec, ";") {
		start := time.Now()
		cl, rest, _ := strings.Cut(cfg, "|")
		var dims, nc int
		fmt.Sscanf(cl, "%d,%d", &dims, &nc)
		opts := parseOpts(t, rest).withDefaults()
		d, err := prepare(ex, opts.Features)
		if err != nil {
			t.Fatal(err)
		}
		if opts.AuxWeight > 0 {
			d.addAux(taxonomyExamples(t))
		}
		if nc > 0 {
			d.addUnlabeled(pool)
			clusters := wordClusters(d.unl, dims, nc, 1)
			d.unl = nil
			for _, docs := range [][]map[string]int{d.counts, d.aux} {
				for i, c := range docs {
					aug := maps.Clone(c)
					for k, v := range c {
						if cid, ok := clusters[k]; ok {
							aug[fmt.Sprintf("\x05%d", cid)] += v
						}
					}
					docs[i] = aug
				}
			}
		}
		K := len(d.labels)
		var accs, f1s []float64
		for _, seed := range seeds {
			all := make([]int, len(ex))
			for i := range all {
				all[i] = i
			}
			parts := stratifiedFolds(all, d.y, 5, seed)
			prob := make([][]float64, len(ex))
			var wg sync.WaitGroup
			for f := range parts {
				var trainIdx []int
				for g := range parts {
					if g != f {
						trainIdx = append(trainIdx, parts[g]...)
					}
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					m := d.train(trainIdx, opts)
					for _, j := range parts[f] {
						prob[j] = m.scores(m.vocab.vectorize(d.counts[j], m.weighting))
					}
				}()
			}
			wg.Wait()
			acc, f1 := scorePreds(prob, d.y, K)
			accs = append(accs, acc)
			f1s = append(f1s, f1)
		}
		t.Logf("%-40s acc %s mean %.4f | F1 %s mean %.4f (%v)", cfg, fmtList(accs), mean(accs), fmtList(f1s), mean(f1s), time.Since(start).Round(time.Millisecond))
	}
}
