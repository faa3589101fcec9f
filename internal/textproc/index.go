package textproc

import (
	"cmp"
	"container/heap"
	"encoding/binary"
	"math"
	"slices"
	"sync"
)

// Match is a similar document and its cosine similarity in [0,1].
type Match struct {
	ID    string
	Score float64
}

// Index finds documents similar to a text: an in-memory inverted index over
// TF-IDF vectors of the documents' words, scored by cosine similarity.
// Queries run term-at-a-time into a dense accumulator, which stays fast at a
// million short documents because a short query touches few posting lists.
// It is safe for concurrent use: queries run in parallel, changes take a
// write lock.
type Index struct {
	mu sync.RWMutex

	seg   *Segmenter
	terms map[string]int32
	post  []postingList // by term id

	ids     []string          // by doc number
	norms   []float32         // |d| with the idf at insertion; 0 = removed
	fwd     []byte            // every document's terms, one after another (appendTerms)
	fwdAt   []uint32          // by doc number: where its terms start in fwd
	byID    map[string]uint32 // live documents only
	live    int
	removed int
	normsAt int    // live documents when the norms were last recomputed
	gen     uint64 // compactions so far: they renumber the documents
	tail    int    // tailPostings; the tests set it huge for exhaustive answers

	accPool sync.Pool
}

// postingList holds the documents containing a term, in increasing doc
// number, with the term's count in each (capped at 255).
type postingList struct {
	docs []uint32
	tf   []uint8
	df   int32 // live documents containing the term
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{seg: Default(), terms: make(map[string]int32), byID: make(map[string]uint32), tail: tailPostings}
}

// tfWeight[c] = 1 + ln c: sublinear term frequency, so a word repeated ten
// times does not outweigh ten different shared words.
var tfWeight = func() (t [256]float32) {
	for c := 1; c < 256; c++ {
		t[c] = float32(1 + math.Log(float64(c)))
	}
	return t
}()

func (ix *Index) idf(df int32) float64 {
	// Smoothed so a term in every document still counts a little, and as if
	// there were at least 1000 documents (see vectorize in cluster.go).
	n := float64(max(ix.live, 1000))
	return math.Log(1 + n/float64(max(df, 1)))
}

// Len returns the number of documents in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.live
}

// Add indexes a document (title, newline, body), replacing any document
// with the same id. Segmentation happens before the lock is taken, so
// concurrent Adds use all cores.
func (ix *Index) Add(id, text string) {
	counts, _ := clusterTokens(ix.seg, text)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if old, ok := ix.byID[id]; ok {
		ix.removeLocked(old)
	}
	doc := uint32(len(ix.ids))
	ix.ids = append(ix.ids, id)
	ix.byID[id] = doc
	ix.live++
	var norm float64
	terms := make([]docTerm, 0, len(counts))
	for t, c := range counts {
		tid, ok := ix.terms[t]
		if !ok {
			tid = int32(len(ix.post))
			ix.terms[t] = tid
			ix.post = append(ix.post, postingList{})
		}
		p := &ix.post[tid]
		tf := uint8(min(c, 255))
		p.docs = append(p.docs, doc)
		p.tf = append(p.tf, tf)
		p.df++
		w := float64(tfWeight[tf]) * ix.idf(p.df)
		norm += w * w
		terms = append(terms, docTerm{tid, tf})
	}
	ix.norms = append(ix.norms, float32(math.Sqrt(norm)))
	ix.fwdAt = append(ix.fwdAt, uint32(len(ix.fwd)))
	ix.fwd = appendTerms(ix.fwd, terms)
	// A document's norm depends on every term's idf, which moves as the
	// index grows: recompute all norms whenever the index has grown by a
	// tenth, so scores stay true cosines (an identical text scores ~1).
	// Geometric growth keeps the cost at a few passes over the postings
	// in total. The pass runs under the read lock (refreshNorms), so
	// queries go on meanwhile: under the write lock it stalled every
	// similar-order search for tens of milliseconds at 30,000 documents.
	if ix.live > ix.normsAt+ix.normsAt/10+16 {
		ix.normsAt = ix.live
		gen := ix.gen
		ix.mu.Unlock()
		ix.refreshNorms(gen)
		ix.mu.Lock() // for the deferred Unlock
	}
}

// refreshNorms is recomputeNorms for a growing index: the norms are worked
// out under the read lock and installed under the write lock, unless a
// compaction renumbered the documents in between (gen changed). Documents
// added in between keep the norms they were given; removed ones stay 0.
func (ix *Index) refreshNorms(gen uint64) {
	ix.mu.RLock()
	if ix.gen != gen {
		ix.mu.RUnlock()
		return
	}
	sq := ix.squaredNorms()
	ix.mu.RUnlock()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.gen != gen {
		return
	}
	for d := range sq {
		if ix.norms[d] != 0 {
			ix.norms[d] = float32(math.Sqrt(sq[d]))
		}
	}
}

