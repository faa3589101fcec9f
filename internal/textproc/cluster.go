package textproc

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// ClusterOptions tunes hotspot clustering (热点发现). The zero value gives
// the defaults measured in docs/intelligence.md.
type ClusterOptions struct {
	// Threshold is the cosine similarity between a message and a cluster's
	// centroid needed to join the cluster (default 0.4).
	Threshold float64
	// Window, if positive, only lets a message join a cluster whose
	// messages are at most this far away in time: the same complaint a
	// year later is a new hotspot.
	Window time.Duration
}

func (o ClusterOptions) withDefaults() ClusterOptions {
	if o.Threshold == 0 {
		o.Threshold = 0.4
	}
	return o
}

// Cluster is a group of messages about the same problem.
type Cluster struct {
	// ID is stable for the life of the Clusterer: "h" + the number of the
	// cluster in order of creation.
	ID string
	// Label is a short generated title: the place most messages name, then
	// the key terms ("三江小区: 群租 噪音 扰民").
	Label string
	Place string   // the most named place, or ""
	Terms []string // key terms, most characteristic first
	Size  int
	// First and Last are the earliest and latest message times (zero when
	// messages were added without times).
	First, Last time.Time
	Members     []string // message ids in the order they were added
}

// clusterDoc is a message turned into a weighted term vector.
type clusterDoc struct {
	id  string
	at  time.Time
	vec sparseVec // L2-normalised tf-idf over term ids
	sig []int32   // the few highest-weighted terms, for candidate lookup
}

type hotCluster struct {
	id          int
	members     []string
	centroid    map[int32]float64 // sum of member vectors
	norm2       float64           // squared norm of centroid
	first, last time.Time
	indexedAt   int            // size when the signature was last indexed
	placeVotes  map[string]int // title mentions weigh 3, body mentions 1
	placeDocs   map[string]int // members naming each place
	termDocs    map[int32]int  // members containing each term
}

// Clusterer groups messages about the same problem as they arrive: each
// message joins the most similar existing cluster (cosine to its centroid
// above the threshold, and within the time window) or starts a new one.
// Candidate clusters come from an inverted index over the clusters' top
// terms, so adding a message costs about the same at 100 or 100,000
// messages. It is safe for concurrent use.
type Clusterer struct {
	mu   sync.Mutex
	opts ClusterOptions
	seg  *Segmenter

	terms    map[string]int32
	names    []string
	df       []int32 // messages containing each term
	nDocs    int
	frozenDF bool // df fixed in advance by ClusterAll

	clusters []*hotCluster
	postings map[int32][]int32 // term → clusters whose signature holds it
	byID     map[string]int    // message id → cluster
	shared   map[int32]int     // scratch for nearest
}

// NewClusterer returns an empty clusterer.
func NewClusterer(opts ClusterOptions) *Clusterer {
	return &Clusterer{
		opts:     opts.withDefaults(),
		seg:      Default(),
		terms:    make(map[string]int32),
		postings: make(map[int32][]int32),
		byID:     make(map[string]int),
	}
}

const (
	docSignature     = 10 // terms of a message used to look up candidates
	clusterSignature = 12 // terms of a cluster kept in the inverted index
	// Clusters compared in full per message, those sharing the most
	// signature terms first. 12 gave the same clusters as 24 on both
	// evaluation files at half the cost.
	maxCandidates = 12
	// A term indexed for more clusters than this is too common to find
	// candidates with (it would make every lookup scan a long list).
	maxPostings = 2000
)

// clusterTokens returns the terms of a message with their counts, and the
// places it names with their votes. Terms are words of two or more
// characters (or letters/digits) without stop words; the title (first
// line) counts twice because it names the problem most directly, and a
// place named in the title counts three times.
func clusterTokens(seg *Segmenter, text string) (counts, places map[string]int) {
	text = Redact(text)
	counts = make(map[string]int)
	places = make(map[string]int)
	title, body, hasTitle := strings.Cut(text, "\n")
	if !hasTitle {
		title, body = "", text
	}
	add := func(s string, w, placeWeight int) {
		words := seg.Cut(s)
		for i, t := range words {
			if p := placeAt(words, i); p != "" {
				places[p] = max(places[p], placeWeight)
			}
			if seg.IsStopWord(t) || (utf8.RuneCountInString(t) < 2 && isHan(t)) || isDigits(t) || redactedWords[t] {
				continue
			}
			counts[t] += w
		}
	}
	add(title, 2, 3)
	add(body, 1, 1)
	return counts, places
}

// redactedWords are what Redact's placeholders segment into: that two
// messages both contained a phone number says nothing about their problem,
// and "phone" must not become a cluster label.
var redactedWords = map[string]bool{"phone": true, "idcard": true, "email": true, "bankcard": true}

