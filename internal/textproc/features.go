package textproc

import (
	"hash/maphash"
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
	// MaxRunes caps how much of a text is read (default 500 characters;
	// negative: no cap). The subject shows in the title and the first
	// paragraphs; the cap bounds the time a long message takes to classify
	// (segmentation costs about a millisecond per 500 characters on a busy
	// machine). Cross-validated accuracy was the same from 300 to 1,500
	// characters and without a cap (docs/intelligence.md).
	MaxRunes int
	// TitleWeight multiplies the values of the title features (0 means 1,
	// which is how models saved before this option behave).
	TitleWeight float64
	// TitleCharMax is the longest character n-gram taken from the title
	// (0 means 2).
	TitleCharMax int
}

func (o FeatureOptions) withDefaults() FeatureOptions {
	if o.CharMin == 0 {
		o.CharMin = 1
	}
	if o.CharMax == 0 {
		o.CharMax = 2
	}
	if o.MaxRunes == 0 {
		o.MaxRunes = 500
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
	extractFeaturesInto(seg, text, o, &scratch{}, emit)
}

// extractFeaturesInto is extractFeatures with its buffers in sc. The title
// (first line) and the body are each segmented once: the word features
// run over title then body, the title features reuse the title's words.
func extractFeaturesInto(seg *Segmenter, text string, o FeatureOptions, sc *scratch, emit func(key []byte)) {
	text = truncateRunes(text, o.MaxRunes)
	title, body, hasTitle := strings.Cut(text, "\n")
	var titleWords []string
	if hasTitle {
		titleWords = seg.Cut(title)
	} else {
		body = text
	}
	bodyWords := seg.Cut(body)
	key := sc.key[:0]
	if !o.NoWords || !o.NoWordBigrams {
		prev := ""
		for _, words := range [2][]string{titleWords, bodyWords} {
			for _, w := range words {
				if seg.IsStopWord(w) {
					continue
				}
				if isDigits(w) {
					w = "0" // the value of a number says little about the subject
				}
				if !o.NoWords {
					key = append(append(key[:0], prefWord...), w...)
					emit(key)
				}
				if !o.NoWordBigrams && prev != "" {
					key = append(append(append(append(key[:0], prefBigram...), prev...), ' '), w...)
					emit(key)
				}
				prev = w
			}
		}
	}
	norm := normalizeText(text)
	if o.CharMax > 0 {
		key = charNGrams(norm, o.CharMin, o.CharMax, "", key, sc, emit)
	}
	if hasTitle && !o.NoTitle {
		for _, w := range titleWords {
			if !seg.IsStopWord(w) {
				key = append(append(key[:0], prefTitle+prefWord...), w...)
				emit(key)
			}
		}
		normTitle, _, _ := strings.Cut(norm, "\n")
		tmax := o.TitleCharMax
		if tmax == 0 {
			tmax = 2
		}
		key = charNGrams(normTitle, 1, tmax, prefTitle, key, sc, emit)
	}
	sc.key = key
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
// It returns the key buffer, possibly grown.
func charNGrams(text string, lo, hi int, prefix string, key []byte, sc *scratch, emit func([]byte)) []byte {
	run := sc.run[:0]
	for _, r := range text {
		switch {
		case r >= '0' && r <= '9':
			run = append(run, '0')
		case r < utf8.RuneSelf && unicode.IsLetter(r):
			run = append(run, unicode.ToLower(r))
		case unicode.IsLetter(r):
			run = append(run, r)
		default:
			key = emitNGrams(run, lo, hi, prefix, key, emit)
			run = run[:0]
		}
	}
	key = emitNGrams(run, lo, hi, prefix, key, emit)
	sc.run = run[:0]
	return key
}

func emitNGrams(run []rune, lo, hi int, prefix string, key []byte, emit func([]byte)) []byte {
	for i := range run {
		for n := lo; n <= hi && i+n <= len(run); n++ {
			key = append(append(key[:0], prefix...), prefChar...)
			for _, r := range run[i : i+n] {
				key = utf8.AppendRune(key, r)
			}
			emit(key)
		}
	}
	return key
}

// sparseVec is a feature vector: sorted feature ids and their values.
type sparseVec struct {
	idx []int32
	val []float32
}

// vocabulary maps feature strings to ids, with document frequencies.
type vocabulary struct {
	terms []string
	table featTable
	idf   []float32
}

// featTable finds a feature's id from its key: open addressing over 64-bit
// hashes of the keys, one cache line per probe and no string comparison.
// The hash is seeded per table (per process), and the table is rebuilt
// with another seed in the unlikely case that two of its terms collide; a
// key outside the vocabulary that shares a term's 64-bit hash is a chance
// of about one in 10¹⁴ per lookup.
type featTable struct {
	seed  maphash.Seed
	slots []featSlot
	mask  uint64
}

type featSlot struct {
	h  uint64 // 0: empty
	id int32
}

func newFeatTable(terms []string) featTable {
	size := 8
	for size < 2*len(terms) {
		size *= 2
	}
retry:
	t := featTable{seed: maphash.MakeSeed(), slots: make([]featSlot, size), mask: uint64(size - 1)}
	for id, term := range terms {
		h := t.hash(term)
		i := h & t.mask
		for t.slots[i].h != 0 {
			if t.slots[i].h == h {
				goto retry // two terms share a hash: new seed
			}
			i = (i + 1) & t.mask
		}
		t.slots[i] = featSlot{h: h, id: int32(id)}
	}
	return t
}

func (t *featTable) hash(key string) uint64 {
	return max(maphash.String(t.seed, key), 1)
}

func (t *featTable) hashBytes(key []byte) uint64 {
	return max(maphash.Bytes(t.seed, key), 1)
}

func (t *featTable) find(h uint64) (int32, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		switch t.slots[i].h {
		case h:
			return t.slots[i].id, true
		case 0:
			return 0, false
		}
	}
}

func (v *vocabulary) id(term string) (int32, bool) { return v.table.find(v.table.hash(term)) }

func (v *vocabulary) idBytes(key []byte) (int32, bool) {
	return v.table.find(v.table.hashBytes(key))
}

func newVocabulary(terms []string, idf []float32) *vocabulary {
	return &vocabulary{terms: terms, idf: idf, table: newFeatTable(terms)}
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
	idf := make([]float32, len(terms))
	n := float64(len(docs))
	for i, t := range terms {
		// Smoothed idf, as if one extra document held every term.
		idf[i] = float32(math.Log((1+n)/(1+float64(df[t]))) + 1)
	}
	return newVocabulary(terms, idf)
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
		if id, ok := v.id(t); ok {
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

// scratch is the reusable memory of one prediction: nothing a prediction
// needs is allocated anew once a scratch has served a few texts.
type scratch struct {
	count   []int32 // per feature id, zero between uses
	touched []int32 // ids with a non-zero count
	key     []byte
	run     []rune
	vec     sparseVec
	scores  []float64
}

// vectorizeText goes from text straight to the vector, looking features up
// in the vocabulary as they are produced: no map of strings is built, and
// the vector lives in sc (valid until sc is used again).
func (v *vocabulary) vectorizeText(seg *Segmenter, text string, o FeatureOptions, w weighting, sc *scratch) sparseVec {
	if len(sc.count) != len(v.terms) {
		sc.count = make([]int32, len(v.terms))
	}
	sc.touched = sc.touched[:0]
	extractFeaturesInto(seg, text, o, sc, func(k []byte) {
		if id, ok := v.idBytes(k); ok {
			if sc.count[id] == 0 {
				sc.touched = append(sc.touched, id)
			}
			sc.count[id]++
		}
	})
	// Sorted ids make every floating-point sum over the vector run in the
	// same order, which keeps results bit-for-bit reproducible.
	slices.Sort(sc.touched)
	sv := sparseVec{idx: sc.vec.idx[:0], val: sc.vec.val[:0]}
	for _, id := range sc.touched {
		sv.idx = append(sv.idx, id)
		sv.val = append(sv.val, float32(sc.count[id]))
		sc.count[id] = 0
	}
	sc.vec = sv
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
