package textproc

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// teddyHotspotDocs loads the Teddy hotspot messages as cluster input.
func teddyHotspotDocs(t testing.TB) ([]ClusterDoc, map[string]string) {
	t.Helper()
	rows := readCSV(t, "teddy2020c/hotspot_messages_train.csv")
	docs := make([]ClusterDoc, len(rows))
	titles := make(map[string]string, len(rows))
	for i, r := range rows {
		at, _ := time.ParseInLocation("2006-01-02 15:04:05", r["留言时间"], time.Local)
		likes, _ := strconv.Atoi(r["点赞数"])
		dislikes, _ := strconv.Atoi(r["反对数"])
		docs[i] = ClusterDoc{ID: r["留言编号"], Text: r["留言主题"] + "\n" + r["留言详情"], At: at,
			Caller: r["留言用户"], Likes: likes, Dislikes: dislikes}
		titles[r["留言编号"]] = r["留言主题"]
	}
	return docs, titles
}

func gasDocs(t testing.TB) ([]ClusterDoc, map[string]map[string]string) {
	t.Helper()
	rows := readCSV(t, "peoples_daily_gas/complaints_train.csv")
	docs := make([]ClusterDoc, len(rows))
	byID := make(map[string]map[string]string, len(rows))
	for i, r := range rows {
		at, _ := time.ParseInLocation("2006-01-02 15:04", r["replyDate"], time.Local)
		docs[i] = ClusterDoc{ID: r["replyID"], Text: r["title"] + "\n" + r["replyContentMain"], At: at}
		byID[r["replyID"]] = r
	}
	return docs, byID
}

// placeCode finds the anonymised place code of a Teddy title (A3区, A市,
// K8县): messages about one problem name the same place.
var placeCode = regexp.MustCompile(`[A-Z][0-9]*[市县区]`)

// clusterQuality summarises a clustering against proxy labels: purity is
// the share of clustered messages (with a proxy label) that carry their
// cluster's majority label; pairRecall is the share of "surely the same
// problem" pairs that ended in one cluster.
type clusterQuality struct {
	clusters, clustered int
	purity              float64
	pairs, pairsJoined  int
}

func (q clusterQuality) String() string {
	return fmt.Sprintf("clusters(>=2) %d, messages in them %d, proxy purity %.3f, same-title pairs joined %d/%d (%.3f)",
		q.clusters, q.clustered, q.purity, q.pairsJoined, q.pairs, float64(q.pairsJoined)/float64(max(q.pairs, 1)))
}

func measureClusters(cs []Cluster, proxy func(id string) string, sameKey func(id string) string, ids []string) clusterQuality {
	var q clusterQuality
	labelled, majority := 0, 0
	member := map[string]string{}
	for _, c := range cs {
		if c.Size < 2 {
			continue
		}
		q.clusters++
		q.clustered += c.Size
		votes := map[string]int{}
		n := 0
		for _, id := range c.Members {
			member[id] = c.ID
			if p := proxy(id); p != "" {
				votes[p]++
				n++
			}
		}
		best := 0
		for _, v := range votes {
			best = max(best, v)
		}
		if n >= 2 {
			labelled += n
			majority += best
		}
	}
	q.purity = float64(majority) / float64(max(labelled, 1))
	groups := map[string][]string{}
	for _, id := range ids {
		if k := sameKey(id); k != "" {
			groups[k] = append(groups[k], id)
		}
	}
	for _, g := range groups {
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				q.pairs++
				if member[g[i]] != "" && member[g[i]] == member[g[j]] {
					q.pairsJoined++
				}
			}
		}
	}
	return q
}

func teddyQuality(t testing.TB, opts ClusterOptions) (clusterQuality, []Cluster, map[string]string) {
	docs, titles := teddyHotspotDocs(t)
	cs := ClusterAll(docs, opts).Clusters(2)
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	q := measureClusters(cs,
		func(id string) string { return placeCode.FindString(titles[id]) },
		func(id string) string {
			if tt := titles[id]; len([]rune(tt)) >= 8 {
				return tt
			}
			return ""
		}, ids)
	return q, cs, titles
}

