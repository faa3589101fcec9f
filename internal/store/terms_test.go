package store

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"hotline/internal/order"
	"hotline/internal/testenv"
)

// noteBy appends one event by actor with action to order id through the
// action path (an UpdateOrder transaction); a non-empty alsoID adds a second
// change to an order the mutation did not load, which fails the transaction
// after the first event was written.
func noteBy(ctx context.Context, s *Store, id int64, actor, action, alsoID string) error {
	_, err := s.UpdateOrder(ctx, strconv.FormatInt(id, 10), func(o order.Order, _ Loader) (Mutation, error) {
		prev := o.Version
		o.Version++
		ev := order.Event{At: time.Now(), Actor: actor, Action: action, From: o.Status, To: o.Status, Body: map[string]any{"text": "记录"}}
		m := Mutation{Changes: []Change{{Order: o, PrevVersion: prev, Event: ev}}}
		if alsoID != "" {
			other := o
			other.ID = alsoID
			m.Changes = append(m.Changes, Change{Order: other, PrevVersion: prev, Event: ev})
		}
		return m, nil
	})
	return err
}

// The words of events are stored as codes (migration 0011). A word no
// database has seen gets a code the first time an action writes it, two
// stores on one database (two server processes) read each other's new
// words, a word written by a transaction that rolled back is neither kept
// nor remembered, and a word changed in the code tables fails verify.
func TestEventWordsAsCodes(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ctx := context.Background()
		a := openForTest(t, dbURL, true)
		b := openForTest(t, dbURL, false)
		id := createTestOrder(t, a, 1)

		if err := noteBy(ctx, a, id, "newcomer", "zz_custom", ""); err != nil {
			t.Fatal(err)
		}
		if err := noteBy(ctx, b, id, "second_process", "zz_other", ""); err != nil {
			t.Fatal(err)
		}
		// A word added inside a transaction is not kept in memory (it could
		// have rolled back); the next write reads it back from the table.
		if err := noteBy(ctx, a, id, "newcomer", "zz_custom", ""); err != nil {
			t.Fatal(err)
		}
		for _, s := range []*Store{a, b} {
			evs, err := s.Events(ctx, strconv.FormatInt(id, 10))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range evs {
				got = append(got, e.Actor+"/"+e.Action+"/"+string(e.From)+"/"+string(e.To))
			}
			want := []string{"operator/create//received", "newcomer/zz_custom/received/received",
				"second_process/zz_other/received/received", "newcomer/zz_custom/received/received"}
			if len(got) != len(want) {
				t.Fatalf("events %v, want %v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("event %d: %s, want %s", i+1, got[i], want[i])
				}
			}
		}
		var words, actors int
		if err := a.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM event_words WHERE word IN ('zz_custom', 'zz_other')`).Scan(&words); err != nil {
			t.Fatal(err)
		}
		if err := a.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM event_actors WHERE name IN ('newcomer', 'second_process')`).Scan(&actors); err != nil {
			t.Fatal(err)
		}
		if words != 2 || actors != 2 {
			t.Errorf("code tables hold %d of the 2 new words and %d of the 2 new actors", words, actors)
		}

		// A transaction that fails after writing its event's new word.
		if err := noteBy(ctx, a, id, "ghost", "zz_rolled_back", "999999"); err == nil {
			t.Fatal("a mutation changing an order it did not load succeeded")
		}
		var n int
		if err := a.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM event_words WHERE word = 'zz_rolled_back'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("the rolled-back word is stored %d times (%v)", n, err)
		}
		if _, ok := a.words.lookup("zz_rolled_back"); ok {
			t.Error("the rolled-back word's code is kept in memory")
		}
		if _, ok := a.actors.lookup("ghost"); ok {
			t.Error("the rolled-back actor's code is kept in memory")
		}
		// Its code goes to the next new word, which reads back as itself.
		if err := noteBy(ctx, b, id, "third", "zz_after", ""); err != nil {
			t.Fatal(err)
		}
		evs, err := a.Events(ctx, strconv.FormatInt(id, 10))
		if err != nil || len(evs) != 5 || evs[4].Action != "zz_after" || evs[4].Actor != "third" {
			t.Fatalf("after the rollback: %d events (%v), last %+v", len(evs), err, evs[len(evs)-1])
		}
		if n, brk, err := a.VerifyChains(ctx); err != nil || brk != nil || n != 1 {
			t.Fatalf("verify: %d orders, break %+v, err %v", n, brk, err)
		}

		// A word changed in the code table changes every event that uses it.
		if _, err := a.w.ExecContext(ctx, `UPDATE event_words SET word = 'zz_forged' WHERE word = 'zz_other'`); err != nil {
			t.Fatal(err)
		}
		c := openForTest(t, dbURL, false) // a fresh process, as `hotline verify` is
		if _, brk, err := c.VerifyChains(ctx); err != nil || brk == nil || brk.Seq != 3 {
			t.Fatalf("verify after changing a word: break %+v, err %v; want event 3", brk, err)
		}
	})
}

