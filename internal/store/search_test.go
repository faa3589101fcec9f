package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hotline/internal/order"
	"hotline/internal/store"
	"hotline/internal/testenv"
	"hotline/internal/textproc"
)

// searchDB is a migrated store with two committees' compounds and a clock
// for the orders it creates (each a minute after the previous one, so ids
// and times grow together).
type searchDB struct {
	t     *testing.T
	st    *store.Store
	clock time.Time
	seg   *textproc.Segmenter
}

func openSearchDB(t *testing.T, url string) *searchDB {
	t.Helper()
	ctx := context.Background()
	st := openMigrated(t, url)
	for _, u := range []store.Unit{{Code: "binyang", Name: "宾阳路居委会", Kind: "committee", Active: true},
		{Code: "longcao", Name: "龙漕居委会", Kind: "committee", Active: true}} {
		if err := st.PutUnit(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []store.Compound{{Code: "sanjiang", Name: "三江小区", Committee: "binyang"},
		{Code: "longcao1", Name: "龙漕小区", Committee: "longcao"}} {
		if err := st.PutCompound(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return &searchDB{t: t, st: st, clock: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), seg: textproc.Default()}
}

// add stores an order the way the service does (search tokens of title and
// description) and returns its id.
func (d *searchDB) add(title, desc, address, compound string) string {
	d.t.Helper()
	d.clock = d.clock.Add(time.Minute)
	in := order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Title: title, Description: desc,
		Address: address, Compound: compound, Caller: &order.Caller{Name: "测试市民", Phone: "13800001234"}}
	o, ev, err := in.Build(order.Actor{Username: "operator", Role: order.RoleOperator}, order.CreateEnv{Now: d.clock})
	if err != nil {
		d.t.Fatal(err)
	}
	if err := d.st.CreateOrder(context.Background(), &o, ev, d.seg.SearchTokens(title+"\n"+desc)); err != nil {
		d.t.Fatal(err)
	}
	return o.ID
}

// search runs a ranked query page by page and returns the ids in order.
func (d *searchDB) search(f store.Filter, q string) []string {
	d.t.Helper()
	f.Query, f.Tokens = q, d.seg.QueryTokens(q)
	var ids []string
	seen := map[string]bool{}
	for page := 0; ; page++ {
		list, next, err := d.st.ListOrders(context.Background(), f)
		if err != nil {
			d.t.Fatal(err)
		}
		if page > 1000 {
			d.t.Fatal("paging does not end")
		}
		for _, o := range list {
			if seen[o.ID] {
				d.t.Fatalf("q=%s: order %s on two pages (page %d, cursor %q)", q, o.ID, page, f.Cursor)
			}
			seen[o.ID] = true
			ids = append(ids, o.ID)
		}
		if next == "" {
			return ids
		}
		if len(list) != max(f.Limit, 1) && f.Limit > 0 {
			d.t.Fatalf("q=%s: a short page (%d of %d) with a next cursor", q, len(list), f.Limit)
		}
		f.Cursor = next
	}
}

// TestSearchRanking: the exact phrase first, then the orders at the place
// the query names (by compound or address), then by how many query words
// the text holds and how many of them the title holds, then newest first.
func TestSearchRanking(t *testing.T) {
	testenv.SkipUnderRace(t, "ranking checked by hand")
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		t.Parallel() // own database; sqlite and postgres overlap
		d := openSearchDB(t, url)
		phrase := d.add("三江小区路灯坏了", "晚上一片漆黑，老人出门不方便", "", "")
		inTitle := d.add("三江小区的路灯又坏了", "上周修过一次，现在又不亮了", "", "")
		byCompound := d.add("5号楼门口灯坏了", "楼下的路灯晚上很黑", "", "sanjiang")
		byAddress := d.add("楼下路灯倒了", "被车撞倒，挡住了通道", "宾阳路三江小区3号楼", "")
		otherPlace := d.add("龙漕小区路灯坏了", "坏了三天没人修", "龙漕小区", "longcao1")
		inDesc := d.add("晚上太黑", "门口路灯坏了，走路容易摔倒", "", "")
		_ = d.add("夜间施工噪音扰民", "工地凌晨还在施工", "", "")
		_ = d.add("垃圾没有及时清运", "三江路口的垃圾桶满了", "", "")

		want := []string{phrase, inTitle, byAddress, byCompound, otherPlace, inDesc}
		got := d.search(store.Filter{Limit: 2}, "三江小区路灯")
		if !slices.Equal(got, want) {
			t.Fatalf("q=三江小区路灯:\n got %v\nwant %v (phrase, title words, address, compound, other place, description)", got, want)
		}
		// The same ranking on one page and with the query split by a space.
		if got := d.search(store.Filter{Limit: 50}, "三江小区 路灯"); !slices.Equal(got, want) {
			t.Fatalf("q=三江小区 路灯: got %v, want %v", got, want)
		}
		// A query of the compound's short name still finds its orders
		// first, including the one that only its compound field names.
		got = d.search(store.Filter{}, "三江 路灯")
		if len(got) < 4 || !slices.Contains(got[:4], byCompound) || !slices.Contains(got[:4], byAddress) {
			t.Fatalf("q=三江 路灯: %v (compound %s, address %s should be in the first four)", got, byCompound, byAddress)
		}
		// Filters still apply to ranked results.
		if got := d.search(store.Filter{Unit: "nobody"}, "三江小区路灯"); len(got) != 0 {
			t.Fatalf("unit filter ignored: %v", got)
		}
		// Nothing matches: an empty list, no cursor.
		if got := d.search(store.Filter{}, "火星基地"); len(got) != 0 {
			t.Fatalf("q=火星基地: %v", got)
		}
		// Without a query the list stays newest first.
		list, _, err := d.st.ListOrders(context.Background(), store.Filter{Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 || list[0].ID <= list[1].ID || list[1].ID <= list[2].ID {
			t.Fatalf("default list not newest first: %v %v %v", list[0].ID, list[1].ID, list[2].ID)
		}
		// A cursor of the other kind is refused, not misread.
		f := store.Filter{Tokens: []string{"路灯"}, Query: "路灯", Cursor: "12"}
		if _, _, err := d.st.ListOrders(context.Background(), f); err == nil {
			t.Fatal("a plain id cursor was accepted for a ranked search")
		}
	})
}

// TestSearchPagingVisitsEveryMatchOnce pages through ranked results with a
// window smaller than the matches (so the window, the older strong matches
// and the newest-first tail are all crossed) and checks that every match is
// visited exactly once, that page size does not change the order, and that
// orders created while paging do not disturb it.
func TestSearchPagingVisitsEveryMatchOnce(t *testing.T) {
	testenv.SkipUnderRace(t, "paging checked against every match")
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		t.Parallel() // own database; sqlite and postgres overlap
		d := openSearchDB(t, url)
		texts := []struct{ title, desc, addr, comp string }{
			{"三江小区路灯坏了", "晚上很黑", "", ""},
			{"小区门口路灯坏了", "请尽快修理", "", ""},
			{"路灯杆歪了", "担心倒下砸到人", "宾阳路", ""},
			{"楼道灯不亮", "三江小区5号楼楼道", "", "sanjiang"},
			{"龙漕小区路灯坏了", "三天了", "", "longcao1"},
			{"夜间施工噪音扰民", "工地凌晨还在施工", "", ""},
			{"三江小区的路灯又坏了", "上周修过", "", ""},
			{"垃圾桶满了", "没人清运", "", "sanjiang"},
			{"树枝挡住路灯", "需要修剪", "", ""},
		}
		match := map[string]bool{}
		var all []string
		for i := 0; i < 6; i++ {
			for k, x := range texts {
				id := d.add(x.title, fmt.Sprintf("%s（第%d次反映）", x.desc, i), x.addr, x.comp)
				all = append(all, id)
				if k != 5 { // the noise complaint matches nothing
					match[id] = true
				}
			}
		}
		q := "三江小区路灯"
		full := d.search(store.Filter{Limit: 200}, q)
		if len(full) != len(match) {
			t.Fatalf("one page: %d orders, want the %d matches", len(full), len(match))
		}
		for _, id := range full {
			if !match[id] {
				t.Fatalf("order %s does not match %s", id, q)
			}
		}
		for _, limit := range []int{1, 4, 7} {
			if got := d.search(store.Filter{Limit: limit}, q); !slices.Equal(got, full) {
				t.Fatalf("limit %d: %v\nwant %v", limit, got, full)
			}
		}
		// A small window: 10 scored, then the older strong matches, then
		// the rest newest first. Every match still comes exactly once.
		for _, w := range []int{3, 10, 25} {
			for _, limit := range []int{1, 4, 9} {
				got := d.search(store.Filter{Limit: limit, RankWindow: w}, q)
				if len(got) != len(match) {
					t.Fatalf("window %d, limit %d: %d orders, want %d", w, limit, len(got), len(match))
				}
				one := d.search(store.Filter{Limit: 200, RankWindow: w}, q)
				if !slices.Equal(got, one) {
					t.Fatalf("window %d: limit %d pages differ from one page", w, limit)
				}
			}
		}
		// One token: the window has no second part, and the tail still
		// comes after it.
		lamp := 0
		for _, x := range texts {
			if slices.Contains(d.seg.SearchTokens(x.title+"\n"+x.desc), "路灯") {
				lamp += 6
			}
		}
		for _, w := range []int{4, 100} {
			if got := d.search(store.Filter{Limit: 3, RankWindow: w}, "路灯"); len(got) != lamp {
				t.Fatalf("q=路灯, window %d: %d orders, want %d", w, len(got), lamp)
			}
		}
		// Orders created between pages do not appear in the paging started
		// before them, and nothing is repeated or lost.
		f := store.Filter{Limit: 5, RankWindow: 10, Query: q, Tokens: d.seg.QueryTokens(q)}
		seen := map[string]bool{}
		for {
			list, next, err := d.st.ListOrders(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range list {
				if seen[o.ID] {
					t.Fatalf("order %s twice", o.ID)
				}
				seen[o.ID] = true
			}
			d.add("三江小区路灯坏了", "又一位居民反映", "", "sanjiang")
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if len(seen) != len(match) {
			t.Fatalf("paging while orders arrive: %d orders, want %d", len(seen), len(match))
		}
		for id := range seen {
			if !match[id] {
				t.Fatalf("order %s created while paging appeared", id)
			}
		}
		_ = all
		// Bad cursors are refused.
		for _, c := range []string{"r1.x", "r1.5.6.0.1.1", "r1.0.0.0.1.1", "r2.5.0.0.1.1", strings.Repeat("9", 30)} {
			f.Cursor = c
			if _, _, err := d.st.ListOrders(context.Background(), f); err == nil {
				t.Fatalf("cursor %q accepted", c)
			}
		}
	})
}

func TestNormText(t *testing.T) {
	for in, want := range map[string]string{
		"三江小区 路灯": "三江小区路灯", "ＡＢＣ１２３号": "abc123号", "A市A3区，房屋！": "a市a3区房屋", "tel: 12345\n": "tel12345", "": "",
	} {
		if got := store.NormText(in); got != want {
			t.Errorf("normText(%q) = %q, want %q", in, got, want)
		}
	}
}
