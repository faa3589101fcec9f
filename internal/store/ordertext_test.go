package store_test

import (
	"context"
	"strconv"
	"testing"

	"hotline/internal/store"
	"hotline/internal/testenv"
)

// TestForEachOrderTextOpenOldestFirst: the open orders come as the newest
// limit of them, oldest first, the order they arrived in; the similar-order
// index takes a word's newest documents from that order (issue 19), so a
// restart must not turn it around.
func TestForEachOrderTextOpenOldestFirst(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		t.Parallel() // own database; sqlite and postgres overlap
		st := openMigrated(t, url)
		ctx := context.Background()
		var ids []int64
		for i := range 5 {
			o, ev := newOrder(t, i, "")
			if err := st.CreateOrder(ctx, &o, ev, nil); err != nil {
				t.Fatal(err)
			}
			id, _ := strconv.ParseInt(o.ID, 10, 64)
			ids = append(ids, id)
		}
		var got []int64
		err := st.ForEachOrderText(ctx, true, 3, func(ot store.OrderText) error {
			id, _ := strconv.ParseInt(ot.ID, 10, 64)
			got = append(got, id)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0] != ids[2] || got[1] != ids[3] || got[2] != ids[4] {
			t.Errorf("open orders %v, want the newest three oldest first %v", got, ids[2:])
		}
	})
}