// ensureTerms (create batches, imports, the generator) commits new words
// before the caller's transaction and remembers them.
func TestEnsureTermsBeforeBatch(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ctx := context.Background()
		s := openForTest(t, dbURL, true)
		in := order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Title: "路灯坏了", Description: "小区门口的路灯坏了三天。"}
		o, ev, err := in.Build(order.Actor{Username: "batch_newcomer", Role: order.RoleOperator}, order.CreateEnv{Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.BulkCreateOrders(ctx, []BulkOrder{{Order: o, Event: ev}})
		if err != nil || res.Inserted != 1 {
			t.Fatalf("bulk create: %+v, %v", res, err)
		}
		if _, ok := s.actors.lookup("batch_newcomer"); !ok {
			t.Error("the batch's new actor is not in memory after ensureTerms")
		}
		var got string
		if err := s.r.QueryRowContext(ctx, `SELECT a.name FROM order_events e JOIN event_actors a ON a.code = e.actor`).Scan(&got); err != nil || got != "batch_newcomer" {
			t.Errorf("stored actor %q (%v)", got, err)
		}
		if n, brk, err := s.VerifyChains(ctx); err != nil || brk != nil || n != 1 {
			t.Fatalf("verify: %d orders, break %+v, err %v", n, brk, err)
		}
	})
}

// SQLite keeps whatever a column is given: an event whose code column was
// overwritten by hand with a word (or any text) reads as "#text", so verify
// reports the event as changed instead of failing to read it.
func TestTextInCodeColumnIsABreak(t *testing.T) {
	s := openForTest(t, testenv.SQLiteURL(t), true)
	ctx := context.Background()
	id := createTestOrder(t, s, 1)
	if err := noteBy(ctx, s, id, "operator", "note", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE order_events SET action = 'dispatch' WHERE order_id = $1 AND seq = 2`, id); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events(ctx, strconv.FormatInt(id, 10))
	if err != nil || len(evs) != 2 || evs[1].Action != "#dispatch" {
		t.Fatalf("events %+v (%v); want event 2's action read as #dispatch", evs, err)
	}
	if _, brk, err := s.VerifyChains(ctx); err != nil || brk == nil || brk.Seq != 2 {
		t.Fatalf("verify: break %+v, err %v; want event 2", brk, err)
	}
}

// PostgreSQL's search conditions name the expression the GIN index
// orders_search is built on (migration 0012); spelled any other way, every
// search would silently scan the table.
func TestSearchConditionsUseTheIndex(t *testing.T) {
	s := openForTest(t, testenv.PostgresURL(t), true)
	ctx := context.Background()
	var a args
	cond := s.matchAll([]string{"路灯", "坏了"}, &a)
	conn, err := s.r.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// An empty table: the planner would scan it unless told not to.
	if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	plan := testenv.Column(t, conn, `EXPLAIN SELECT id FROM orders WHERE `+cond, a.vals...)
	if !strings.Contains(strings.Join(plan, "\n"), "orders_search") {
		t.Fatalf("the search condition %q does not use orders_search:\n%s", cond, strings.Join(plan, "\n"))
	}
}
