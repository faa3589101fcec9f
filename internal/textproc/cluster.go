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
	// PlaceThreshold is the cosine of the problem words needed to join a
	// cluster about the same place (default 0.12): residents of one
	// compound describe one nuisance in different words, and the place is
	// the stronger evidence. ConflictThreshold is the cosine needed to join
	// a cluster about another place or in another city or district
	// (default 2: never, so the same complaint about two compounds is two
	// hotspots even when the texts are copies of one template).
	PlaceThreshold, ConflictThreshold float64
	// Places is a gazetteer of known place names (the center's compounds,
	// places of past orders), found in a text however it is segmented.
	Places *Gazetteer
	// Legacy clusters on words alone, as before issue 17: kept to report
	// the old figures beside the new ones in the same run.
	Legacy bool
}

func (o ClusterOptions) withDefaults() ClusterOptions {
	if o.Threshold == 0 {
		o.Threshold = 0.4
		if !o.Legacy {
			o.Threshold = defaultThreshold
		}
	}
	if o.PlaceThreshold == 0 {
		o.PlaceThreshold = defaultPlaceThreshold
	}
	if o.ConflictThreshold == 0 {
		o.ConflictThreshold = defaultConflictThreshold
	}
	return o
}

// The defaults, tuned on the tuning half of the hand-labelled hotspots
// (docs/intelligence.md, "Hand-labelled hotspots").
const (
	defaultThreshold         = 0.4
	defaultPlaceThreshold    = 0.12
	defaultConflictThreshold = 2 // never: another place is another hotspot
)

// Cluster is a group of messages about the same problem.
type Cluster struct {
	// ID is stable for the life of the Clusterer: "h" + the number of the
	// cluster in order of creation.
	ID string
	// Label is a short generated title: the place most messages name, then
	// the key terms ("三江小区: 群租 噪音 扰民").
	// Labels never hold personal data: see labelSafe and personNames.
	Label string
	Place string   // the most named place, or ""
	Terms []string // key terms, most characteristic first
	Size  int
	// First and Last are the earliest and latest message times (zero when
	// messages were added without times).
	First, Last time.Time
	Members     []string // message ids in the order they were added
	// Messages holds, for each member (same order), what the heat index
	// needs. Distinct counts the members that are not copies of an earlier
	// member (a repost counts once toward heat but stays listed); Callers
	// the distinct senders (a message without a sender counts as one).
	Messages          []Member
	Distinct, Callers int
	Likes, Dislikes   int
}

// Member is one message of a cluster.
type Member struct {
	ID string
	At time.Time
	// Copy is set when the message is a near copy of an earlier member
	// (the same text reposted, by the same or another sender).
	Copy            bool
	Likes, Dislikes int
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
	indexedAt   int             // size when the signature was last indexed
	placeVotes  map[string]int  // title mentions weigh 3, body mentions 1
	placeDocs   map[string]int  // members naming each place
	termDocs    map[int32]int   // members containing each term
	names       map[string]bool // words some member used as (part of) a person's name: never in the label

	anchorDocs map[string]int // members whose anchor (main place) is each name
	areaDocs   map[string]int // members naming each city or district ("c:" or "d:" + name)
	classDocs  map[string]int // members with each problem class
	major      majors
	reps       repSet // simhashes of the members that are not copies
	info       []Member
	callers    map[string]bool
	anonymous  int // members without a sender
	likes      int
	dislikes   int
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
	// placePosts indexes clusters by the placeKey of their members'
	// anchors, newest last, so a message about a place finds the clusters
	// about it even when it shares no words with them.
	placePosts map[string][]int32
}

// NewClusterer returns an empty clusterer.
func NewClusterer(opts ClusterOptions) *Clusterer {
	return &Clusterer{
		opts:     opts.withDefaults(),
		seg:      Default(),
		terms:    make(map[string]int32),
		postings: make(map[int32][]int32),
		byID:     make(map[string]int),

		placePosts: make(map[string][]int32),
	}
}