// squaredNorms returns every document's squared norm at the current idf.
func (ix *Index) squaredNorms() []float64 {
	sq := make([]float64, len(ix.ids))
	for t := range ix.post {
		p := &ix.post[t]
		idf := ix.idf(p.df)
		for i, d := range p.docs {
			w := float64(tfWeight[p.tf[i]]) * idf
			sq[d] += w * w
		}
	}
	return sq
}

// recomputeNorms sets every live document's norm from the current idf.
// The caller holds the write lock.
func (ix *Index) recomputeNorms() {
	sq := ix.squaredNorms()
	for d := range ix.norms {
		if ix.norms[d] != 0 {
			ix.norms[d] = float32(math.Sqrt(sq[d]))
		}
	}
	ix.normsAt = ix.live
}

// Remove drops a document; unknown ids are ignored. Its postings are
// skipped at query time and reclaimed once removed documents make up a
// quarter of the index.
func (ix *Index) Remove(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if doc, ok := ix.byID[id]; ok {
		ix.removeLocked(doc)
	}
}

func (ix *Index) removeLocked(doc uint32) {
	delete(ix.byID, ix.ids[doc])
	ix.norms[doc] = 0
	ix.live--
	ix.removed++
	// df is per live document: find the terms of doc by scanning would be
	// costly, so df is corrected at compaction; until then idf of the
	// removed document's terms is slightly low, which only matters if a
	// large share of the index is removed, and then compaction runs.
	if ix.removed > 1024 && ix.removed*4 > len(ix.ids) {
		ix.compact()
	}
}

// compact rewrites the posting lists without removed documents and
// renumbers the rest.
func (ix *Index) compact() {
	newNum := make([]uint32, len(ix.ids))
	ids := make([]string, 0, ix.live)
	norms := make([]float32, 0, ix.live)
	fwdAt := make([]uint32, 0, ix.live)
	var fwd []byte
	for d, id := range ix.ids {
		if ix.norms[d] == 0 {
			continue
		}
		newNum[d] = uint32(len(ids))
		ids = append(ids, id)
		norms = append(norms, ix.norms[d])
		fwdAt = append(fwdAt, uint32(len(fwd)))
		fwd = append(fwd, ix.docTerms(uint32(d))...)
	}
	for t := range ix.post {
		p := &ix.post[t]
		docs, tf := p.docs[:0], p.tf[:0]
		for i, d := range p.docs {
			if ix.norms[d] != 0 {
				docs = append(docs, newNum[d])
				tf = append(tf, p.tf[i])
			}
		}
		p.docs, p.tf, p.df = slices.Clip(docs), slices.Clip(tf), int32(len(docs))
	}
	ix.ids, ix.norms, ix.fwd, ix.fwdAt = ids, norms, fwd, fwdAt
	for i, id := range ids {
		ix.byID[id] = uint32(i)
	}
	ix.removed = 0
	ix.gen++
	ix.recomputeNorms()
}

// qterm is a query term: its id and its weight in the query (times its idf,
// the document side's).
type qterm struct {
	t int32
	w float64
}

// accumulator is the per-query scratch space: a score per document and the
// list of documents touched, so that only those are reset.
type accumulator struct {
	score   []float32
	touched []uint32
}

// Similar returns up to k indexed documents most similar to text, best
// first (ties by id). A document identical to the text scores 1; if the
// text's own document is indexed it is among the results and callers that
// do not want it drop it.
func (ix *Index) Similar(text string, k int) []Match {
	out, _ := ix.similar(text, k)
	return out
}