func gasQuality(t testing.TB, opts ClusterOptions) (clusterQuality, []Cluster, map[string]map[string]string) {
	docs, rows := gasDocs(t)
	cs := ClusterAll(docs, opts).Clusters(2)
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	q := measureClusters(cs,
		func(id string) string { return rows[id]["province"] + rows[id]["city"] },
		func(id string) string {
			if tt := rows[id]["title"]; len([]rune(tt)) >= 8 {
				return tt
			}
			return ""
		}, ids)
	return q, cs, rows
}

// TestExperimentClusters prints cluster quality for several thresholds and
// a sample of clusters for reading by hand (titles go to the terminal only,
// never into docs):
//
//	HOTLINE_CLUSTER_EXPERIMENT=1 go test ./internal/textproc -run TestExperimentClusters -v
func TestExperimentClusters(t *testing.T) {
	if os.Getenv("HOTLINE_CLUSTER_EXPERIMENT") == "" {
		t.Skip("set HOTLINE_CLUSTER_EXPERIMENT=1")
	}
	for _, th := range []float64{0.3, 0.35, 0.4, 0.5, 0.6} {
		for _, win := range []time.Duration{0, 30 * 24 * time.Hour} {
			start := time.Now()
			q, _, _ := teddyQuality(t, ClusterOptions{Threshold: th, Window: win})
			t.Logf("teddy threshold %.2f window %v: %s (%v)", th, win, q, time.Since(start).Round(time.Millisecond))
		}
	}
	for _, th := range []float64{0.3, 0.4, 0.5} {
		q, _, _ := gasQuality(t, ClusterOptions{Threshold: th})
		t.Logf("gas threshold %.2f: %s", th, q)
	}
	if os.Getenv("HOTLINE_CLUSTER_GAS_SAMPLE") != "" {
		_, cs, rows := gasQuality(t, ClusterOptions{})
		for i, c := range cs {
			if i%5 != 0 && i > 10 {
				continue
			}
			var ts []string
			for _, id := range c.Members[:min(6, len(c.Members))] {
				r := rows[id]
				ts = append(ts, r["city"]+" | "+r["title"]+" | "+string([]rune(r["replyContentMain"])[:min(40, len([]rune(r["replyContentMain"])))]))
			}
			t.Logf("%s size %d [%s]\n    %s", c.ID, c.Size, c.Label, strings.Join(ts, "\n    "))
		}
	}
	if os.Getenv("HOTLINE_CLUSTER_SAMPLE") != "" {
		var th float64
		fmt.Sscan(os.Getenv("HOTLINE_CLUSTER_SAMPLE"), &th)
		_, cs, titles := teddyQuality(t, ClusterOptions{Threshold: th})
		// A systematic sample: every 12th cluster by size, all members.
		for i, c := range cs {
			if i%12 != 0 {
				continue
			}
			var ts []string
			for _, id := range c.Members[:min(12, len(c.Members))] {
				ts = append(ts, titles[id])
			}
			t.Logf("%s size %d [%s]\n    %s", c.ID, c.Size, c.Label, strings.Join(ts, "\n    "))
		}
	}
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
	q, _, _ := teddyQuality(t, ClusterOptions{})
	t.Logf("teddy hotspots: %s", q)
	if q.purity < 0.85 || float64(q.pairsJoined) < 0.9*float64(q.pairs) || q.clusters < 200 {
		t.Errorf("teddy cluster quality dropped: %s", q)
	}
	g, _, _ := gasQuality(t, ClusterOptions{})
	t.Logf("gas complaints: %s", g)
	if g.purity < 0.85 || g.pairsJoined < g.pairs || g.clusters < 20 {
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
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	inc := measureClusters(c.Clusters(2), func(id string) string { return placeCode.FindString(titles[id]) },
		func(id string) string {
			if tt := titles[id]; len([]rune(tt)) >= 8 {
				return tt
			}
			return ""
		}, ids)
	t.Logf("teddy hotspots, incremental: %s", inc)
	if inc.purity < 0.85 || float64(inc.pairsJoined) < 0.85*float64(inc.pairs) {
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
