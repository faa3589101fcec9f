package textproc

import (
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FeatureOptions chooses the sparse features a text is turned into. The
// zero value means the defaults that won the cross-validation comparison in
// docs/intelligence.md.
type FeatureOptions struct {
	// Words: segmented words (stop words dropped) as unigrams.
	NoWords bool
	// WordBigrams: pairs of neighbouring words (垃圾 清运, 噪音 扰民).
	NoWordBigrams bool
	// CharMin..CharMax: character n-grams inside runs of letters/digits,
	// which catch what the dictionary splits badly (place names, new words).
	// 0 means the default 1..2; a negative CharMax disables them.
	CharMin, CharMax int
	// NoTitle turns off the separate title features. By default the first
	// line of a text is taken as its title (the CLI and the API put the
	// title first) and its words and characters become features of their
	// own: a word in the title says more about the subject than the same
	// word deep in the description.
	NoTitle bool
	// MaxRunes caps how much of a text is read (default 1500 characters;
	// negative: no cap). The subject shows in the title and the first
	// paragraphs; the cap bounds the time a very long message takes to
	// classify.
	MaxRunes int
}

func (o FeatureOptions) withDefaults() FeatureOptions {
	if o.CharMin == 0 {
		o.CharMin = 1
	}
	if o.CharMax == 0 {
		o.CharMax = 2
	}
	if o.MaxRunes == 0 {
		o.MaxRunes = 1500
	}
	return o
}

// Prefixes keep the kinds of feature apart: the word 小区 and the character
// bigram 小区 are different features.
const (
	prefWord   = "\x01"
	prefBigram = "\x02"
	prefChar   = "\x03"
	prefTitle  = "\x04"
)

// extractFeatures calls emit with the key of every feature occurrence of
// one (already redacted) text. Keys are built in a reused buffer: emit must
// not keep the slice (map lookups with string(key) do not allocate).
func extractFeatures(seg *Segmenter, text string, o FeatureOptions, emit func(key []byte)) {
	text = truncateRunes(text, o.MaxRunes)
	key := make([]byte, 0, 64)
	if !o.NoWords || !o.NoWordBigrams {
		prev := ""
		for _, w := range seg.Cut(text) {
			if seg.IsStopWord(w) {
				continue
			}
			if isDigits(w) {
				w = "0" // the value of a number says little about the subject
			}
			if !o.NoWords {
				emit(append(append(key[:0], prefWord...), w...))
			}
			if !o.NoWordBigrams && prev != "" {
				emit(append(append(append(append(key[:0], prefBigram...), prev...), ' '), w...))
			}
			prev = w
		}
	}
	norm := normalizeText(text)
	if o.CharMax > 0 {
		charNGrams(norm, o.CharMin, o.CharMax, "", key, emit)
	}
	if title, _, found := strings.Cut(text, "\n"); found && !o.NoTitle {
		for _, w := range seg.Cut(title) {
			if !seg.IsStopWord(w) {
				emit(append(append(key[:0], prefTitle+prefWord...), w...))
			}
		}
		normTitle, _, _ := strings.Cut(norm, "\n")
		charNGrams(normTitle, 1, 2, prefTitle, key, emit)
	}
}

// truncateRunes returns the first n runes of s (all of s if n <= 0).
func truncateRunes(s string, n int) string {
	if n <= 0 || len(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}

// termCounts extracts the features of one (already redacted) text as
// feature → count; used at training, when the vocabulary is not known yet.
func termCounts(seg *Segmenter, text string, o FeatureOptions) map[string]int {
	counts := make(map[string]int, len(text)/2)
	extractFeatures(seg, text, o, func(k []byte) { counts[string(k)]++ })
	return counts
}

// charNGrams emits the character n-grams of every run of letters and digits
// (digits folded to 0, ASCII lower-cased): n-grams never span punctuation.
func charNGrams(text string, lo, hi int, prefix string, key []byte, emit func([]byte)) {
	run := make([]rune, 0, 64)
	flush := func() {
		for i := range run {
			for n := lo; n <= hi && i+n <= len(run); n++ {
				key = append(append(key[:0], prefix...), prefChar...)
				for _, r := range run[i : i+n] {
					key = utf8.AppendRune(key, r)
				}
				emit(key)
			}
		}
		run = run[:0]
	}
	for _, r := range text {
		switch {
		case r >= '0' && r <= '9':
			run = append(run, '0')
		case r < utf8.RuneSelf && unicode.IsLetter(r):
			run = append(run, unicode.ToLower(r))
		case unicode.IsLetter(r):
			run = append(run, r)
		default:
			flush()
		}
	}
	flush()
}

// sparseVec is a feature vector: sorted feature ids and their values.
type sparseVec struct {
	idx []int32
	val []float32
}

// vocabulary maps feature strings to ids, with document frequencies.
type vocabulary struct {
	terms []string
	ids   map[string]int32
	idf   []float32
}

// buildVocabulary keeps the features that occur in at least minDF
// documents, in sorted order so that ids (and hence training) do not depend
// on map iteration order.
func buildVocabulary(docs []map[string]int, minDF int) *vocabulary {
	df := make(map[string]int)
	for _, d := range docs {
		for t := range d {
			df[t]++
		}
	}
	terms := make([]string, 0, len(df))
	for t, n := range df {
		if n >= minDF {
			terms = append(terms, t)
		}
	}
	sort.Strings(terms)
	v := &vocabulary{terms: terms, ids: make(map[string]int32, len(terms)), idf: make([]float32, len(terms))}
	n := float64(len(docs))
	for i, t := range terms {
		v.ids[t] = int32(i)
		// Smoothed idf, as if one extra document held every term.
		v.idf[i] = float32(math.Log((1+n)/(1+float64(df[t]))) + 1)
	}
	return v
}

// weighting says how term counts become vector values.
type weighting int

const (
	// weightCounts keeps raw counts (what multinomial naive Bayes models).
	weightCounts weighting = iota
	// weightTFIDF is sublinear tf × idf, L2-normalised: long messages do not
	// dominate and ubiquitous n-grams weigh little.
	weightTFIDF
)

func (v *vocabulary) vectorize(counts map[string]int, w weighting) sparseVec {
	ids := make([]int32, 0, len(counts))
	vals := make(map[int32]int, len(counts))
	for t, c := range counts {
		if id, ok := v.ids[t]; ok {
			ids = append(ids, id)
			vals[id] = c
		}
	}
	slices.Sort(ids)
	sv := sparseVec{idx: ids, val: make([]float32, len(ids))}
	for i, id := range ids {
		sv.val[i] = float32(vals[id])
	}
	v.weigh(&sv, w)
	return sv
}

// vectorizeText goes from text straight to the vector, looking features up
// in the vocabulary as they are produced: no map of strings is built, which
// keeps prediction fast and light on garbage.
func (v *vocabulary) vectorizeText(seg *Segmenter, text string, o FeatureOptions, w weighting) sparseVec {
	ids := make([]int32, 0, len(text))
	extractFeatures(seg, text, o, func(k []byte) {
		if id, ok := v.ids[string(k)]; ok {
			ids = append(ids, id)
		}
	})
	// Sorted ids make every floating-point sum over the vector run in the
	// same order, which keeps results bit-for-bit reproducible.
	slices.Sort(ids)
	var sv sparseVec
	for i, id := range ids {
		if i > 0 && id == ids[i-1] {
			sv.val[len(sv.val)-1]++
			continue
		}
		sv.idx = append(sv.idx, id)
		sv.val = append(sv.val, 1)
	}
	v.weigh(&sv, w)
	return sv
}

// weigh turns counts into the model's feature values in place.
func (v *vocabulary) weigh(sv *sparseVec, w weighting) {
	if w != weightTFIDF {
		return
	}
	var norm float64
	for i := range sv.val {
		x := (1 + math.Log(float64(sv.val[i]))) * float64(v.idf[sv.idx[i]])
		sv.val[i] = float32(x)
		norm += x * x
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range sv.val {
			sv.val[i] *= inv
		}
	}
}
