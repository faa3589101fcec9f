package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hotline/internal/order"
	"hotline/internal/testenv"
)

// VerifyChains reads orders a chunk at a time: with chunks of 2 over 7
// orders, every order is still counted once, and a changed event (in a
// middle chunk) or a deleted one (in the last) is found at the right order,
// with the orders checked up to it.
func TestVerifyChainsAcrossChunks(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		s := openForTest(t, dbURL, true)
		var ids []int64
		for i := range 7 {
			in := order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Title: fmt.Sprintf("路灯坏了 %d", i),
				Description: "小区门口的路灯坏了三天。"}
			o, ev, err := in.Build(order.Actor{Username: "operator", Role: order.RoleOperator}, order.CreateEnv{Now: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateOrder(ctx, &o, ev, []string{"路灯"}); err != nil {
				t.Fatal(err)
			}
			var id int64
			fmt.Sscan(o.ID, &id)
			ids = append(ids, id)
		}
		for _, chunk := range []int{1, 2, 3, 1000} {
			if n, brk, err := s.verifyChains(ctx, chunk); err != nil || brk != nil || n != 7 {
				t.Fatalf("chunk %d, untouched: %d checked, break %+v, err %v", chunk, n, brk, err)
			}
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := s.w.ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		// Order 4 (second chunk of 2, its first order): a changed event.
		exec(`UPDATE order_events SET actor = 'mallory' WHERE order_id = $1 AND seq = 1`, ids[3])
		if n, brk, err := s.verifyChains(ctx, 2); err != nil || brk == nil || brk.OrderID != fmt.Sprint(ids[3]) || brk.Seq != 1 || n != 4 {
			t.Fatalf("changed event: %d checked, break %+v, err %v", n, brk, err)
		}
		exec(`UPDATE order_events SET actor = 'operator' WHERE order_id = $1 AND seq = 1`, ids[3])
		// Order 7 (the last chunk, alone in it): its only event deleted.
		exec(`DELETE FROM order_events WHERE order_id = $1`, ids[6])
		if n, brk, err := s.verifyChains(ctx, 2); err != nil || brk == nil || brk.OrderID != fmt.Sprint(ids[6]) || n != 7 {
			t.Fatalf("deleted event: %d checked, break %+v, err %v", n, brk, err)
		}
	})
}
