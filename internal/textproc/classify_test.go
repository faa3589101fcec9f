package textproc

import (
	"bytes"
	"hotline/internal/textproc/textdata"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// teddyExamples loads the labelled Teddy messages: title and body joined,
// label 一级标签.
func teddyExamples(t testing.TB) []Example {
	t.Helper()
	rows, err := textdata.TeddyLabelled(sharedData(t), "")
	rows = loaded(t, rows, err)
	ex := make([]Example, len(rows))
	for i, r := range rows {
		ex[i] = Example(r)
	}
	return ex
}

var (
	teddyModelOnce sync.Once
	teddyModel     *Model
	teddyModelErr  error
)

// trainedTeddy trains the default model on all labelled Teddy messages once
// per test binary.
func trainedTeddy(t testing.TB) (*Model, []Example) {
	t.Helper()
	ex := teddyExamples(t)
	teddyModelOnce.Do(func() {
		teddyModel, teddyModelErr = Train(ex, TrainOptions{Seed: 1})
	})
	if teddyModelErr != nil {
		t.Fatal(teddyModelErr)
	}
	return teddyModel, ex
}

// TestClassifierQuality guards against regressions: 5-fold cross-validated
// accuracy and macro-F1 of the default classifier on the Teddy messages must
// stay >= 0.87 (they are 0.88–0.89 over three fold seeds; the target is 0.90).
func TestClassifierQuality(t *testing.T) {
	beside(t)
	ex := teddyExamples(t)
	rep := CrossValidate(ex, 5, TrainOptions{}, 1)
	if rep.Err != nil {
		t.Fatal(rep.Err)
	}
	t.Logf("\n%s", rep)
	if rep.Accuracy < 0.87 {
		t.Errorf("5-fold accuracy %.4f < 0.87", rep.Accuracy)
	}
	if rep.MacroF1 < 0.87 {
		t.Errorf("5-fold macro-F1 %.4f < 0.87", rep.MacroF1)
	}
	if len(rep.PerClass) != 7 {
		t.Errorf("want 7 classes, got %d", len(rep.PerClass))
	}
}

func TestModelSaveLoadRoundTrip(t *testing.T) {
	beside(t)
	m, ex := trainedTeddy(t)
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved model: %d bytes, %d features", buf.Len(), len(m.vocab.terms))
	m2, err := LoadModel(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Labels(), m2.Labels()) || m2.Algorithm() != m.Algorithm() {
		t.Fatalf("labels/algorithm differ after round trip")
	}
	for _, e := range ex[:100] {
		l1, c1 := m.Predict(e.Text)
		l2, c2 := m2.Predict(e.Text)
		if l1 != l2 || c1 != c2 {
			t.Fatalf("prediction differs after round trip: %s %.6f vs %s %.6f", l1, c1, l2, c2)
		}
	}
	if _, err := LoadModel(strings.NewReader("not a model")); err == nil {
		t.Error("LoadModel accepted garbage")
	}
}

// TestTrainDeterministic: the same seed gives the same model bytes and the
// same cross-validation. 200 messages (all seven subjects) show it as well
// as the 400 it took before (issue 13: eight trainings, 15 s at load 15).
func TestTrainDeterministic(t *testing.T) {
	beside(t)
	ex := teddyExamples(t)[:200]
	save := func(seed int64) []byte {
		m, err := Train(ex, TrainOptions{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := m.Save(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b := save(7), save(7)
	if !bytes.Equal(a, b) {
		t.Error("two trainings with the same seed gave different models")
	}
	r1 := CrossValidate(ex, 3, TrainOptions{Algorithm: AlgoLogReg, NoCalibration: true}, 3)
	r2 := CrossValidate(ex, 3, TrainOptions{Algorithm: AlgoLogReg, NoCalibration: true}, 3)
	if r1.Accuracy != r2.Accuracy || r1.MacroF1 != r2.MacroF1 {
		t.Errorf("cross-validation not reproducible: %.6f vs %.6f", r1.Accuracy, r2.Accuracy)
	}
}

func TestPredictAPI(t *testing.T) {
	m, ex := trainedTeddy(t)
	top := m.TopK(ex[0].Text, 3)
	if len(top) != 3 {
		t.Fatalf("TopK(3) returned %d", len(top))
	}
	label, conf := m.Predict(ex[0].Text)
	if top[0].Label != label || top[0].Confidence != conf {
		t.Errorf("TopK[0] %v differs from Predict %s %.4f", top[0], label, conf)
	}
	sum := 0.0
	for _, p := range m.TopK(ex[0].Text, 100) {
		if p.Confidence < 0 || p.Confidence > 1 {
			t.Errorf("confidence %v out of [0,1]", p.Confidence)
		}
		sum += p.Confidence
	}
	if sum < 0.999 || sum > 1.001 {
		t.Errorf("confidences sum to %v", sum)
	}
	for i := 1; i < len(top); i++ {
		if top[i].Confidence > top[i-1].Confidence {
			t.Errorf("TopK not sorted: %v", top)
		}
	}
	if l, c := m.Predict(""); l == "" || c <= 0 {
		t.Errorf("empty text: %q %v", l, c)
	}
	if _, err := Train([]Example{{"a", "x"}}, TrainOptions{}); err == nil {
		t.Error("Train with one label should fail")
	}
	if _, err := Train(ex[:10], TrainOptions{Algorithm: "bogus"}); err == nil {
		t.Error("unknown algorithm should fail")
	}
}

// TestPredictLatency times single predictions of real messages and reports
// the percentiles; the budget is 2 ms at p99 per order. The segmenter's
// cache of recent cuts is emptied before each call, so every message is
// segmented afresh, as a new order's text would be.
func TestPredictLatency(t *testing.T) {
	m, ex := trainedTeddy(t)
	seg := Default()
	for _, e := range ex[:50] { // warm the model's scratch buffers
		m.Predict(e.Text)
	}
	runtime.GC()
	// Five rounds over all messages: the first round's times are single
	// calls as they came; the best of the five rounds per message leaves
	// out most of the waiting for a core when the machine is busy.
	const rounds = 5
	first := make([]time.Duration, len(ex))
	best := make([]time.Duration, len(ex))
	for r := range rounds {
		for i, e := range ex {
			seg.recent.clear()
			start := time.Now()
			m.Predict(e.Text)
			el := time.Since(start)
			if r == 0 {
				first[i], best[i] = el, el
			}
			best[i] = min(best[i], el)
		}
	}
	pct := func(d []time.Duration, q float64) time.Duration { return d[int(q*float64(len(d)-1))] }
	slices.Sort(first)
	slices.Sort(best)
	d := first
	p := func(q float64) time.Duration { return pct(d, q) }
	t.Logf("Predict latency over %d messages, single calls: p50 %v p90 %v p99 %v max %v", len(d), p(0.5), p(0.9), p(0.99), d[len(d)-1])
	t.Logf("best of %d calls per message: p50 %v p90 %v p99 %v max %v", rounds, pct(best, 0.5), pct(best, 0.9), pct(best, 0.99), best[len(best)-1])
	if avg, err := os.ReadFile("/proc/loadavg"); err == nil {
		t.Logf("load average: %s", strings.TrimSpace(string(avg)))
	}
	// Wall-clock percentiles depend on what else the machine runs, so the
	// test only fails on a regression no neighbour could cause: a median
	// ten times the 2 ms budget.
	if !race && p(0.5) > 20*time.Millisecond {
		t.Errorf("median Predict latency %v: something became very slow", p(0.5))
	}
}

func BenchmarkPredict(b *testing.B) {
	m, ex := trainedTeddy(b)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		m.Predict(ex[i%len(ex)].Text)
		i++
	}
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

func BenchmarkTrain(b *testing.B) {
	ex := teddyExamples(b)
	for b.Loop() {
		if _, err := Train(ex, TrainOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVectorizePathsAgree checks that prediction's direct text-to-vector
// path produces exactly the vectors training builds from term counts.
func TestVectorizePathsAgree(t *testing.T) {
	m, ex := trainedTeddy(t)
	seg := Default()
	for _, e := range ex[:200] {
		text := Redact(e.Text)
		a := m.vocab.vectorize(termCounts(seg, text, m.features), m.weighting)
		b := m.vocab.vectorizeText(seg, text, m.features, m.weighting, &scratch{})
		if !slices.Equal(a.idx, b.idx) || !slices.Equal(a.val, b.val) {
			t.Fatalf("vectors differ for a message of %d bytes", len(text))
		}
	}
}
