package textproc

import (
	"strings"
	"testing"
)

// benchTexts returns the title + body of the labelled Teddy messages, the
// kind of text the hotline segments all day.
func benchTexts(b *testing.B) []string {
	b.Helper()
	rows := readCSV(b, "teddy2020c/messages_labeled_train.csv")
	texts := make([]string, len(rows))
	for i, r := range rows {
		texts[i] = r["留言主题"] + "\n" + r["留言详情"]
	}
	return texts
}

func benchCorpus(b *testing.B, f func(string)) {
	texts := benchTexts(b)
	n := 0
	for _, s := range texts {
		n += len(s)
	}
	Default()
	b.SetBytes(int64(n))
	b.ResetTimer()
	for b.Loop() {
		for _, s := range texts {
			f(s)
		}
	}
}

// BenchmarkCutBaselineFields is the floor to compare with: strings.Fields
// does no dictionary work at all.
func BenchmarkCutBaselineFields(b *testing.B) {
	benchCorpus(b, func(s string) { strings.Fields(s) })
}

func BenchmarkCut(b *testing.B) {
	s := Default()
	benchCorpus(b, func(t string) { s.Cut(t) })
}

func BenchmarkSearchTokens(b *testing.B) {
	s := Default()
	benchCorpus(b, func(t string) { s.SearchTokens(t) })
}

func BenchmarkCutParallel(b *testing.B) {
	s := Default()
	texts := benchTexts(b)
	n := 0
	for _, t := range texts {
		n += len(t)
	}
	b.SetBytes(int64(n) / int64(len(texts)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Cut(texts[i%len(texts)])
			i++
		}
	})
}
