package textproc

import (
	"cmp"
	"container/heap"
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
	}
	ix.norms = append(ix.norms, float32(math.Sqrt(norm)))
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
	for d, id := range ix.ids {
		if ix.norms[d] == 0 {
			continue
		}
		newNum[d] = uint32(len(ids))
		ids = append(ids, id)
		norms = append(norms, ix.norms[d])
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
	ix.ids, ix.norms = ids, norms
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
	// can use. The long lists' contributions to the candidates found are
	// then added exactly (rescore), so every score returned is the true
	// cosine, and the work per query is bounded by maxQueryTerms ×
	// tailPostings plus a binary search per kept candidate and word.
	work := 0
	var long []qterm
	for _, qt := range q {
		p := &ix.post[qt.t]
		from := max(0, len(p.docs)-ix.tail)
		if from > 0 {
			long = append(long, qt)
		}
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
	if len(rest) > 0 || len(long) > 0 {
		work += ix.rescore(acc, long, rest, k)
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
// the rest of the words' contributions: see Similar. tailPostings was 1,024
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
// and completes their scores: the long terms' contributions from the part
// of their posting lists before the walked tail, and the remaining terms'
// from their whole lists, each found by binary search. Candidates dropped
// here leave the accumulator zeroed, as Similar expects. It returns its
// work (see similar).
func (ix *Index) rescore(acc *accumulator, long, rest []qterm, k int) int {
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
	// The candidates in increasing doc number, so each list below is
	// searched forward from where the previous candidate was found
	// (gallop): a few steps each instead of a binary search of the whole
	// list, which cost most of a mass-complaint query in cache misses.
	slices.Sort(acc.touched)
	// The long terms: the tail was walked already; a candidate before it
	// gets the term's contribution from the older part of the list.
	for _, qt := range long {
		p := &ix.post[qt.t]
		from := len(p.docs) - ix.tail
		older, lo := p.docs[:from], 0
		w := float32(qt.w)
		for _, d := range acc.touched {
			if d >= p.docs[from] {
				break
			}
			var ok bool
			lo, ok = gallop(older, lo, d)
			work++
			if ok {
				acc.score[d] += w * tfWeight[p.tf[lo]]
			}
		}
	}
	slices.SortFunc(rest, func(a, b qterm) int { return cmp.Compare(a.t, b.t) })
	for _, qt := range rest {
		p := &ix.post[qt.t]
		w := float32(qt.w)
		lo := 0
		for _, d := range acc.touched {
			var ok bool
			lo, ok = gallop(p.docs, lo, d)
			work++
			if ok {
				acc.score[d] += w * tfWeight[p.tf[lo]]
			}
		}
	}
	return work
}

// gallop returns the first position at or after lo whose doc is at least d,
// and whether it is d; xs is increasing and every doc before lo is below d.
// It doubles its step from lo, then searches the last step's range.
func gallop(xs []uint32, lo int, d uint32) (int, bool) {
	hi, step := lo, 1
	for hi < len(xs) && xs[hi] < d {
		lo = hi + 1
		hi += step
		step *= 2
	}
	hi = min(hi, len(xs))
	i, _ := slices.BinarySearch(xs[lo:hi], d)
	i += lo
	return i, i < len(xs) && xs[i] == d
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