// SetPlaces replaces the gazetteer (ClusterOptions.Places) for the
// messages added from now on: the server learns the center's compounds
// after the clusterer exists.
func (c *Clusterer) SetPlaces(g *Gazetteer) {
	c.mu.Lock()
	c.opts.Places = g
	c.mu.Unlock()
}

// msgFeatures is a message as the clusterer sees it.
type msgFeatures struct {
	counts  map[string]int  // terms (problem words; all words in Legacy mode)
	places  map[string]int  // places named, for the label (title 3, body 1)
	anchors []string        // the places the message is about (see anchorsOf)
	names   map[string]bool // words used as a person's name
	sim     uint64          // simhash of all words, for near copies
	// city and district are the administrative areas the message names
	// (the title's, else the body's first).
	city, district string
	classes        []string // problem classes (see problemClasses)
	caller         string
	likes          int
	dislikes       int
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
	counts, places, _ = messageTokens(seg, text, false, nil)
	return counts, places
}

// messageTokens is clusterTokens after cutting the private strings (the
// caller's name, phone …) out of the text, and, when withNames, with the
// words the message uses as a person's name (personNames): they still count
// as terms (two messages about 张建国's shop are alike) but never enter a
// label.
func messageTokens(seg *Segmenter, text string, withNames bool, private []string) (counts, places map[string]int, names map[string]bool) {
	text = Redact(removePrivate(text, private))
	counts = make(map[string]int)
	places = make(map[string]int)
	title, body, hasTitle := strings.Cut(text, "\n")
	if !hasTitle {
		title, body = "", text
	}
	add := func(s string, w, placeWeight int) {
		words := seg.Cut(s)
		if withNames {
			for n := range personNames(words) {
				if names == nil {
					names = make(map[string]bool)
				}
				names[n] = true
			}
		}
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
	return counts, places, names
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
	c.AddPrivate(id, text, at)
}

// AddPrivate is Add for a message whose sender's personal data is known
// (the caller's name and phone of an order): each of the private strings is
// removed from the text before anything is counted, so none can reach a
// label even where the name-spotting rules would miss it.
func (c *Clusterer) AddPrivate(id, text string, at time.Time, private ...string) {
	c.AddDoc(ClusterDoc{ID: id, Text: text, At: at, Private: private})
}

// AddDoc clusters one message with its sender and likes (see ClusterDoc).
func (c *Clusterer) AddDoc(d ClusterDoc) {
	f := c.features(d)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addFeatures(d.ID, d.At, f)
}

func (c *Clusterer) features(d ClusterDoc) msgFeatures {
	c.mu.Lock()
	places := c.opts.Places
	c.mu.Unlock()
	f := features(c.seg, d.Text, d.Private, places, c.opts.Legacy)
	f.caller, f.likes, f.dislikes = d.Caller, d.Likes, d.Dislikes
	return f
}

func (c *Clusterer) addFeatures(id string, at time.Time, f msgFeatures) {
	if _, dup := c.byID[id]; dup {
		return
	}
	if !c.frozenDF {
		c.nDocs++
		for t := range f.counts {
			tid, _ := c.termID(t, true)
			c.df[tid]++
		}
	}
	d := c.vectorize(id, at, f.counts)
	best := c.nearest(d, &f)
	if best < 0 {
		best = len(c.clusters)
		c.clusters = append(c.clusters, &hotCluster{
			id:         best,
			centroid:   make(map[int32]float64, len(d.vec.idx)),
			placeVotes: make(map[string]int),
			placeDocs:  make(map[string]int),
			termDocs:   make(map[int32]int, len(d.vec.idx)),
			anchorDocs: make(map[string]int),
			areaDocs:   make(map[string]int),
			classDocs:  make(map[string]int),
			first:      at,
			last:       at,
		})
	}
	c.join(c.clusters[best], d, f)
	c.byID[id] = best
}

// threshold is the cosine a message with these anchors needs to join hc:
// low when both are about the same place, high when they are about
// different places, the plain threshold when either names none. A
// cluster's places are the anchors of at least 30% of its members.
//
// The message is about the cluster's place when one of its anchors is a
// place 30% of the members name, or when any place it names is the anchor
// of 30% of the members: 广铁集团's housing and 伊景园滨河苑 are one case,
// and a message titled with one names the other in its body.
func (c *Clusterer) threshold(hc *hotCluster, f *msgFeatures) float64 {
	if c.opts.Legacy {
		return c.opts.Threshold
	}
	// Another city or district than most members name: another place.
	for _, a := range hc.major.areas {
		if f.city != "" && a[:2] == "c:" && a[2:] != f.city || f.district != "" && a[:2] == "d:" && a[2:] != f.district {
			return c.opts.ConflictThreshold
		}
	}
	if len(f.anchors) == 0 {
		return c.opts.Threshold
	}
	for _, p := range hc.major.anchors {
		for a := range f.places {
			if samePlace(a, p) {
				return c.placeThreshold(hc, f)
			}
		}
	}
	for _, p := range hc.major.places {
		for _, a := range f.anchors {
			if samePlace(a, p) {
				return c.placeThreshold(hc, f)
			}
		}
	}
	if len(hc.major.anchors) > 0 {
		return c.opts.ConflictThreshold
	}
	return c.opts.Threshold
}

// majors are what most of a cluster's members share: the anchors, places
// and problem classes of at least 30% of them, the city and district of
// more than half. threshold reads them for every candidate of every
// message, so they are kept as short lists instead of scanning the counts
// (a big cluster's members name thousands of places in passing).
type majors struct {
	anchors, places, classes, areas []string
}

// refreshMajors recomputes the majors after a join: every time while the
// cluster is small, then at every 16th member (a big cluster's shares move
// slowly).
func (hc *hotCluster) refreshMajors() {
	n := len(hc.members)
	if n > 64 && n%16 != 0 {
		return
	}
	pick := func(dst []string, m map[string]int, share func(k int) bool) []string {
		dst = dst[:0]
		for p, k := range m {
			if share(k) {
				dst = append(dst, p)
			}
		}
		slices.Sort(dst)
		return dst
	}
	third := func(k int) bool { return 10*k >= 3*n }
	hc.major.anchors = pick(hc.major.anchors, hc.anchorDocs, third)
	hc.major.places = pick(hc.major.places, hc.placeDocs, third)
	hc.major.classes = pick(hc.major.classes, hc.classDocs, third)
	hc.major.areas = pick(hc.major.areas, hc.areaDocs, func(k int) bool { return 2*k > n })
}

// placeThreshold is threshold for a message about the cluster's place:
// any shared word will do when it shares the cluster's problem class
// (a class of 30% of the members), the plain threshold when it has a
// class and the cluster has others (two problems at one place), and
// PlaceThreshold when either has no class.
func (c *Clusterer) placeThreshold(hc *hotCluster, f *msgFeatures) float64 {
	for _, k := range hc.major.classes {
		if slices.Contains(f.classes, k) {
			return 1e-9
		}
	}
	if len(hc.major.classes) > 0 && len(f.classes) > 0 {
		return c.opts.Threshold
	}
	return c.opts.PlaceThreshold
}

// placeCandidates is how many of the latest clusters about a place are
// compared with a message about it.
const placeCandidates = 8

// nearest finds the cluster the message joins: among those sharing
// signature terms with it or (unless Legacy) indexed under one of its
// anchors, the one whose cosine exceeds its threshold by the most; -1 if
// none reaches its threshold.
func (c *Clusterer) nearest(d clusterDoc, f *msgFeatures) int {
	cands := c.candidates(d)
	for _, a := range f.anchors {
		ps := c.placePosts[placeKey(a)]
		for _, k := range ps[max(0, len(ps)-placeCandidates):] {
			if !slices.Contains(cands, k) {
				cands = append(cands, k)
			}
		}
	}
	best, bestMargin := -1, 0.0
	for _, k := range cands {
		hc := c.clusters[k]
		if !c.inWindow(hc, d.at) {
			continue
		}
		s := hc.cosine(d.vec)
		th := c.threshold(hc, f)
		if s < th {
			continue
		}
		if m := s - th; best < 0 || m > bestMargin || (m == bestMargin && int(k) < best) {
			best, bestMargin = int(k), m
		}
	}
	return best
}

// candidates returns the clusters sharing the most signature terms with
// the message.
func (c *Clusterer) candidates(d clusterDoc) []int32 {
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
	out := make([]int32, len(cands), len(cands)+placeCandidates)
	for i, cd := range cands {
		out[i] = cd.k
	}
	return out
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

func (c *Clusterer) join(hc *hotCluster, d clusterDoc, f msgFeatures) {
	places, names := f.places, f.names
	copyOf := hc.reps.near(f.sim)
	if !copyOf {
		hc.reps.add(f.sim)
	}
	hc.info = append(hc.info, Member{ID: d.id, At: d.at, Copy: copyOf, Likes: f.likes, Dislikes: f.dislikes})
	if f.caller == "" {
		hc.anonymous++
	} else {
		if hc.callers == nil {
			hc.callers = make(map[string]bool)
		}
		hc.callers[f.caller] = true
	}
	hc.likes += f.likes
	hc.dislikes += f.dislikes
	for _, a := range f.anchors {
		if hc.anchorDocs[a] == 0 {
			key := placeKey(a)
			if ps := c.placePosts[key]; !slices.Contains(ps[max(0, len(ps)-placeCandidates):], int32(hc.id)) {
				c.placePosts[key] = append(ps, int32(hc.id))
			}
		}
		hc.anchorDocs[a]++
	}
	for _, k := range f.classes {
		hc.classDocs[k]++
	}
	if f.city != "" {
		hc.areaDocs["c:"+f.city]++
	}
	if f.district != "" {
		hc.areaDocs["d:"+f.district]++
	}
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
	for n := range names {
		if hc.names == nil {
			hc.names = make(map[string]bool)
		}
		hc.names[n] = true
	}
	if !c.opts.Legacy {
		hc.refreshMajors()
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
		Members: slices.Clone(hc.members), Messages: slices.Clone(hc.info),
		Distinct: hc.reps.len(), Callers: len(hc.callers) + hc.anonymous, Likes: hc.likes, Dislikes: hc.dislikes,
	}
	minDocs := min(2, len(hc.members))
	bestVotes := 0
	// The place most members are about; the places they name otherwise.
	for p, v := range hc.anchorDocs {
		if hc.labelSafe(p) && v >= minDocs && (v > bestVotes || (v == bestVotes && p < cl.Place)) {
			cl.Place, bestVotes = p, v
		}
	}
	anchored := cl.Place != ""
	for p, v := range hc.placeVotes {
		if anchored {
			break
		}
		if !hc.labelSafe(p) {
			continue
		}
		if hc.placeDocs[p] >= minDocs && (v > bestVotes || (v == bestVotes && p < cl.Place)) {
			cl.Place, bestVotes = p, v
		}
	}
	for _, t := range hc.topTerms(40) {
		name := c.names[t]
		if hc.termDocs[t] < minDocs || isPlace(name) || utf8.RuneCountInString(name) < 2 || !hc.labelSafe(name) {
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
	// Private are the sender's name, phone and the like, cut out of Text
	// first (see AddPrivate).
	Private []string
	// Caller identifies the sender (any stable key, never shown): distinct
	// callers weigh in the heat index. Likes and Dislikes are the source's
	// 点赞数 and 反对数, where it has them.
	Caller          string
	Likes, Dislikes int
}

// ClusterAll clusters a whole batch: it segments the messages in parallel,
// counts document frequencies over the entire batch first (so early
// messages are weighed with the same idf as late ones) and then adds them in
// time order (input order when times are missing or equal).
func ClusterAll(docs []ClusterDoc, opts ClusterOptions) *Clusterer {
	c := NewClusterer(opts)
	feats := make([]msgFeatures, len(docs))
	parallelFor(len(docs), func(i int) {
		feats[i] = c.features(docs[i])
	})
	return c.addAll(docs, feats, true)
}

// addAll is ClusterAll after the features are known (the evaluation reuses
// them across settings; release drops each once it is used).
func (c *Clusterer) addAll(docs []ClusterDoc, feats []msgFeatures, release bool) *Clusterer {
	c.frozenDF = true
	c.nDocs = len(docs)
	for _, f := range feats {
		for t := range f.counts {
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
		c.addFeatures(docs[i].ID, docs[i].At, feats[i])
		if release {
			feats[i] = msgFeatures{} // let the garbage collector have it
		}
	}
	return c
}

// labelSafe reports whether a term or place may be shown in a label: no
// personal data survives in it. It must not be a word a member used as a
// person's name (personNames), nor hold a phone, ID or card number or an
// e-mail (Redact leaves it unchanged), nor a run of three or more digits
// (a fragment of such a number), except a house number of up to four digits
// with its unit (29号楼, 302室).
func (hc *hotCluster) labelSafe(w string) bool {
	if hc.names[w] || Redact(w) != w {
		return false
	}
	for n := range hc.names {
		if utf8.RuneCountInString(n) >= 2 && strings.Contains(w, n) {
			return false // a place or term with a name inside it
		}
	}
	run, digits := 0, 0
	for i, r := range w {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
			run++
			digits++
			continue
		}
		if run >= 3 && !(digits == run && run <= 4 && i == run && addressUnits[w[i:]]) {
			return false
		}
		run = 0
	}
	return run < 3
}

// removePrivate blanks every occurrence of the private strings (two or
// more characters; for a phone, also its bare digits) in text.
func removePrivate(text string, private []string) string {
	for _, p := range private {
		p = strings.TrimSpace(p)
		if utf8.RuneCountInString(p) < 2 {
			continue
		}
		text = strings.ReplaceAll(text, p, " ")
		var d strings.Builder
		for _, r := range p {
			if r >= '0' && r <= '9' {
				d.WriteRune(r)
			}
		}
		if d.Len() >= 5 && d.String() != p {
			text = strings.ReplaceAll(text, d.String(), " ")
		}
	}
	return text
}

// Person names. The embedded dictionary carries no part-of-speech tags
// (they were dropped to keep it small, see dict/README.md), so gse cannot
// say "nr"; names are recognised by the words around them and by their
// shape instead. A word judged a name anywhere in a cluster never enters
// its label; clustering itself is unchanged.

// surnames are the common Chinese family names (single characters).
var surnames = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤" {
		m[r] = true
	}
	return m
}()

// plainSurnames are the family names that are seldom a word on their own:
// a lone 张 or 刘 in a segmented text is almost always the start of a name
// the dictionary does not know (张 建国), while a lone 高, 马 or 金 is not.
var plainSurnames = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range "王李张刘陈杨赵吴徐孙胡郭罗郑梁韩冯邓曹彭肖董袁潘蒋蔡杜苏魏吕沈姚卢崔谭汪范廖贾韦邹孟熊秦邱尹薛闫郝龚邵覃" {
		m[r] = true
	}
	return m
}()

var compoundSurnames = []string{"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "尉迟", "公孙", "夏侯", "司徒", "长孙", "宇文"}

// nameTitles follow a name: 张建国先生, 李娜老师, 王经理.
var nameTitles = map[string]bool{
	"先生": true, "女士": true, "小姐": true, "师傅": true, "老师": true, "阿姨": true, "大爷": true, "大妈": true,
	"大姐": true, "大哥": true, "同志": true, "老板": true, "经理": true, "主任": true, "书记": true, "医生": true,
	"律师": true, "警官": true, "同学": true, "奶奶": true, "爷爷": true, "科长": true, "局长": true, "处长": true,
	"队长": true, "院长": true, "校长": true, "村长": true, "组长": true, "站长": true, "部长": true, "老人": true,
	"总": true,
}

// nameCues come before a name. The strong ones say outright that a name
// follows (我叫 …, 联系人 …); after the others a name must have the shape
// of one (业主张建国, but not 业主委员会).
var nameCues = map[string]bool{
	"叫": true, "我叫": true, "名叫": true, "叫做": true, "姓名": true, "名字": true, "联系人": true, "署名": true,
	"本人": false, "业主": false, "市民": false, "居民": false, "患者": false, "租户": false, "房东": false, "户主": false,
	"经理": false, "主任": false, "书记": false, "局长": false, "村长": false, "老师": false, "医生": false, "律师": false,
	"丈夫": false, "妻子": false, "老公": false, "老婆": false, "父亲": false, "母亲": false, "儿子": false, "女儿": false,
	"员工": false, "工人": false, "老板": false, "负责人": false, "反映人": false, "来电人": false, "投诉人": false,
}

// nameShaped reports whether w looks like a full name: two or three Han
// characters starting with a family name (four with a compound one).
func nameShaped(w string) bool {
	n := utf8.RuneCountInString(w)
	if !isHan(w) {
		return false
	}
	for _, c := range compoundSurnames {
		if strings.HasPrefix(w, c) && n >= 3 && n <= 4 {
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(w)
	return n >= 2 && n <= 3 && surnames[r]
}

// personNames returns the words of a segmented text that are, or are part
// of, a person's name:
//   - an anonymised name (张某, 王某某, 某某);
//   - a name-shaped word before a title (张建国 先生), or after a cue
//     (业主 张建国; after 我叫 or 联系人 any word of two or three characters);
//   - the given name after a lone family name (张 建国, 王 芳 老师), which
//     is how an unknown name is segmented;
//   - a three-character word starting with a family name that is seldom a
//     word by itself (王建国, 刘德华).
func personNames(words []string) map[string]bool {
	var out map[string]bool
	flag := func(w string) {
		if _, cue := nameCues[w]; cue || nameTitles[w] || genericPlaces[w] || generalPlaceParts[w] {
			return // 李 书记: the title is no part of the name
		}
		if out == nil {
			out = make(map[string]bool)
		}
		out[w] = true
	}
	han := func(w string, lo, hi int) bool {
		n := utf8.RuneCountInString(w)
		return n >= lo && n <= hi && isHan(w)
	}
	lone := func(w string) bool {
		r, size := utf8.DecodeRuneInString(w)
		return size == len(w) && plainSurnames[r]
	}
	for i, w := range words {
		if rs := []rune(w); strings.Contains(w, "某某") || len(rs) >= 2 && surnames[rs[0]] && rs[1] == '某' {
			flag(w)
		}
		if nameShaped(w) {
			r, _ := utf8.DecodeRuneInString(w)
			if utf8.RuneCountInString(w) == 3 && plainSurnames[r] {
				flag(w)
			}
			if i+1 < len(words) && nameTitles[words[i+1]] {
				flag(w)
			}
			if i > 0 {
				if _, cue := nameCues[words[i-1]]; cue {
					flag(w)
				}
			}
		}
		if i > 0 && nameCues[words[i-1]] && han(w, 2, 3) {
			flag(w)
		}
		// 张 建国: the given name after a lone plain family name.
		if i > 0 && lone(words[i-1]) && han(w, 1, 2) {
			flag(w)
		}
		// 王 女士 … is fine; 李 明 老师: covered above. A lone family name
		// after a strong cue takes the next word with it: 我叫 张 建国.
		if i > 1 && nameCues[words[i-2]] && utf8.RuneCountInString(words[i-1]) == 1 && surnames[[]rune(words[i-1])[0]] && han(w, 1, 2) {
			flag(w)
		}
	}
	return out
}
