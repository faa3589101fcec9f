package textproc

import (
	"hotline/internal/testenv"
	"hotline/internal/textproc/textdata"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// teddyMemo holds the Teddy hotspot messages and their clusterings once per
// test binary: four tests score ClusterAll of the same messages with the
// same options (the default clusterer), and each clustering cost about 2 s
// of CPU (issue 13). The clusterings are only read after they are made
// (Clusters, ClusterOf and Score take the clusterer's lock and change
// nothing), so sharing them checks what computing them again would. The
// tests run side by side (beside), so each clustering is made under its
// own once: the second test to ask waits for the first's.
var teddyMemo struct {
	sync.Mutex
	docs     []ClusterDoc
	titles   map[string]string
	clusters testenv.OncePer[ClusterOptions, *Clusterer]
}

// teddyHotspotDocs loads the Teddy hotspot messages as cluster input. The
// slice is the caller's own (a test sorts it); titles is shared, read-only.
func teddyHotspotDocs(t testing.TB) ([]ClusterDoc, map[string]string) {
	t.Helper()
	dir := sharedData(t)
	teddyMemo.Lock()
	defer teddyMemo.Unlock()
	if teddyMemo.docs == nil {
		rows, titles, err := textdata.TeddyHotspots(dir)
		teddyMemo.docs, teddyMemo.titles = clusterDocs(loaded(t, rows, err)), titles
	}
	return slices.Clone(teddyMemo.docs), teddyMemo.titles
}

// teddyClusterAll is ClusterAll of the Teddy hotspot messages with opts,
// made once per test binary for each opts without learnt places (a
// gazetteer is built per test, so those are clustered each time).
func teddyClusterAll(t testing.TB, opts ClusterOptions) *Clusterer {
	t.Helper()
	docs, _ := teddyHotspotDocs(t)
	if opts.Places != nil {
		return ClusterAll(docs, opts)
	}
	return teddyMemo.clusters.Do(opts, func() *Clusterer { return ClusterAll(docs, opts) })
}

func gasDocs(t testing.TB) ([]ClusterDoc, map[string]map[string]string) {
	t.Helper()
	rows, byID, err := textdata.Gas(sharedData(t))
	return clusterDocs(loaded(t, rows, err)), byID
}

func clusterDocs(rows []textdata.Doc) []ClusterDoc {
	docs := make([]ClusterDoc, len(rows))
	for i, r := range rows {
		docs[i] = ClusterDoc(r)
	}
	return docs
}

// teddyQuality clusters the Teddy hotspot messages with opts and scores the
// result (docs/intelligence.md explains the proxies).
func teddyQuality(t testing.TB, opts ClusterOptions) textdata.ClusterQuality {
	docs, titles := teddyHotspotDocs(t)
	return textdata.TeddyQuality(groupsOf(teddyClusterAll(t, opts).Clusters(2)), titles, idsOf(docs))
}

// groupsOf returns each cluster's members: what textdata's measures take.
func groupsOf(cs []Cluster) [][]string {
	groups := make([][]string, len(cs))
	for i, c := range cs {
		groups[i] = c.Members
	}
	return groups
}

func idsOf(docs []ClusterDoc) []string {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids
}

func TestClustererSmall(t *testing.T) {
	c := NewClusterer(ClusterOptions{Window: 30 * 24 * time.Hour})
	day := func(d int) time.Time { return time.Date(2026, 3, d, 9, 0, 0, 0, time.UTC) }
	c.Add("a", "三江小区29号楼群租\n三江小区29号楼有人群租，一套房住了二十多人", day(1))
	c.Add("b", "路灯坏了\n宾阳路月河路口的路灯坏了一个星期", day(1))
	c.Add("c", "三江小区群租扰民\n三江小区29号楼群租房人员复杂，晚上吵闹", day(2))
	c.Add("d", "咨询养老金\n退休人员养老金什么时候调整", day(3))
	c.Add("c", "duplicate id is ignored", day(3))
	c.Add("e", "三江小区29号楼群租\n反映三江小区29号楼群租问题", time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
	cs := c.Clusters(2)
	if len(cs) != 1 {
		t.Fatalf("want one cluster, got %+v", cs)
	}
	got := cs[0]
	if got.Size != 2 || got.Members[0] != "a" || got.Members[1] != "c" {
		t.Errorf("members %v (size %d), want [a c]", got.Members, got.Size)
	}
	if got.Place != "三江小区" || !strings.HasPrefix(got.Label, "三江小区: ") || !slices.Contains(got.Terms, "群租") {
		t.Errorf("label %q place %q terms %q", got.Label, got.Place, got.Terms)
	}
	if !got.First.Equal(day(1)) || !got.Last.Equal(day(2)) {
		t.Errorf("first/last %v %v", got.First, got.Last)
	}
	if id, ok := c.ClusterOf("c"); !ok || id != got.ID {
		t.Errorf("ClusterOf(c) = %q %v, want %q", id, ok, got.ID)
	}
	if id, _ := c.ClusterOf("e"); id == got.ID {
		t.Error("message months later joined the cluster despite the window")
	}
	if len(c.Clusters(1)) != 4 {
		t.Errorf("Clusters(1) = %d clusters, want 4", len(c.Clusters(1)))
	}
}

func TestPlaceAt(t *testing.T) {
	for _, c := range []struct {
		words []string
		i     int
		want  string
	}{
		{[]string{"三江小区"}, 0, "三江小区"},
		{[]string{"宾阳路"}, 0, "宾阳路"},
		{[]string{"魅力", "之城", "小区"}, 2, "魅力之城小区"},
		{[]string{"看", "云路", "润芳园", "小区"}, 3, "润芳园小区"},
		{[]string{"周边", "小区"}, 1, ""},
		{[]string{"市政府"}, 0, ""},
		{[]string{"道路"}, 0, ""},
		{[]string{"东升", "路"}, 1, "东升路"},
	} {
		if got := placeAt(c.words, c.i); got != c.want {
			t.Errorf("placeAt(%q, %d) = %q, want %q", c.words, c.i, got, c.want)
		}
	}
}

// TestClusterQuality checks hotspot clustering on the real messages with
// the proxies explained in docs/intelligence.md: messages about one problem
// name the same place (Teddy: anonymised place code in the title; gas: the
// city), and messages with the same long title are about the same problem.
func TestClusterQuality(t *testing.T) {
	beside(t)
	q := teddyQuality(t, ClusterOptions{})
	t.Logf("teddy hotspots: %s", q)
	if q.Purity < 0.85 || float64(q.PairsJoined) < 0.9*float64(q.Pairs) || q.Clusters < 200 {
		t.Errorf("teddy cluster quality dropped: %s", q)
	}
	gas, rows := gasDocs(t)
	g := textdata.GasQuality(groupsOf(ClusterAll(gas, ClusterOptions{}).Clusters(2)), rows, idsOf(gas))
	t.Logf("gas complaints: %s", g)
	if g.Purity < 0.85 || g.PairsJoined < g.Pairs || g.Clusters < 20 {
		t.Errorf("gas cluster quality dropped: %s", g)
	}

	// The incremental Clusterer (what the server uses) without the batch's
	// document frequencies known in advance.
	docs, titles := teddyHotspotDocs(t)
	slices.SortStableFunc(docs, func(a, b ClusterDoc) int { return a.At.Compare(b.At) })
	c := NewClusterer(ClusterOptions{})
	for _, d := range docs {
		c.Add(d.ID, d.Text, d.At)
	}
	inc := textdata.TeddyQuality(groupsOf(c.Clusters(2)), titles, idsOf(docs))
	t.Logf("teddy hotspots, incremental: %s", inc)
	if inc.Purity < 0.85 || float64(inc.PairsJoined) < 0.85*float64(inc.Pairs) {
		t.Errorf("incremental cluster quality dropped: %s", inc)
	}
}

func TestClusterIgnoresRedactedData(t *testing.T) {
	c := NewClusterer(ClusterOptions{})
	c.Add("1", "联系我\n请回电13812345678", time.Time{})
	c.Add("2", "回电\n我的电话13987654321请回电", time.Time{})
	for _, cl := range c.Clusters(1) {
		if strings.Contains(cl.Label, "phone") || strings.Contains(cl.Label, "138") {
			t.Errorf("label %q shows redacted data", cl.Label)
		}
	}
}
