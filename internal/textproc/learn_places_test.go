package textproc

import (
	"slices"
	"strings"
	"testing"
)

// pastTexts are the other two Teddy files (the labelled messages and the
// messages with replies), as a center's past orders: the same city's
// writers, none of them in the hotspot file.
func pastTexts(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, f := range []string{"teddy2020c/messages_labeled_train.csv", "teddy2020c/replies_train.csv"} {
		for _, r := range readCSV(t, f) {
			out = append(out, r["留言主题"]+"\n"+r["留言详情"])
		}
	}
	return out
}

// TestLearntPlacesOnLabelledHotspots scores the clusterer with places
// learnt from past orders beside the clusterer without them, in the same
// run, on both halves of the hand labels: learnt from the other Teddy files
// (past orders proper) and from the hotspot file itself (what the server
// does: it learns from the orders it also clusters). Learnt places must not
// hurt: F1 at most 0.01 below the plain clusterer's on either half.
func TestLearntPlacesOnLabelledHotspots(t *testing.T) {
	beside(t)
	docs, _ := teddyHotspotDocs(t)
	seg := Default()
	plainTune, plainTest := evalHotspots(t, ClusterOptions{})
	t.Logf("new clusterer, no learnt places:           tuning half %v, test half %v", plainTune, plainTest)

	fromPast := LearnPlaces(seg, nil, pastTexts(t), DefaultPlaceSupport)
	pastTune, pastTest := evalHotspots(t, ClusterOptions{Places: fromPast})
	t.Logf("places learnt from the other files (%d):  tuning half %v, test half %v", fromPast.Learnt(), pastTune, pastTest)

	self := make([]string, len(docs))
	for i, d := range docs {
		self[i] = d.Text
	}
	fromSelf := LearnPlaces(seg, nil, self, DefaultPlaceSupport)
	selfTune, selfTest := evalHotspots(t, ClusterOptions{Places: fromSelf})
	t.Logf("places learnt from the hotspot file (%d): tuning half %v, test half %v", fromSelf.Learnt(), selfTune, selfTest)

	for _, r := range []struct {
		name       string
		tune, test BCubedScore
	}{{"learnt from the other files", pastTune, pastTest}, {"learnt from the hotspot file", selfTune, selfTest}} {
		if r.tune.F < plainTune.F-0.01 || r.test.F < plainTest.F-0.01 {
			t.Errorf("%s: F1 %.3f / %.3f, below the plain clusterer's %.3f / %.3f", r.name, r.tune.F, r.test.F, plainTune.F, plainTest.F)
		}
	}
}

// TestLearnPlaces: a place found in two past orders is learnt (and then
// found however it is written: without its ending's neighbours), one found
// once is not, a name a text uses as a person's is never learnt, and the
// directory's compounds keep their rank.
func TestLearnPlaces(t *testing.T) {
	seg := Default()
	known := NewGazetteer([]string{"三江小区"})
	g := LearnPlaces(seg, known, []string{
		"投诉魅力之城小区门面油烟\n魅力之城小区临街烧烤",
		"魅力之城小区噪音\n晚上吵",
		"反映青竹湖学校收费\n青竹湖学校乱收费",
		"业主王建国小区门口停车难\n王建国小区门口乱停车",
		"业主王建国小区门口又堵了\n我叫王建国",
		"三江小区路灯坏了\n三江小区路灯",
		"三江小区漏水\n三江小区",
	}, 2)
	names := g.Names()
	if !slices.Contains(names, "魅力之城小区") || !slices.Contains(names, "三江小区") {
		t.Errorf("learnt names %v lack 魅力之城小区 (two orders) or the directory's 三江小区", names)
	}
	if slices.Contains(names, "青竹湖学校") {
		t.Errorf("a place of one order was learnt: %v", names)
	}
	for _, n := range names {
		if strings.Contains(n, "王建国") {
			t.Errorf("a person's name became a place: %q in %v", n, names)
		}
	}
	if g.kind("三江小区") != placeKnown || g.kind("魅力之城小区") != placeSite || g.Learnt() != 1 {
		t.Errorf("kinds: 三江小区 %d, 魅力之城小区 %d, learnt %d", g.kind("三江小区"), g.kind("魅力之城小区"), g.Learnt())
	}
	if got := g.find("那个魅力之城小区的烧烤"); got["魅力之城小区"] != 1 {
		t.Errorf("the learnt name is not found in a new text: %v", got)
	}
}

// BenchmarkFeatures is what clustering does to each message before it is
// compared (redaction, segmentation, places, names, problem classes,
// SimHash), over the 7,608 real messages the 100k corpus replays.
//
//	go test ./internal/textproc -run '^$' -bench Features -benchtime 1x
func BenchmarkFeatures(b *testing.B) {
	texts := realTexts(b)
	seg := Default()
	for b.Loop() {
		for _, t := range texts {
			features(seg, t, nil, nil, false)
		}
	}
}

// TestEndingOfOrder: the last-character table gives what trying every
// ending in order gives, for every ending and some words.
func TestEndingOfOrder(t *testing.T) {
	slow := func(w string) (string, placeKind) {
		for _, s := range siteEndings {
			if strings.HasSuffix(w, s) {
				return s, placeSite
			}
		}
		for _, s := range roadEndings {
			if strings.HasSuffix(w, s) {
				return s, placeRoad
			}
		}
		return "", 0
	}
	words := []string{"", "路", "东六路", "魅力之城小区", "滨河苑", "南站", "火车南站", "公园", "人民大道", "乡村公路", "三江", "abc", "家园", "新村"}
	words = append(words, siteEndings...)
	words = append(words, roadEndings...)
	for _, w := range words {
		e1, k1 := endingOf(w)
		e2, k2 := slow(w)
		if e1 != e2 || k1 != k2 {
			t.Errorf("endingOf(%q) = %q %d, want %q %d", w, e1, k1, e2, k2)
		}
	}
}
