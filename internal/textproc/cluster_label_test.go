package textproc

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"hotline/internal/testenv"
)

// TestClusterLabelsHoldNoPersonalData: messages about one problem that name
// the same people (the property manager, the callers) and give phone and ID
// numbers form a cluster whose label names the place and the problem but
// none of the people or numbers, whichever way the names are written.
func TestClusterLabelsHoldNoPersonalData(t *testing.T) {
	testenv.SkipUnderRace(t, "clustering and labels")
	msgs := []struct{ id, text string }{
		{"1", "三江小区楼顶漏水物业经理张建国不管\n三江小区12号楼楼顶漏水，物业经理张建国不管不问，我的电话13812345678"},
		{"2", "三江小区楼顶漏水张建国不处理\n三江小区12号楼楼顶漏水多次找物业张建国，他一直不处理。联系人：李娜老师，电话138 1234 5678"},
		{"3", "三江小区楼顶漏水没人管\n我叫王芳，三江小区12号楼楼顶漏水，找物业经理张建国说不归他管，身份证430102199001011234，座机0731-84512345"},
		{"4", "三江小区楼顶漏水\n业主刘德华反映三江小区12号楼楼顶漏水，张建国先生推脱，请回电13987654321"},
		{"5", "三江小区楼顶漏水严重\n三江小区12号楼楼顶漏水，物业张某某拖着不修，王芳和刘德华都反映过，邮箱wangfang@example.com"},
	}
	private := []string{"张建国", "建国", "李娜", "王芳", "刘德华", "德华", "张某某",
		"13812345678", "1381234", "12345678", "5678", "430102", "19900101", "84512345", "0731", "13987654321", "wangfang", "example"}
	for _, incremental := range []bool{true, false} {
		var cs []Cluster
		if incremental {
			c := NewClusterer(ClusterOptions{})
			for _, m := range msgs {
				c.Add(m.id, m.text, time.Time{})
			}
			cs = c.Clusters(2)
		} else {
			var docs []ClusterDoc
			for _, m := range msgs {
				docs = append(docs, ClusterDoc{ID: m.id, Text: m.text})
			}
			cs = ClusterAll(docs, ClusterOptions{}).Clusters(2)
		}
		if len(cs) == 0 || cs[0].Size < 4 {
			t.Fatalf("incremental=%v: the leak reports do not cluster: %+v", incremental, cs)
		}
		for _, cl := range cs {
			for _, p := range private {
				if strings.Contains(cl.Label, p) || strings.Contains(cl.Place, p) {
					t.Errorf("incremental=%v: label %q (place %q) holds %q", incremental, cl.Label, cl.Place, p)
				}
			}
		}
		if cl := cs[0]; cl.Place != "三江小区" || !strings.Contains(cl.Label, "漏水") {
			t.Errorf("incremental=%v: label %q lost the place or the problem", incremental, cl.Label)
		}
	}
}

// TestAddPrivate: the caller's own name and phone, passed as private, are
// cut out of the text even where nothing marks them as a name.
func TestAddPrivate(t *testing.T) {
	c := NewClusterer(ClusterOptions{})
	c.AddPrivate("1", "欧阳娜娜反映路灯坏了\n欧阳娜娜家门口的路灯坏了，欧阳娜娜的号码是 139-0000-1111", time.Time{}, "欧阳娜娜", "139-0000-1111")
	c.AddPrivate("2", "欧阳娜娜说路灯坏了\n欧阳娜娜家门口的路灯坏了一个星期", time.Time{}, "欧阳娜娜")
	cs := c.Clusters(2)
	if len(cs) != 1 {
		t.Fatalf("clusters %+v", cs)
	}
	for _, p := range []string{"欧阳", "娜娜", "1390000", "1111"} {
		if strings.Contains(cs[0].Label, p) {
			t.Errorf("label %q holds %q", cs[0].Label, p)
		}
	}
	if !strings.Contains(cs[0].Label, "路灯") {
		t.Errorf("label %q lost the problem", cs[0].Label)
	}
}

func TestPersonNames(t *testing.T) {
	seg := Default()
	for _, c := range []struct {
		text  string
		names []string // must be found
		not   []string // must not be
	}{
		{"物业经理张建国不管", []string{"建国"}, []string{"物业", "经理"}},
		{"联系人李娜老师", []string{"李娜"}, []string{"老师"}},
		{"我叫王芳", []string{"芳"}, nil}, // 王 芳: single characters are never terms anyway
		{"业主刘德华反映", nil, []string{"业主", "反映"}},
		{"张某某拖着不修", []string{"张某某"}, []string{"不修"}},
		{"李书记和王女士", nil, []string{"书记", "女士"}},
		{"业主委员会不作为", nil, []string{"委员会", "业主委员会", "作为"}},
		{"周边小区路灯坏了", nil, []string{"周边", "小区", "路灯"}},
	} {
		words := seg.Cut(c.text)
		got := personNames(words)
		for _, n := range c.names {
			found := got[n]
			for g := range got {
				found = found || strings.Contains(g, n) || strings.Contains(n, g) && len([]rune(g)) >= 2
			}
			if !found {
				t.Errorf("%q (%v): name %q not found, got %v", c.text, words, n, got)
			}
		}
		for _, n := range c.not {
			if got[n] {
				t.Errorf("%q (%v): %q taken for a name", c.text, words, n)
			}
		}
	}
}

func TestLabelSafe(t *testing.T) {
	hc := &hotCluster{names: map[string]bool{"建国": true}}
	for w, want := range map[string]bool{
		"漏水": true, "29号楼": true, "302室": true, "1201室": true, "a3区": true, "12号楼": true,
		"建国": false, "张建国": false, "13812345678": false, "1381234": false, "a50397": false, "12345热线": false,
		"00000000号": false, "[phone]": true, "123456号楼": false,
	} {
		if got := hc.labelSafe(w); got != want {
			t.Errorf("labelSafe(%q) = %v, want %v", w, got, want)
		}
	}
}

// TestTeddyLabelsHoldNoNumbers: on the real hotspot messages, no label holds
// a run of three or more digits other than a house number.
func TestTeddyLabelsHoldNoNumbers(t *testing.T) {
	beside(t)
	house := regexp.MustCompile(`^[0-9]{1,4}(号楼|号院|号|栋|幢|座|单元|室|楼|层|弄|期|号门|门|户)$`)
	digits := regexp.MustCompile(`[0-9]{3,}`)
	for _, cl := range teddyClusterAll(t, ClusterOptions{}).Clusters(2) {
		for _, w := range append([]string{cl.Place}, cl.Terms...) {
			if digits.MatchString(w) && !house.MatchString(w) {
				t.Errorf("cluster %s label %q: %q", cl.ID, cl.Label, w)
			}
		}
	}
}
