package main

import (
	"math"
	"testing"
	"unicode/utf8"

	"hotline/internal/textproc"
)

// TestFreshCallsOwnWords: the new complaints the mass complaint's copies
// are measured beside share no word with the copies (a shared word would
// make a new complaint's similar search find the 30,000 copies too, and its
// creates dearer, flattering the ratio), and there is one for every round
// at both client counts; and they are as long as the copies on average
// (a shorter text is cheaper to segment and index).
func TestFreshCallsOwnWords(t *testing.T) {
	if len(freshCalls) < 2*massRounds {
		t.Fatalf("%d new complaints for %d rounds at two client counts", len(freshCalls), 2*massRounds)
	}
	seg := textproc.Default()
	words := func(call func(int64) (string, string)) map[string]bool {
		m := map[string]bool{}
		for k := range int64(200) {
			title, body := call(k)
			for _, w := range seg.Cut(title + "\n" + body) {
				if len([]rune(w)) > 1 { // single characters: 了, 在, 路 …
					m[w] = true
				}
			}
		}
		return m
	}
	length := func(call func(int64) (string, string)) float64 {
		n := 0
		for k := range int64(400) {
			title, body := call(k)
			n += utf8.RuneCountInString(title + body)
		}
		return float64(n) / 400
	}
	copies, copyLen := words(massCopy), length(massCopy)
	var sum float64
	seen := map[string]bool{}
	for i := range freshCalls {
		l := length(freshCall(i))
		sum += l
		if math.Abs(l-copyLen) > copyLen/10 {
			t.Errorf("new complaint %d (%s): %.1f characters on average, the copies %.1f", i, freshCalls[i].title, l, copyLen)
		}
		if seen[freshCalls[i].title] {
			t.Errorf("new complaint %d repeats %q", i, freshCalls[i].title)
		}
		seen[freshCalls[i].title] = true
		for w := range words(freshCall(i)) {
			if copies[w] {
				t.Errorf("new complaint %d (%s) shares %q with the mass complaint", i, freshCalls[i].title, w)
			}
		}
	}
	if mean := sum / float64(len(freshCalls)); math.Abs(mean-copyLen) > copyLen/50 {
		t.Errorf("the new complaints are %.1f characters on average, the copies %.1f", mean, copyLen)
	}
}