// similar is Similar that also reports its work: the posting entries it
// visited plus the binary searches it made. The tests hold it constant
// however many near-identical documents share the query's words.
func (ix *Index) similar(text string, k int) ([]Match, int) {
	if k <= 0 {
		return nil, 0
	}
	counts, _ := clusterTokens(ix.seg, text)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.live == 0 || len(counts) == 0 {
		return nil, 0
	}
	q := make([]qterm, 0, len(counts))
	var qnorm float64
	for t, c := range counts {
		tid, ok := ix.terms[t]
		if !ok {
			// Unknown to the index: makes the query less like everything,
			// as it would make any document.
			w := float64(tfWeight[min(c, 255)]) * ix.idf(0)
			qnorm += w * w
			continue
		}
		idf := ix.idf(ix.post[tid].df)
		w := float64(tfWeight[min(c, 255)]) * idf
		qnorm += w * w
		q = append(q, qterm{tid, w * idf}) // one idf for the query, one for the document
	}
	if len(q) == 0 || qnorm == 0 {
		return nil, 0
	}
	// A long text has a hundred words or more, and most documents share a
	// few common ones with it: walking every posting list touches nearly the
	// whole index. The maxQueryTerms heaviest words (the rarest, mostly)
	// find the candidates; the other words' contributions are then added to
	// the best candidates only (rescore), so those get exact cosines.
	var rest []qterm
	if len(q) > maxQueryTerms {
		slices.SortFunc(q, func(a, b qterm) int {
			if c := cmp.Compare(b.w, a.w); c != 0 {
				return c
			}
			return cmp.Compare(a.t, b.t)
		})
		q, rest = q[:maxQueryTerms], q[maxQueryTerms:]
	}
	// Sorted term order makes float sums deterministic.
	byTerm := func(a, b qterm) int { return cmp.Compare(a.t, b.t) }
	slices.SortFunc(q, byTerm)

	acc, _ := ix.accPool.Get().(*accumulator)
	if acc == nil {
		acc = &accumulator{}
	}
	if len(acc.score) < len(ix.ids) {
		acc.score = make([]float32, len(ix.ids)+len(ix.ids)/4)
	}
	// Each word finds candidates among its newest tailPostings documents
	// only (a posting list is in the order documents were added). When one
	// problem floods the hotline, every word of its text is in tens of
	// thousands of documents: walking those lists whole made each create
	// pay for every stored copy (issue 19). The copies found are the
	// newest; older ones would score the same and add nothing an operator
	// can use. The best candidates found then get their exact scores from
	// their own terms (rescore), so every score returned is the true
	// cosine, and the work per query is bounded by maxQueryTerms ×
	// tailPostings plus, per kept candidate, its own number of terms.
	work := 0
	cut := false // a list walked in part: the scores so far are partial
	for _, qt := range q {
		p := &ix.post[qt.t]
		from := max(0, len(p.docs)-ix.tail)
		cut = cut || from > 0
		w := float32(qt.w)
		for i := from; i < len(p.docs); i++ {
			d := p.docs[i]
			if acc.score[d] == 0 {
				acc.touched = append(acc.touched, d)
			}
			acc.score[d] += w * tfWeight[p.tf[i]]
		}
		work += len(p.docs) - from
	}
	inv := 1 / math.Sqrt(qnorm)
	if len(rest) > 0 || cut {
		all := append(make([]qterm, 0, len(q)+len(rest)), q...)
		all = append(all, rest...)
		slices.SortFunc(all, byTerm)
		// A candidate at or after every cut list's walked tail has its
		// contributions from those lists already; with no words left
		// over, its score is exact.
		exact := uint32(math.MaxUint32)
		if len(rest) == 0 {
			exact = 0
			for _, qt := range q {
				if p := &ix.post[qt.t]; len(p.docs) > ix.tail {
					exact = max(exact, p.docs[len(p.docs)-ix.tail])
				}
			}
		}
		work += ix.rescore(acc, all, exact, k)
	}
	h := make(matchHeap, 0, k+1)
	for _, d := range acc.touched {
		s := acc.score[d]
		acc.score[d] = 0
		norm := ix.norms[d]
		if norm == 0 {
			continue // removed
		}
		m := Match{ID: ix.ids[d], Score: min(float64(s)/float64(norm)*inv, 1)}
		if len(h) < k {
			heap.Push(&h, m)
		} else if worse(h[0], m) {
			h[0] = m
			heap.Fix(&h, 0)
		}
	}
	acc.touched = acc.touched[:0]
	ix.accPool.Put(acc)
	out := make([]Match, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(Match)
	}
	return out, work
}

// maxQueryTerms is how many of a query's words find the candidates,
// tailPostings how many of each one's newest documents it finds them among,
// and rescoreFactor times k (at least minRescore) is how many candidates get
// their exact scores: see Similar. tailPostings was 1,024
// first; 256 keeps every answer of the quality tests (exact top scores 150
// of 150, near-duplicate recall 1.000) and cuts a mass-complaint copy's
// query work from 20,385 to 5,876 entries (TestIndexSimilarCostFlatWithCopies).
const (
	maxQueryTerms = 32
	tailPostings  = 256
	rescoreFactor = 8
	minRescore    = 64
)