func (c *Clusterer) termID(t string, create bool) (int32, bool) {
	if id, ok := c.terms[t]; ok {
		return id, true
	}
	if !create {
		return 0, false
	}
	id := int32(len(c.names))
	c.terms[t] = id
	c.names = append(c.names, t)
	c.df = append(c.df, 0)
	return id, true
}

// vectorize turns counts into the message's tf-idf vector and signature.
// Terms seen in a single message so far still count for the norm: they
// make two messages less alike, even though they cannot link them.
func (c *Clusterer) vectorize(id string, at time.Time, counts map[string]int) clusterDoc {
	d := clusterDoc{id: id, at: at}
	type tw struct {
		t int32
		w float64
	}
	ws := make([]tw, 0, len(counts))
	// idf as if there were at least 1000 messages: in a small batch every
	// shared word would otherwise look common next to the words only one
	// message has, and the same two messages would score lower in a batch
	// of 10 than in a batch of 10,000.
	n := float64(max(c.nDocs, 1000))
	var norm float64
	for t, k := range counts {
		tid, _ := c.termID(t, true)
		df := float64(max(c.df[tid], 1))
		w := (1 + math.Log(float64(k))) * math.Log(1+n/df)
		ws = append(ws, tw{tid, w})
		norm += w * w
	}
	slices.SortFunc(ws, func(a, b tw) int { return cmp.Compare(a.t, b.t) })
	norm = math.Sqrt(norm)
	for _, x := range ws {
		d.vec.idx = append(d.vec.idx, x.t)
		d.vec.val = append(d.vec.val, float32(x.w/norm))
	}
	// Signature: the highest weights among terms other messages share.
	slices.SortFunc(ws, func(a, b tw) int {
		if a.w != b.w {
			return cmp.Compare(b.w, a.w)
		}
		return cmp.Compare(a.t, b.t)
	})
	for _, x := range ws {
		if len(d.sig) == docSignature {
			break
		}
		// A term no other message has (df counts this one) cannot
		// lead to a candidate.
		if c.df[x.t] >= 2 {
			d.sig = append(d.sig, x.t)
		}
	}
	return d
}

// Add clusters one message. text is the title, a newline, then the body (a
// text without a newline is all body). at may be the zero time. Adding an
// id twice is ignored.
func (c *Clusterer) Add(id, text string, at time.Time) {
	counts, places := clusterTokens(c.seg, text)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addCounts(id, at, counts, places)
}

func (c *Clusterer) addCounts(id string, at time.Time, counts, places map[string]int) {
	if _, dup := c.byID[id]; dup {
		return
	}
	if !c.frozenDF {
		c.nDocs++
		for t := range counts {
			tid, _ := c.termID(t, true)
			c.df[tid]++
		}
	}
	d := c.vectorize(id, at, counts)
	best, bestSim := c.nearest(d)
	if best < 0 || bestSim < c.opts.Threshold {
		best = len(c.clusters)
		c.clusters = append(c.clusters, &hotCluster{
			id:         best,
			centroid:   make(map[int32]float64, len(d.vec.idx)),
			placeVotes: make(map[string]int),
			placeDocs:  make(map[string]int),
			termDocs:   make(map[int32]int, len(d.vec.idx)),
			first:      at,
			last:       at,
		})
	}
	c.join(c.clusters[best], d, places)
	c.byID[id] = best
}

// nearest finds the most similar cluster among those sharing signature
// terms with the message.
func (c *Clusterer) nearest(d clusterDoc) (int, float64) {
	// The caller holds the lock, so the scratch map can be reused.
	if c.shared == nil {
		c.shared = make(map[int32]int)
	}
	shared := c.shared
	clear(shared)
	for _, t := range d.sig {
		if ps := c.postings[t]; len(ps) <= maxPostings {
			for _, k := range ps {
				shared[k]++
			}
		}
	}
	type cand struct {
		k int32
		n int
	}
	cands := make([]cand, 0, len(shared))
	for k, n := range shared {
		cands = append(cands, cand{k, n})
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return cmp.Compare(b.k, a.k) // newer clusters first on ties
	})
	if len(cands) > maxCandidates {
		cands = cands[:maxCandidates]
	}
	best, bestSim := -1, 0.0
	for _, cd := range cands {
		hc := c.clusters[cd.k]
		if !c.inWindow(hc, d.at) {
			continue
		}
		if s := hc.cosine(d.vec); s > bestSim || (s == bestSim && best >= 0 && int(cd.k) < best) {
			best, bestSim = int(cd.k), s
		}
	}
	return best, bestSim
}

func (c *Clusterer) inWindow(hc *hotCluster, at time.Time) bool {
	if c.opts.Window <= 0 || at.IsZero() || hc.first.IsZero() {
		return true
	}
	return !at.Before(hc.first.Add(-c.opts.Window)) && !at.After(hc.last.Add(c.opts.Window))
}

