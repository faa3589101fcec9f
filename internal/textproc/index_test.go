package textproc

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestIndexBasics(t *testing.T) {
	ix := NewIndex()
	ix.Add("a", "三江小区29号楼群租\n三江小区29号楼有人群租，一套房住了二十多人")
	ix.Add("b", "路灯坏了\n宾阳路月河路口的路灯坏了一个星期")
	ix.Add("c", "咨询养老金\n退休人员养老金什么时候调整")
	got := ix.Similar("宾阳路路灯不亮\n宾阳路和月河路口路灯坏了，晚上很黑", 2)
	if len(got) == 0 || got[0].ID != "b" {
		t.Fatalf("Similar = %v, want b first", got)
	}
	if same := ix.Similar("路灯坏了\n宾阳路月河路口的路灯坏了一个星期", 1); len(same) != 1 || same[0].Score < 0.999 {
		t.Errorf("identical text: %v, want score 1", same)
	}
	for _, m := range got {
		if m.Score <= 0 || m.Score > 1 {
			t.Errorf("score out of range: %v", m)
		}
	}
	ix.Remove("b")
	ix.Remove("nope")
	if got := ix.Similar("宾阳路路灯不亮", 3); slices.ContainsFunc(got, func(m Match) bool { return m.ID == "b" }) {
		t.Errorf("removed document still found: %v", got)
	}
	ix.Add("a", "路灯坏了\n宾阳路月河路口的路灯坏了") // replaces a
	if ix.Len() != 2 {
		t.Errorf("Len = %d, want 2", ix.Len())
	}
	if got := ix.Similar("宾阳路路灯不亮", 1); len(got) != 1 || got[0].ID != "a" {
		t.Errorf("after replacing a: %v", got)
	}
	if got := ix.Similar("的了", 3); got != nil {
		t.Errorf("stop words only: %v", got)
	}
	if got := ix.Similar("路灯", 0); got != nil {
		t.Errorf("k=0: %v", got)
	}
}

func TestIndexCompaction(t *testing.T) {
	beside(t)
	ix := NewIndex()
	texts := realTexts(t)[:4000]
	for i, s := range texts {
		ix.Add(fmt.Sprint(i), s)
	}
	for i := 0; i < len(texts); i += 2 {
		ix.Remove(fmt.Sprint(i))
	}
	if len(ix.ids) == len(texts) {
		t.Fatalf("compaction never ran: %d removed of %d", ix.removed, len(ix.ids))
	}
	if ix.Len() != len(texts)/2 {
		t.Fatalf("Len = %d", ix.Len())
	}
	for i := 1; i < 200; i += 2 {
		got := ix.Similar(texts[i], 3)
		if !slices.ContainsFunc(got, func(m Match) bool { return m.ID == fmt.Sprint(i) }) {
			t.Fatalf("document %d not found by its own text after compaction: %v", i, got)
		}
		for _, m := range got {
			var n int
			fmt.Sscan(m.ID, &n)
			if n%2 == 0 {
				t.Fatalf("removed document %s returned", m.ID)
			}
		}
	}
}

func TestIndexConcurrent(t *testing.T) {
	ix := NewIndex()
	texts := realTexts(t)[:400]
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(texts); i += 4 {
				ix.Add(fmt.Sprint(i), texts[i])
				ix.Similar(texts[(i*7)%len(texts)], 5)
				if i%10 == 0 {
					ix.Remove(fmt.Sprint(i))
				}
			}
		}()
	}
	wg.Wait()
	if ix.Len() != 360 {
		t.Errorf("Len = %d, want 360", ix.Len())
	}
}

