package textproc

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-ego/gse"
)

var (
	//go:embed dict/zh_s.txt.gz
	zhDictGz []byte
	//go:embed dict/userdict.txt
	userDictTxt string
	//go:embed dict/stopwords.txt
	stopWordsTxt string
)

// userWordFreq is the frequency given to local terms. The embedded dictionary
// sums to ~5.7e7, so 5000 makes a user word cost ~13.5 bits on gse's shortest
// path: cheaper than any split into two ordinary words (物业 239 + 公司 45604
// would cost ~28 bits), without being so cheap that it swallows neighbours.
const userWordFreq = 5000

// Segmenter cuts Chinese (and mixed Chinese/English/number) text into words.
// It is safe for concurrent use; AddWords may run while others Cut.
type Segmenter struct {
	// mu guards the gse dictionary: gse mutates its trie and path costs when
	// words are added, and reads them on every cut.
	mu sync.RWMutex
	// The gse segmenter lives only inside these closures, never in a field of
	// a gse type: see the package comment on binary size.
	segment func(text string, out []string) []string
	add     func(words []string)
	stop    map[string]struct{}

	recent cutCache
}

// cutCache remembers the words of the last texts cut. One new order's text
// is cut by several features within moments of each other (the similar-
// order index at intake, then its background re-indexing and the hotspot
// clusterer), and a cut costs about a millisecond per 500 characters where a
// lookup costs one hash of the text. It holds at most cutCacheSize texts of
// at most cutCacheMaxText bytes, replaced oldest first, and is emptied when
// the dictionary changes.
type cutCache struct {
	mu   sync.Mutex
	m    map[string][]string
	ring [cutCacheSize]string
	next int
}

const (
	cutCacheSize    = 256
	cutCacheMaxText = 4096
)

func (c *cutCache) get(text string) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.m[text]
	if !ok {
		return nil, false
	}
	return slices.Clone(w), true // callers may change their slice
}

func (c *cutCache) put(text string, words []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string][]string, cutCacheSize)
	}
	if _, ok := c.m[text]; ok {
		return
	}
	if old := c.ring[c.next]; old != "" {
		delete(c.m, old)
	}
	c.ring[c.next] = text
	c.next = (c.next + 1) % cutCacheSize
	c.m[text] = slices.Clone(words)
}

func (c *cutCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
	c.ring = [cutCacheSize]string{}
	c.next = 0
}

var (
	defaultOnce sync.Once
	defaultSeg  *Segmenter
)

// Default returns the process-wide segmenter, loading the embedded
// dictionaries on first use (about half a second and 80 MiB of heap; see
// docs/intelligence.md). Later calls return the same value.
func Default() *Segmenter {
	defaultOnce.Do(func() {
		s, err := newSegmenter()
		if err != nil {
			// The dictionaries are compiled into the binary, so this is a
			// build defect, not a run-time condition a caller could handle.
			panic("textproc: loading embedded dictionary: " + err.Error())
		}
		defaultSeg = s
	})
	return defaultSeg
}

func newSegmenter() (*Segmenter, error) {
	general, err := generalDict()
	if err != nil {
		return nil, err
	}
	return newSegmenterWith(general)
}

