package textproc

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// realTexts gathers title+body of every real Chinese message in the shared
// data: the raw material for the synthetic corpora of the benchmarks.
func realTexts(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, r := range readCSV(tb, "teddy2020c/hotspot_messages_train.csv") {
		out = append(out, r["留言主题"]+"\n"+r["留言详情"])
	}
	for _, r := range readCSV(tb, "teddy2020c/messages_labeled_train.csv") {
		out = append(out, r["留言主题"]+"\n"+r["留言详情"])
	}
	for _, r := range readCSV(tb, "teddy2020c/replies_train.csv") {
		out = append(out, r["留言主题"]+"\n"+r["留言详情"])
	}
	for _, r := range readCSV(tb, "peoples_daily_gas/complaints_train.csv") {
		out = append(out, r["title"]+"\n"+r["replyContentMain"])
	}
	return out
}

// perturb returns a variant of a real message, as another resident might
// write about the same thing: some sentences dropped, the rest possibly
// reordered, digits and place letters changed.
func perturb(rng *rand.Rand, text string) string {
	title, body, _ := strings.Cut(text, "\n")
	sentences := strings.FieldsFunc(body, func(r rune) bool { return r == '。' || r == '！' || r == '？' || r == '\n' })
	kept := sentences[:0]
	for _, s := range sentences {
		if rng.Float64() > 0.25 {
			kept = append(kept, s)
		}
	}
	if rng.Float64() < 0.3 {
		rng.Shuffle(len(kept), func(i, j int) { kept[i], kept[j] = kept[j], kept[i] })
	}
	swap := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= '0' && r <= '9' && rng.Float64() < 0.3:
				return '0' + rune(rng.IntN(10))
			case r >= 'A' && r <= 'K' && rng.Float64() < 0.2:
				return 'A' + rune(rng.IntN(11))
			}
			return r
		}, s)
	}
	return swap(title) + "\n" + swap(strings.Join(kept, "。"))
}

// syntheticDocs builds n cluster inputs by replaying perturbed real
// messages over a year.
func syntheticDocs(tb testing.TB, n int) []ClusterDoc {
	base := realTexts(tb)
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	docs := make([]ClusterDoc, n)
	for i := range docs {
		text := base[i%len(base)]
		if i >= len(base) {
			text = perturb(rng, text)
		}
		docs[i] = ClusterDoc{ID: fmt.Sprint(i), Text: text, At: start.Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))}
	}
	return docs
}

// BenchmarkClusterAll100k clusters 100,000 messages (target: under 60 s on
// two cores). Run it alone, it takes a while:
//
//	go test ./internal/textproc -run '^$' -bench ClusterAll100k -benchtime 1x
func BenchmarkClusterAll100k(b *testing.B) {
	docs := syntheticDocs(b, 100_000)
	var bytes int64
	for _, d := range docs {
		bytes += int64(len(d.Text))
	}
	Default()
	for _, m := range []struct {
		name string
		opts ClusterOptions
	}{{"legacy", ClusterOptions{Legacy: true}}, {"place", ClusterOptions{}}, {"learnt", ClusterOptions{Places: learntPlaces(b)}}} {
		b.Run(m.name, func(b *testing.B) {
			b.SetBytes(bytes)
			cpu0 := cpuSeconds()
			for b.Loop() {
				c := ClusterAll(docs, m.opts)
				cs := c.Clusters(2)
				in := 0
				for _, cl := range cs {
					in += cl.Size
				}
				b.ReportMetric(float64(len(cs)), "clusters")
				b.ReportMetric(float64(in), "clustered")
			}
			b.StopTimer()
			// CPU seconds used per run: on a shared machine the wall time
			// says how busy the neighbours were, this says what we cost.
			b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heapMiB")
		})
	}
}

// BenchmarkHotspotJoin is a new order joining its hotspot at intake: one
// AddDoc (redaction, segmentation, places, candidate lookup, join) into a
// clusterer already holding 100,000 messages, timed one by one; it reports
// the 50th and 99th percentiles.
//
//	go test ./internal/textproc -run '^$' -bench HotspotJoin -benchtime 2000x
func BenchmarkHotspotJoin(b *testing.B) {
	docs := syntheticDocs(b, 102_000)
	for _, m := range []struct {
		name string
		opts ClusterOptions
	}{{"legacy", ClusterOptions{Legacy: true}}, {"place", ClusterOptions{}}, {"learnt", ClusterOptions{Places: learntPlaces(b)}}} {
		b.Run(m.name, func(b *testing.B) {
			c := ClusterAll(docs[:100_000], m.opts)
			var took, cpu []time.Duration
			i := 100_000
			// AddDoc runs on the calling goroutine: pinned to its thread,
			// the thread's CPU time is the call's cost without the time
			// spent waiting for a core behind the neighbours.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for b.Loop() {
				d := docs[i%len(docs)]
				d.ID = fmt.Sprintf("j%d", i)
				c0 := threadCPU()
				start := time.Now()
				c.AddDoc(d)
				took = append(took, time.Since(start))
				cpu = append(cpu, threadCPU()-c0)
				i++
			}
			slices.Sort(took)
			slices.Sort(cpu)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(cpu[len(cpu)/2].Microseconds())/1000, "p50-cpu-ms")
			b.ReportMetric(float64(cpu[len(cpu)*99/100].Microseconds())/1000, "p99-cpu-ms")
		})
	}
}

// learntPlaces is the gazetteer the server would learn from the real
// messages the synthetic corpus replays (issue 17: places of past orders).
func learntPlaces(tb testing.TB) *Gazetteer {
	return LearnPlaces(Default(), nil, realTexts(tb), DefaultPlaceSupport)
}

// cpuSeconds is the process's user + system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// threadCPU is the calling thread's CPU time (Linux
// CLOCK_THREAD_CPUTIME_ID: nanoseconds; getrusage counts threads in
// scheduler ticks, too coarse for a sub-millisecond call).
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
