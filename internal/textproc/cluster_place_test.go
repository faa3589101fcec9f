package textproc

import (
	"slices"
	"testing"
	"time"
)

func TestFindPlaces(t *testing.T) {
	seg := Default()
	for _, c := range []struct {
		text string
		want []string
	}{
		{"A5区劳动东路魅力之城小区油烟扰民", []string{"劳动东路", "魅力之城小区"}},
		{"投诉A市伊景园滨河苑捆绑销售车位", []string{"伊景园滨河苑"}},
		{"A3区西湖街道茶场村五组何时启动拆迁", []string{"茶场村"}},
		{"西地省聚利人普惠投资有限公司涉嫌诈骗", []string{"聚利人普惠投资有限公司"}},
		{"我们小区门口有人乱停车", nil},
		{"燃气公司限购燃气", nil},
		{"区政府不作为", nil},
	} {
		var got []string
		for _, p := range findPlaces(seg.Cut(c.text)) {
			got = append(got, p.name)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("findPlaces(%s) = %q, want %q", c.text, got, c.want)
		}
	}
	if !samePlace("滨河苑", "伊景园滨河苑") || samePlace("六路", "东六路") || samePlace("三江小区", "月河小区") {
		t.Error("samePlace")
	}
	g := NewGazetteer([]string{"宾阳路", "三江小区", "三江", " "})
	if got := g.find("三江小区门口，宾阳路上"); got["三江小区"] != 1 || got["宾阳路"] != 1 || got["三江"] != 0 {
		t.Errorf("gazetteer found %v", got)
	}
}

// TestClusterPlaceAndProblem is the behaviour issue 17 asks for, on made-up
// messages: residents of one compound about one nuisance in their own words
// join; the same problem at another compound, another problem at the same
// compound, and the problem a year later stay apart; a repost counts once.
func TestClusterPlaceAndProblem(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	docs := []ClusterDoc{
		{ID: "a1", Text: "三江小区楼下烧烤店油烟太大\n三江小区临街门面烧烤，油烟直排进家里", At: day(0), Caller: "u1", Likes: 3},
		{ID: "a2", Text: "三江小区底层餐馆油烟扰民\n三江小区一楼的夜宵摊营业到凌晨，吵得睡不着，油烟也大", At: day(2), Caller: "u2"},
		{ID: "a3", Text: "反映三江小区商铺烧烤油烟问题\n三江小区商铺没有排烟管道，整个小区都是烧烤味", At: day(5), Caller: "u3", Dislikes: 1},
		{ID: "a3copy", Text: "反映三江小区商铺烧烤油烟问题\n三江小区商铺没有排烟管道，整个小区都是烧烤味", At: day(6), Caller: "u4"},
		{ID: "b1", Text: "月河小区楼下烧烤店油烟太大\n月河小区临街门面烧烤，油烟直排进家里", At: day(1), Caller: "u5"},
		{ID: "c1", Text: "三江小区电梯经常坏\n三江小区3栋电梯一个月坏了三次，物业不修", At: day(3), Caller: "u6"},
		{ID: "a4", Text: "三江小区烧烤油烟又来了\n三江小区临街烧烤油烟直排，去年投诉过", At: day(400), Caller: "u7"},
	}
	c := ClusterAll(docs, ClusterOptions{Window: 90 * 24 * time.Hour})
	of := func(id string) string { k, _ := c.ClusterOf(id); return k }
	if of("a1") != of("a2") || of("a1") != of("a3") || of("a3") != of("a3copy") {
		t.Errorf("one compound's one nuisance split: %s %s %s %s", of("a1"), of("a2"), of("a3"), of("a3copy"))
	}
	for _, other := range []string{"b1", "c1", "a4"} {
		if of(other) == of("a1") {
			t.Errorf("%s joined the 三江小区 fumes hotspot", other)
		}
	}
	for _, cl := range c.Clusters(2) {
		if cl.ID != of("a1") {
			continue
		}
		if cl.Size != 4 || cl.Distinct != 3 || cl.Callers != 4 || cl.Likes != 3 || cl.Dislikes != 1 {
			t.Errorf("size %d distinct %d callers %d likes %d/%d, want 4 3 4 3/1", cl.Size, cl.Distinct, cl.Callers, cl.Likes, cl.Dislikes)
		}
		if cl.Place != "三江小区" {
			t.Errorf("place %q", cl.Place)
		}
		if !cl.Messages[3].Copy || cl.Messages[2].Copy {
			t.Errorf("copy flags %+v", cl.Messages)
		}
	}
	// The old clusterer, on words alone, does not join them: what issue 17
	// is about.
	old := ClusterAll(docs, ClusterOptions{Legacy: true, Window: 90 * 24 * time.Hour})
	k1, _ := old.ClusterOf("a1")
	k2, _ := old.ClusterOf("a2")
	if k1 == k2 {
		t.Log("the old clusterer joined a1 and a2 too")
	}
}