// generalDict is the embedded general dictionary, unpacked: one "word
// frequency" line per word.
func generalDict() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(zhDictGz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// newSegmenterWith builds a segmenter on the user words and the given
// general dictionary (newSegmenter's is the embedded one; a test that only
// races Cut against AddWords gives a few lines of it, since loading all of
// it under the race detector cost 14 s of the race step).
func newSegmenterWith(general []byte) (*Segmenter, error) {
	// User words go first: gse keeps the first entry of a duplicated word, so
	// this is how a local term overrides the general dictionary's frequency.
	var dict strings.Builder
	dict.Grow(len(general) + len(userDictTxt)*2)
	sc := bufio.NewScanner(strings.NewReader(userDictTxt))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		freq := userWordFreq
		if len(f) > 1 {
			if n, err := strconv.Atoi(f[1]); err == nil && n > 0 {
				freq = n
			}
		}
		fmt.Fprintf(&dict, "%s %d\n", normalizeWord(f[0]), freq)
	}
	dict.Write(general)

	// NotLoadHMM: we use gse's dictionary shortest path, not its HMM, so the
	// HMM tables are never initialised. SkipLog keeps gse quiet.
	seg := &gse.Segmenter{SkipLog: true, NotLoadHMM: true}
	if err := seg.LoadDictStr(dict.String()); err != nil {
		return nil, err
	}

	s := &Segmenter{stop: make(map[string]struct{})}
	s.segment = func(text string, out []string) []string {
		for _, sg := range seg.Segment([]byte(text)) {
			out = append(out, sg.Token().Text())
		}
		return out
	}
	s.add = func(words []string) {
		for _, w := range words {
			freq, _, found := seg.Find(w)
			switch {
			case found && freq >= userWordFreq:
				continue
			case found && freq > 0:
				// Present with a low frequency: replace it so it wins.
				_ = seg.ReAddToken(w, userWordFreq)
			default:
				_ = seg.AddToken(w, userWordFreq)
			}
		}
		// Recompute every token's path cost: gse has no cheaper way to
		// give the new tokens theirs (about 0.3 s for our dictionary).
		seg.CalcToken()
	}
	for _, line := range strings.Split(stopWordsTxt, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			s.stop[line] = struct{}{}
		}
	}
	return s, nil
}

// AddWords adds local terms (compound names, new jargon) to the dictionary so
// that Cut keeps them whole. It is meant for administrators' occasional edits:
// each call recomputes gse's path costs (a fraction of a second) while
// holding the lock, so pass all new words in one call.
func (s *Segmenter) AddWords(words ...string) {
	clean := make([]string, 0, len(words))
	for _, w := range words {
		w = normalizeWord(strings.TrimSpace(w))
		if w != "" && !strings.ContainsFunc(w, unicode.IsSpace) {
			clean = append(clean, w)
		}
	}
	if len(clean) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.add(clean)
	s.recent.clear()
}

// IsStopWord reports whether w is one of the embedded stop words.
func (s *Segmenter) IsStopWord(w string) bool {
	_, ok := s.stop[w]
	return ok
}

// Cut returns the words of text in order. Whitespace and punctuation are
// dropped, ASCII is lower-cased, full-width letters and digits are folded to
// ASCII, and a number followed by an address unit stays one token (29号楼,
// 3单元, 502室) because that is how residents and handlers search for it.
func (s *Segmenter) Cut(text string) []string {
	text = normalizeText(text)
	if text == "" {
		return nil
	}
	// Line by line: no word spans a line break, and an order's title and
	// body, cut apart by the similarity features, are then found in the
	// cache when the whole text is cut for its search tokens and category.
	if strings.Contains(text, "\n") {
		var out []string
		for line := range strings.SplitSeq(text, "\n") {
			out = append(out, s.cutLine(line)...)
		}
		return out
	}
	return s.cutLine(text)
}

// cutLine is Cut of one line of normalized text.
func (s *Segmenter) cutLine(text string) []string {
	if text == "" {
		return nil
	}
	cache := len(text) <= cutCacheMaxText
	if cache {
		if w, ok := s.recent.get(text); ok {
			return w
		}
	}
	s.mu.RLock()
	words := tidy(s.segment(text, make([]string, 0, len(text)/4+1)))
	if cache {
		// Under the read lock, so a cut made with the old dictionary
		// cannot be cached after AddWords emptied the cache.
		s.recent.put(text, words)
	}
	s.mu.RUnlock()
	return words
}

// addressUnits are the words that, after a number, name part of an address.
var addressUnits = map[string]bool{
	"号楼": true, "号院": true, "号": true, "栋": true, "幢": true, "座": true,
	"单元": true, "室": true, "楼": true, "层": true, "弄": true, "期": true,
	"号门": true, "门": true, "户": true,
}

