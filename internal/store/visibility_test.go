package store_test

import (
	"context"
	"strings"
	"testing"

	"hotline/internal/store"
	"hotline/internal/testenv"
)

// TestOrderUnits: the units of a derived view's orders are read in one
// query; ids that are no order ids, repeated or missing, are left out, not
// an error.
func TestOrderUnits(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		t.Parallel() // own database; sqlite and postgres overlap
		st := openMigrated(t, url)
		ctx := context.Background()
		var ids []string
		for i := range 3 {
			o, ev := newOrder(t, i, "")
			if i == 2 {
				o.Unit, o.CoUnits = "binyang", []string{"cityops", "housing"}
			}
			if err := st.CreateOrder(ctx, &o, ev, nil); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, o.ID)
		}
		got, err := st.OrderUnits(ctx, []string{ids[0], ids[2], ids[0], "999999", "x'; --", "", "-1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[ids[0]].ID != ids[0] || got[ids[0]].Unit != "" || got[ids[2]].Unit != "binyang" ||
			strings.Join(got[ids[2]].CoUnits, ",") != "cityops,housing" {
			t.Fatalf("OrderUnits: %+v", got)
		}
		if got, err := st.OrderUnits(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("no ids: %v %v", got, err)
		}
	})
}

// TestPublicListOthers: Open311's catch-all finds the orders without a
// category and those whose category is none of the services named.
func TestPublicListOthers(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		t.Parallel() // own database; sqlite and postgres overlap
		st := openMigrated(t, url)
		ctx := context.Background()
		cats := []string{"", "a.one", "b.two", "c.retired"}
		byCat := map[string]string{}
		for i, c := range cats {
			o, ev := newOrder(t, i, "")
			o.Category = c
			if err := st.CreateOrder(ctx, &o, ev, nil); err != nil {
				t.Fatal(err)
			}
			byCat[c] = o.Number
		}
		numbers := func(f store.PublicFilter) map[string]bool {
			t.Helper()
			f.Limit = 100
			rows, err := st.PublicList(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]bool{}
			for _, r := range rows {
				out[r.Order.Number] = true
			}
			return out
		}
		got := numbers(store.PublicFilter{Others: true, OtherThan: []string{"a.one", "b.two"}})
		if len(got) != 2 || !got[byCat[""]] || !got[byCat["c.retired"]] {
			t.Errorf("others than a.one, b.two: %v, want the uncategorised and the retired", got)
		}
		got = numbers(store.PublicFilter{Categories: []string{"a.one"}, Others: true, OtherThan: []string{"a.one", "b.two"}})
		if len(got) != 3 || got[byCat["b.two"]] {
			t.Errorf("a.one or others: %v", got)
		}
		if got = numbers(store.PublicFilter{Others: true}); len(got) != 4 {
			t.Errorf("others than no service: %d orders, want all 4", len(got))
		}
	})
}