// charTrigramJaccard measures near-duplication independently of the
// index's own word features: shared character 3-grams / all 3-grams.
func charTrigramJaccard(a, b map[string]bool) float64 {
	inter := 0
	for g := range a {
		if b[g] {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

func trigrams(s string) map[string]bool {
	rs := []rune(s)
	m := make(map[string]bool, len(rs))
	for i := 0; i+3 <= len(rs); i++ {
		m[string(rs[i:i+3])] = true
	}
	return m
}

// TestIndexNearDuplicateRecall: in the gas complaints, find every pair of
// near-duplicate messages by brute force (character 3-gram Jaccard >= 0.5
// on the message body) and check the index returns the partner among the
// top 5 results for each side of each pair.
func TestIndexNearDuplicateRecall(t *testing.T) {
	beside(t)
	rows := readCSV(t, "peoples_daily_gas/complaints_train.csv")
	ix := NewIndex()
	grams := make([]map[string]bool, len(rows))
	texts := make([]string, len(rows))
	for i, r := range rows {
		texts[i] = r["title"] + "\n" + r["replyContentMain"]
		grams[i] = trigrams(r["replyContentMain"])
		ix.Add(r["replyID"], texts[i])
	}
	pairs, found := 0, 0
	var lowest float64 = 1
	for i := range rows {
		for j := i + 1; j < len(rows); j++ {
			if len(grams[i]) < 10 || charTrigramJaccard(grams[i], grams[j]) < 0.5 {
				continue
			}
			for _, side := range [][2]int{{i, j}, {j, i}} {
				pairs++
				for _, m := range ix.Similar(texts[side[0]], 5) {
					if m.ID == rows[side[1]]["replyID"] {
						found++
						lowest = min(lowest, m.Score)
						break
					}
				}
			}
		}
	}
	recall := float64(found) / float64(max(pairs, 1))
	t.Logf("near-duplicate pairs (directed): %d, partner in top 5: %d (recall %.3f), lowest partner score %.3f", pairs, found, recall, lowest)
	if pairs < 10 {
		t.Fatalf("only %d near-duplicate pairs: the data changed?", pairs)
	}
	if recall < 0.95 {
		t.Errorf("near-duplicate recall@5 %.3f < 0.95", recall)
	}
}

// shortDocs makes n short documents (a title and the first sentence or two
// of a perturbed real message), the shape of an order's title and summary.
func shortDocs(tb testing.TB, n int) []string {
	base := realTexts(tb)
	rng := rand.New(rand.NewPCG(3, 4))
	out := make([]string, n)
	for i := range out {
		s := perturb(rng, base[rng.IntN(len(base))])
		title, body, _ := strings.Cut(s, "\n")
		if rs := []rune(body); len(rs) > 60 {
			body = string(rs[:60])
		}
		out[i] = title + "\n" + body
	}
	return out
}

// bigIndexN is the size of the benchmark index; HOTLINE_BENCH_DOCS overrides
// it for quicker experiments.
func bigIndexN() int {
	if v := os.Getenv("HOTLINE_BENCH_DOCS"); v != "" {
		var n int
		fmt.Sscan(v, &n)
		return n
	}
	return 1_000_000
}

var (
	bigIndexOnce sync.Once
	bigIndex     *Index
	bigQueries   []string
	bigBuild     time.Duration
	bigHeap      float64
)

// BenchmarkIndexSimilar1M queries an index of 1,000,000 short documents
// (built once, ~a minute on two cores; target < 20 ms per query):
//
//	go test ./internal/textproc -run '^$' -bench IndexSimilar1M -benchtime 200x
func BenchmarkIndexSimilar1M(b *testing.B) {
	n := bigIndexN()
	bigIndexOnce.Do(func() {
		docs := shortDocs(b, n)
		bigQueries = shortDocs(b, 1000)
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		bigIndex = NewIndex()
		parallelFor(n, func(i int) { bigIndex.Add(fmt.Sprint(i), docs[i]) })
		bigBuild = time.Since(start)
		// Both measurements include the generated documents, so the
		// difference is the index alone.
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		bigHeap = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
		runtime.KeepAlive(docs)
	})
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		start := time.Now()
		bigIndex.Similar(bigQueries[i%len(bigQueries)], 10)
		lat = append(lat, time.Since(start))
		i++
	}
	b.StopTimer()
	b.ReportMetric(bigBuild.Seconds(), "build-s")
	b.ReportMetric(bigHeap, "index-MiB")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// TestIndexSimilarExactScores checks Similar against a brute-force cosine
// over every document, on real messages (long texts, so the query is cut to
// its heaviest words and the rest rescored): every score returned is the
// true cosine, and the top result is the brute-force top result for nearly
// every query.
func TestIndexSimilarExactScores(t *testing.T) {
	beside(t)
	texts := realTexts(t)
	n, nq := 3000, 150
	if race { // the same checks, smaller: the race detector is ~10x slower
		n, nq = 600, 40
	}
	texts = texts[:min(n, len(texts))]
	ix := NewIndex()
	vecs := make([]map[string]int, len(texts))
	for i, s := range texts {
		ix.Add(fmt.Sprint(i), s)
		vecs[i], _ = clusterTokens(ix.seg, s)
	}
	ix.mu.Lock()
	ix.recomputeNorms()
	ix.mu.Unlock()
	weights := func(c map[string]int) (map[string]float64, float64) {
		w := map[string]float64{}
		var n float64
		for term, k := range c {
			df := int32(0)
			if id, ok := ix.terms[term]; ok {
				df = ix.post[id].df
			}
			x := float64(tfWeight[min(k, 255)]) * ix.idf(df)
			w[term] = x
			n += x * x
		}
		return w, math.Sqrt(n)
	}
	docW := make([]map[string]float64, len(texts))
	docN := make([]float64, len(texts))
	for i := range texts {
		docW[i], docN[i] = weights(vecs[i])
	}
	rng := rand.New(rand.NewPCG(5, 6))
	queries, topSame, long := 0, 0, 0
	for range nq {
		q := perturb(rng, texts[rng.IntN(len(texts))])
		qc, _ := clusterTokens(ix.seg, q)
		if len(qc) > maxQueryTerms {
			long++
		}
		qw, qn := weights(qc)
		exact := func(d int) float64 {
			var dot float64
			for term, x := range qw {
				dot += x * docW[d][term]
			}
			return dot / qn / docN[d]
		}
		bestScore := -1.0
		for d := range texts {
			bestScore = max(bestScore, exact(d))
		}
		got := ix.Similar(q, 5)
		if len(got) == 0 {
			t.Fatalf("no result for a real message")
		}
		queries++
		for _, m := range got {
			var d int
			fmt.Sscan(m.ID, &d)
			if want := min(exact(d), 1); math.Abs(want-m.Score) > 1e-3 {
				t.Fatalf("doc %s scored %.4f, true cosine %.4f", m.ID, m.Score, want)
			}
		}
		if got[0].Score >= bestScore-1e-3 {
			topSame++
		}
	}
	t.Logf("%d queries (%d longer than %d words): top result as good as brute force in %d", queries, long, maxQueryTerms, topSame)
	if long < queries/4 {
		t.Fatalf("only %d long queries: the test no longer exercises rescoring", long)
	}
	if topSame < queries*97/100 {
		t.Errorf("top result matched brute force in %d of %d queries", topSame, queries)
	}
}