// tidy drops punctuation tokens, lower-cases, and joins numbers with the
// address unit or decimal part that follows them.
func tidy(raw []string) []string {
	out := raw[:0]
	for i := 0; i < len(raw); i++ {
		t := raw[i]
		if !isWordToken(t) {
			continue
		}
		t = lowerASCII(t)
		if isDigits(t) {
			// 3.5 → one token, not "3" and "5".
			if i+2 < len(raw) && raw[i+1] == "." && isDigits(raw[i+2]) {
				t += "." + raw[i+2]
				i += 2
			}
			// 29 号 楼 / 29 号楼 → 29号楼
			for n := 0; n < 2 && i+1 < len(raw) && addressUnits[raw[i+1]]; n++ {
				t += raw[i+1]
				i++
			}
		}
		out = append(out, t)
	}
	return out
}

// SearchTokens returns the tokens to put in a full-text index for text: the
// words of Cut without stop words, and for every Chinese word of three or
// more characters its two-character sub-words, so that a search for 物业
// finds 物业公司 and a search for 路灯 finds 路灯杆. Each token appears once.
func (s *Segmenter) SearchTokens(text string) []string {
	words := s.Cut(text)
	seen := make(map[string]struct{}, len(words)*2)
	out := make([]string, 0, len(words)*2)
	push := func(w string) {
		if _, dup := seen[w]; dup {
			return
		}
		seen[w] = struct{}{}
		out = append(out, w)
	}
	for _, w := range words {
		if s.IsStopWord(w) {
			continue
		}
		push(w)
		if n := utf8.RuneCountInString(w); n >= 3 && isHan(w) {
			rs := []rune(w)
			for i := 0; i+2 <= len(rs); i++ {
				if sub := string(rs[i : i+2]); !s.IsStopWord(sub) {
					push(sub)
				}
			}
		}
	}
	return out
}

// QueryTokens returns the tokens of a search query: Cut's words, without
// stop words, each once. There is no sub-word expansion on this side: the
// index already holds the sub-words, and expanding the query too would make
// 物业公司 match every document with 公司. It returns nil when the query holds
// nothing but stop words and punctuation.
func (s *Segmenter) QueryTokens(q string) []string {
	words := s.Cut(q)
	var out []string
	seen := make(map[string]struct{}, len(words))
	for _, w := range words {
		if s.IsStopWord(w) {
			continue
		}
		if _, dup := seen[w]; dup {
			continue
		}
		seen[w] = struct{}{}
		out = append(out, w)
	}
	return out
}

// isWordToken reports whether t holds a letter or digit (Han characters are
// letters); tokens of only spaces, punctuation or symbols are dropped.
func isWordToken(t string) bool {
	for _, r := range t {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

func isDigits(t string) bool {
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return false
		}
	}
	return true
}

// isHan reports whether every rune of w is a Han character.
func isHan(w string) bool {
	for _, r := range w {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return w != ""
}

func lowerASCII(t string) string {
	for i := 0; i < len(t); i++ {
		if c := t[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(t)
		}
	}
	return t
}

// normalizeText folds full-width ASCII (ＡＢＣ１２３, common in text typed with
// a Chinese input method) and the ideographic space to their ASCII forms so
// that numbers and English words segment the same however they were typed.
func normalizeText(text string) string {
	if !strings.ContainsFunc(text, isFullWidth) {
		return text
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\u3000':
			return ' '
		case r >= '\uFF01' && r <= '\uFF5E':
			return r - 0xFF01 + '!'
		}
		return r
	}, text)
}

func isFullWidth(r rune) bool { return r == '\u3000' || (r >= '\uFF01' && r <= '\uFF5E') }

// normalizeWord prepares a dictionary word the way gse will see text: folded
// to half width and with ASCII lower-cased.
func normalizeWord(w string) string { return lowerASCII(normalizeText(w)) }
