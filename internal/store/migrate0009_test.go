package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"hotline/internal/order"
	"hotline/internal/testenv"
)

// migrateUpTo applies the embedded migrations up to version max, as a
// database created by an older build would have them.
func migrateUpTo(t *testing.T, s *Store, max int) {
	t.Helper()
	ctx := context.Background()
	dir := "migrations/" + string(s.Dialect)
	entries, err := migrations.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		v, _ := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if v > max {
			continue
		}
		text, _ := migrations.ReadFile(dir + "/" + name)
		if _, err := tx.ExecContext(ctx, string(text)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, q := range afterMigration[v] {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s (fill): %v", name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations(version, applied_at) VALUES ($1, $2)", v, micros(time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// Migration 0009 turns the hex hashes of a database written at schema 8
// (prev_hash and hash as 64 hex digits, last_hash too) into 32-byte binary
// hashes without prev_hash: the timelines read back the same, with the same
// previous hashes, verify passes, and tampering is still found.
func TestMigration0009KeepsChains(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ctx := context.Background()
		s := openForTest(t, dbURL, false)
		migrateUpTo(t, s, 8)

		base := time.Date(2026, 3, 2, 9, 0, 0, 123456000, time.UTC)
		want := map[string][]order.Event{}
		var ids []string
		for k, n := range []int{1, 3, 6, 0} {
			id := int64(k + 1)
			oid := strconv.FormatInt(id, 10)
			ids = append(ids, oid)
			prev, last := order.GenesisHash, ""
			var evs []order.Event
			for seq := 1; seq <= n; seq++ {
				// Words vary (and include ones outside 0011's seed list and
				// the empty status), so that 0011 mapping a word to another
				// code's word shows.
				ev := order.Event{OrderID: oid, At: base.Add(time.Duration(k*100+seq) * time.Minute),
					Actor: []string{"operator", "dispatcher", "retired_clerk"}[seq%3], Action: []string{"note", "dispatch", "legacy_import"}[(seq+k)%3],
					From: []order.Status{"", order.Accepted, order.Dispatched}[seq%3], To: []order.Status{order.Accepted, "archived", order.Closed}[(seq+1)%3],
					Body: map[string]any{"text": fmt.Sprintf("第%d条记录", seq), "kind": "other"}}
				ev.Seal(seq, prev)
				evs = append(evs, ev)
				prev, last = ev.Hash, ev.Hash
			}
			want[oid] = evs
			if _, err := s.w.ExecContext(ctx, `INSERT INTO orders (id, number, type, source, urgency, status, title, description, round, version,
				created_at, updated_at, event_count, last_hash) VALUES ($1, $2, 'complaint', 'hotline', 'normal', 'accepted', '路灯', '路灯坏了', 1, 1, $3, $3, $4, $5)`,
				id, fmt.Sprintf("2026030200%03d", id), micros(base), n, last); err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				body, _ := json.Marshal(ev.Body)
				if _, err := s.w.ExecContext(ctx, `INSERT INTO order_events (order_id, seq, at, actor, action, from_status, to_status, body, prev_hash, hash)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, id, ev.Seq, micros(ev.At), ev.Actor, ev.Action, string(ev.From), string(ev.To),
					string(body), ev.PrevHash, ev.Hash); err != nil {
					t.Fatal(err)
				}
			}
		}

		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate 8 → latest: %v", err)
		}
		if _, err := s.r.QueryContext(ctx, `SELECT prev_hash FROM order_events`); err == nil {
			t.Error("order_events still has prev_hash")
		}
		length := "length"
		if s.Dialect == Postgres {
			length = "octet_length"
		}
		var rows, short int
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE `+length+`(hash) <> 32) FROM order_events`).Scan(&rows, &short); err != nil {
			t.Fatal(err)
		}
		if rows != 10 || short != 0 {
			t.Errorf("after migration: %d event rows, %d hashes not 32 bytes; want 10 and 0", rows, short)
		}
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE event_count > 0 AND `+length+`(last_hash) <> 32`).Scan(&short); err != nil || short != 0 {
			t.Errorf("orders whose last_hash is not 32 bytes: %d (%v)", short, err)
		}

		checkSame := func(what string, got map[string][]order.Event) {
			t.Helper()
			for _, oid := range ids {
				g, w := got[oid], want[oid]
				if len(g) != len(w) {
					t.Fatalf("%s: order %s has %d events, want %d", what, oid, len(g), len(w))
				}
				for i := range w {
					// The words come back from their codes (migration 0011).
					if g[i].Actor != w[i].Actor || g[i].Action != w[i].Action || g[i].From != w[i].From || g[i].To != w[i].To {
						t.Errorf("%s: order %s event %d words %s/%s/%s/%s, want %s/%s/%s/%s", what, oid, i+1,
							g[i].Actor, g[i].Action, g[i].From, g[i].To, w[i].Actor, w[i].Action, w[i].From, w[i].To)
					}
					if g[i].Seq != w[i].Seq || g[i].Hash != w[i].Hash || g[i].PrevHash != w[i].PrevHash || !g[i].At.Equal(w[i].At) ||
						g[i].Body["text"] != w[i].Body["text"] {
						t.Errorf("%s: order %s event %d = %+v, want %+v", what, oid, i+1, g[i], w[i])
					}
				}
			}
		}
		one := map[string][]order.Event{}
		for _, oid := range ids {
			var err error
			if one[oid], err = s.Events(ctx, oid); err != nil {
				t.Fatal(err)
			}
		}
		checkSame("Events", one)
		all, err := s.EventsOf(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		checkSame("EventsOf", all)

		n, brk, err := s.VerifyChains(ctx)
		if err != nil || brk != nil || n != 4 {
			t.Fatalf("verify after migration: %d orders, break %+v, err %v; want 4, none", n, brk, err)
		}
		// New events chain onto the migrated ones.
		if _, err := s.UpdateOrder(ctx, "3", func(o order.Order, _ Loader) (Mutation, error) {
			prev := o.Version
			o.Version++
			return Mutation{Changes: []Change{{Order: o, PrevVersion: prev,
				Event: order.Event{At: base.Add(48 * time.Hour), Actor: "operator", Action: "note", From: o.Status, To: o.Status,
					Body: map[string]any{"text": "迁移后"}}}}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		if n, brk, err := s.VerifyChains(ctx); err != nil || brk != nil || n != 4 {
			t.Fatalf("verify after a new event: %d orders, break %+v, err %v", n, brk, err)
		}
		// And a changed migrated event is still found.
		if _, err := s.w.ExecContext(ctx, `UPDATE order_events SET body = '{"kind":"other","text":"改过"}' WHERE order_id = 3 AND seq = 2`); err != nil {
			t.Fatal(err)
		}
		if _, brk, err := s.VerifyChains(ctx); err != nil || brk == nil || brk.OrderID != "3" || brk.Seq != 2 {
			t.Fatalf("verify after tampering: break %+v, err %v; want order 3 event 2", brk, err)
		}
	})
}

// Migration 0012 moves PostgreSQL's search tokens from an array column to
// search_text: an order indexed before it is still found after it, by
// every one of its tokens and by no other (SQLite's order_fts is untouched).
func TestMigration0012KeepsSearchTokens(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ctx := context.Background()
		s := openForTest(t, dbURL, false)
		migrateUpTo(t, s, 11)
		for id, toks := range map[int64][]string{1: {"路灯", "坏了", "宾阳路"}, 2: {"噪音"}, 3: nil} {
			if _, err := s.w.ExecContext(ctx, `INSERT INTO orders (id, number, type, source, urgency, status, title, description, round, version,
				created_at, updated_at) VALUES ($1, $2, 'complaint', 'hotline', 'normal', 'received', 't', 'd', 1, 1, 1, 1)`,
				id, fmt.Sprintf("2026030200%03d", id)); err != nil {
				t.Fatal(err)
			}
			q, arg := `INSERT INTO order_fts(rowid, tokens) VALUES ($1, $2)`, any(strings.Join(toks, " "))
			if s.Dialect == Postgres {
				if toks == nil {
					toks = []string{}
				}
				q, arg = `UPDATE orders SET search_tokens = $2 WHERE id = $1`, toks
			}
			if _, err := s.w.ExecContext(ctx, q, id, arg); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate 11 → latest: %v", err)
		}
		for _, c := range []struct {
			tokens []string
			want   int
		}{{[]string{"路灯"}, 1}, {[]string{"宾阳路", "坏了"}, 1}, {[]string{"噪音"}, 1}, {[]string{"路灯", "噪音"}, 0}, {[]string{"漏水"}, 0}} {
			n, _, err := s.CountMatching(ctx, Filter{Tokens: c.tokens}, 100)
			if err != nil || n != c.want {
				t.Errorf("orders with all of %v after migration: %d (%v), want %d", c.tokens, n, err, c.want)
			}
		}
	})
}