func (hc *hotCluster) cosine(v sparseVec) float64 {
	if hc.norm2 == 0 {
		return 0
	}
	var dot float64
	for i, t := range v.idx {
		dot += hc.centroid[t] * float64(v.val[i])
	}
	return dot / math.Sqrt(hc.norm2)
}

func (c *Clusterer) join(hc *hotCluster, d clusterDoc, places map[string]int) {
	var dot float64
	for i, t := range d.vec.idx {
		x := float64(d.vec.val[i])
		dot += hc.centroid[t] * x
		hc.centroid[t] += x
		hc.termDocs[t]++
	}
	hc.norm2 += 2*dot + 1 // |c+x|² = |c|² + 2c·x + |x|², |x| = 1
	hc.members = append(hc.members, d.id)
	if !d.at.IsZero() {
		if hc.first.IsZero() || d.at.Before(hc.first) {
			hc.first = d.at
		}
		if d.at.After(hc.last) {
			hc.last = d.at
		}
	}
	for p, v := range places {
		hc.placeVotes[p] += v
	}
	for p := range places {
		hc.placeDocs[p]++
	}
	// Re-index the cluster's top terms when it has doubled since the last
	// time: cheap, and the signature of a big cluster barely moves.
	if n := len(hc.members); n == 1 || n >= 2*hc.indexedAt {
		hc.indexedAt = n
		for _, t := range hc.topTerms(clusterSignature) {
			ps := c.postings[t]
			if !slices.Contains(ps, int32(hc.id)) {
				c.postings[t] = append(ps, int32(hc.id))
			}
		}
	}
}

// topTerms returns the terms with the largest centroid weight.
func (hc *hotCluster) topTerms(n int) []int32 {
	ts := make([]int32, 0, len(hc.centroid))
	for t := range hc.centroid {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b int32) int {
		if wa, wb := hc.centroid[a], hc.centroid[b]; wa != wb {
			return cmp.Compare(wb, wa)
		}
		return cmp.Compare(a, b)
	})
	if len(ts) > n {
		ts = ts[:n]
	}
	return ts
}

// placeSuffixes end the words that name a place at the scale of a
// subdistrict: residential compounds, roads, villages, committees.
// (区, 市, 道 are left out: they end far more non-places than places.)
var placeSuffixes = []string{
	"小区", "花园", "家园", "新村", "新城", "公寓", "大厦", "广场", "苑", "府", "湾", "园",
	"路", "街", "巷", "村", "镇", "居委会", "社区",
}

// genericPlaces end like places but name none, or name one too generally
// to tell two problems apart.
var genericPlaces = map[string]bool{
	"小区": true, "社区": true, "花园": true, "家园": true, "新村": true, "公寓": true, "大厦": true,
	"广场": true, "农村": true, "乡村": true, "城镇": true, "乡镇": true, "公园": true, "校园": true,
	"园": true, "苑": true, "府": true, "湾": true, "路": true, "街": true, "村": true, "镇": true,
	"马路": true, "公路": true, "道路": true, "一路": true, "出路": true, "线路": true, "思路": true,
	"电路": true, "门路": true, "大街": true, "上街": true, "政府": true, "居委会": true, "新城": true,
	"幼儿园": true, "乐园": true, "家园里": true, "庄园": true, "田园": true, "果园": true, "菜园": true,
	"全村": true, "本村": true, "该村": true, "我村": true, "各村": true, "全镇": true, "本镇": true,
	"公交线路": true, "进村": true, "出村": true, "回村": true,
}

// placeModifiers come before a place word without being part of its name
// (周边小区 is no place).
var placeModifiers = map[string]bool{
	"周边": true, "附近": true, "整个": true, "我们": true, "我家": true, "所在": true, "其他": true,
	"这个": true, "那个": true, "多个": true, "一些": true, "老旧": true, "居民": true, "所有": true,
	"部分": true, "各个": true, "周围": true, "同一": true, "新建": true, "现在": true,
}

// generalPlaceParts are generic words that become a place only together
// with the name before them: 润芳园 + 小区, 滨河 + 苑, 宾阳路 + 居委会.
var generalPlaceParts = map[string]bool{
	"小区": true, "花园": true, "家园": true, "新村": true, "公寓": true, "大厦": true, "广场": true,
	"苑": true, "府": true, "湾": true, "园": true, "路": true, "街": true, "村": true, "居委会": true,
	"社区": true, "新城": true,
}

// compoundParts end the names of residential compounds, which are often two
// words long (魅力之城小区).
var compoundParts = map[string]bool{
	"小区": true, "花园": true, "家园": true, "公寓": true, "大厦": true, "广场": true, "新城": true,
}