// rescore keeps the best candidates found so far (by their partial cosine)
// and gives them their exact scores, each from its own terms (the forward
// lists, fwd) merged with all the query's terms (by term id). Their
// posting lists are not searched: a candidate found through a rare word of
// a mass complaint can be thousands of documents older than the common
// words' walked tails, and looking it up in each of those lists cost a
// cache miss per list and candidate — the query grew slower with the copies
// though its steps did not. A document's own terms are a few bytes in one
// place. Candidates dropped here leave the accumulator zeroed, as Similar
// expects. Candidates from exact on have their exact scores already (see
// similar). It returns its work: candidates chosen among plus the terms
// read.
func (ix *Index) rescore(acc *accumulator, query []qterm, exact uint32, k int) int {
	keep := max(k*rescoreFactor, minRescore)
	work := 0
	if len(acc.touched) > keep {
		// The keep best by partial cosine, chosen with a min-heap of keep
		// entries (ties: lower doc number), not a sort of every candidate.
		type cand struct {
			s float32
			d uint32
		}
		below := func(a, b cand) bool { return a.s < b.s || (a.s == b.s && a.d > b.d) }
		h := make([]cand, 0, keep)
		down := func(i int) {
			for {
				l, m := 2*i+1, i
				if l < len(h) && below(h[l], h[m]) {
					m = l
				}
				if r := l + 1; r < len(h) && below(h[r], h[m]) {
					m = r
				}
				if m == i {
					return
				}
				h[i], h[m] = h[m], h[i]
				i = m
			}
		}
		for _, d := range acc.touched {
			c := cand{-1, d}
			if n := ix.norms[d]; n != 0 {
				c.s = acc.score[d] / n
			}
			switch {
			case len(h) < keep:
				h = append(h, c)
				for i := len(h) - 1; i > 0 && below(h[i], h[(i-1)/2]); i = (i - 1) / 2 {
					h[i], h[(i-1)/2] = h[(i-1)/2], h[i]
				}
			case below(h[0], c):
				acc.score[h[0].d] = 0
				h[0] = c
				down(0)
			default:
				acc.score[d] = 0
			}
		}
		work += len(acc.touched)
		acc.touched = acc.touched[:0]
		for _, c := range h {
			acc.touched = append(acc.touched, c.d)
		}
	}
	for _, d := range acc.touched {
		if d < exact {
			s, n := ix.dot(d, query)
			acc.score[d] = s
			work += n
		}
	}
	return work
}

// docTerm is one of a document's terms and its count there.
type docTerm struct {
	t  int32
	tf uint8
}

// appendTerms appends a document's terms to its forward list: in
// increasing term id, each the uvarint of its id's distance from the
// previous one, shifted left by one, the low bit set when a byte with its
// count (if not 1) follows. Most of a short text's terms occur once, so a
// term takes one or two bytes.
func appendTerms(dst []byte, terms []docTerm) []byte {
	slices.SortFunc(terms, func(a, b docTerm) int { return cmp.Compare(a.t, b.t) })
	prev := int32(0)
	for _, t := range terms {
		v := uint64(t.t-prev) << 1
		if t.tf != 1 {
			v |= 1
		}
		dst = binary.AppendUvarint(dst, v)
		if t.tf != 1 {
			dst = append(dst, t.tf)
		}
		prev = t.t
	}
	return dst
}

// docTerms returns document d's forward list (appendTerms).
func (ix *Index) docTerms(d uint32) []byte {
	end := uint32(len(ix.fwd))
	if int(d)+1 < len(ix.fwdAt) {
		end = ix.fwdAt[d+1]
	}
	return ix.fwd[ix.fwdAt[d]:end]
}

// dot returns the sum over the terms document d shares with query (sorted
// by term id) of the query weight times the document's term weight — the
// accumulator's sum for d had every posting list been walked whole, added
// in the same term order — and how many of d's terms it read.
func (ix *Index) dot(d uint32, query []qterm) (float32, int) {
	b := ix.docTerms(d)
	var s float32
	t, i, n := int32(0), 0, 0
	for len(b) > 0 && i < len(query) {
		v := uint64(b[0])
		if v < 0x80 {
			b = b[1:]
		} else {
			var m int
			v, m = binary.Uvarint(b)
			b = b[m:]
		}
		t += int32(v >> 1)
		tf := uint8(1)
		if v&1 == 1 {
			tf, b = b[0], b[1:]
		}
		n++
		for i < len(query) && query[i].t < t {
			i++
		}
		if i < len(query) && query[i].t == t {
			s += float32(query[i].w) * tfWeight[tf]
		}
	}
	return s, n
}

// worse reports whether a ranks below b: lower score, or equal score and
// larger id.
func worse(a, b Match) bool {
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	return a.ID > b.ID
}

// matchHeap is a min-heap of the best matches so far (worst on top).
type matchHeap []Match

func (h matchHeap) Len() int           { return len(h) }
func (h matchHeap) Less(i, j int) bool { return worse(h[i], h[j]) }
func (h matchHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *matchHeap) Push(x any)        { *h = append(*h, x.(Match)) }
func (h *matchHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