// placeAt returns the place named by the word at i of a segmented text, or
// "": the word itself when it ends in a place suffix (宾阳路, 三江小区), or
// the word before joined with it when the word is only a generic part
// (润芳园 小区 → 润芳园小区).
func placeAt(words []string, i int) string {
	w := words[i]
	if strings.Contains(w, "政府") {
		return ""
	}
	if generalPlaceParts[w] {
		// Take up to two name words before it (魅力 之城 小区), stopping
		// at anything that is not part of a name: a modifier, another
		// place (看云路 润芳园 小区 is 润芳园小区), a single character.
		// Roads and villages have short names (东升路, 茶场村); only
		// compounds reach back two words.
		back := 1
		if compoundParts[w] {
			back = 2
		}
		name := ""
		for j := i - 1; j >= 0 && j >= i-back; j-- {
			prev := words[j]
			if utf8.RuneCountInString(prev) < 2 || !isHan(prev) || generalPlaceParts[prev] ||
				placeModifiers[prev] || (j < i-1 && isPlace(prev)) || strings.HasSuffix(prev, "区") ||
				strings.HasSuffix(prev, "市") || strings.HasSuffix(prev, "县") {
				break
			}
			name = prev + name
			if isPlace(prev) {
				break
			}
		}
		if name == "" {
			return ""
		}
		return name + w
	}
	if utf8.RuneCountInString(w) < 2 || genericPlaces[w] {
		return ""
	}
	for _, s := range placeSuffixes {
		if strings.HasSuffix(w, s) {
			return w
		}
	}
	return ""
}

// isPlace reports whether a single word names a place (see placeAt).
func isPlace(w string) bool { return placeAt([]string{w}, 0) != "" }

// Clusters returns the clusters with at least minSize messages, largest
// first (ties: the earlier-created first).
func (c *Clusterer) Clusters(minSize int) []Cluster {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Cluster
	for _, hc := range c.clusters {
		if len(hc.members) < max(minSize, 1) {
			continue
		}
		out = append(out, c.describe(hc))
	}
	slices.SortStableFunc(out, func(a, b Cluster) int { return b.Size - a.Size })
	return out
}

// ClusterOf returns the id of the cluster a message belongs to.
func (c *Clusterer) ClusterOf(id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.byID[id]
	if !ok {
		return "", false
	}
	return clusterName(k), true
}

func clusterName(k int) string { return "h" + itoa(k+1) }

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// describe builds the public view of a cluster with its generated label.
// Only terms found in at least two members (or all, for a pair) are used,
// so a detail of one message never becomes the label.
func (c *Clusterer) describe(hc *hotCluster) Cluster {
	cl := Cluster{
		ID: clusterName(hc.id), Size: len(hc.members), First: hc.first, Last: hc.last,
		Members: slices.Clone(hc.members),
	}
	minDocs := min(2, len(hc.members))
	bestVotes := 0
	for p, v := range hc.placeVotes {
		if hc.placeDocs[p] >= minDocs && (v > bestVotes || (v == bestVotes && p < cl.Place)) {
			cl.Place, bestVotes = p, v
		}
	}
	for _, t := range hc.topTerms(40) {
		name := c.names[t]
		if hc.termDocs[t] < minDocs || isPlace(name) || utf8.RuneCountInString(name) < 2 {
			continue
		}
		if strings.Contains(cl.Place, name) {
			continue
		}
		cl.Terms = append(cl.Terms, name)
		if len(cl.Terms) == 3 {
			break
		}
	}
	cl.Label = strings.Join(cl.Terms, " ")
	if cl.Place != "" {
		cl.Label = cl.Place + ": " + cl.Label
	}
	return cl
}

// ClusterDoc is one message for ClusterAll.
type ClusterDoc struct {
	ID   string
	Text string // title, newline, body
	At   time.Time
}

// ClusterAll clusters a whole batch: it segments the messages in parallel,
// counts document frequencies over the entire batch first (so early
// messages are weighed with the same idf as late ones) and then adds them in
// time order (input order when times are missing or equal).
func ClusterAll(docs []ClusterDoc, opts ClusterOptions) *Clusterer {
	c := NewClusterer(opts)
	counts := make([]map[string]int, len(docs))
	places := make([]map[string]int, len(docs))
	parallelFor(len(docs), func(i int) { counts[i], places[i] = clusterTokens(c.seg, docs[i].Text) })
	c.frozenDF = true
	c.nDocs = len(docs)
	for _, m := range counts {
		for t := range m {
			tid, _ := c.termID(t, true)
			c.df[tid]++
		}
	}
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return docs[a].At.Compare(docs[b].At) })
	for _, i := range order {
		c.addCounts(docs[i].ID, docs[i].At, counts[i], places[i])
		counts[i], places[i] = nil, nil // let the garbage collector have them
	}
	return c
}
