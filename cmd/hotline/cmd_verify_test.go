package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hotline/internal/demo"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/service"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// runVerifyCLI runs `hotline verify --db URL` in-process.
func runVerifyCLI(t *testing.T, dbURL string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code := run(context.Background(), e, []string{"verify", "--db", dbURL})
	return code, stdout.String(), stderr.String()
}

// verifyFixture is a small database: three orders with a few actions each.
// The tamper cases attack the middle one (target), so verify has to walk
// past an intact chain to find the broken one.
type verifyFixture struct {
	ids     []string
	numbers []string
	events  []int // events per order
	target  int   // index of the order the attacker edits
}

func buildVerifyFixture(t *testing.T, dbURL string, withDemo bool) verifyFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(ctx, st, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if withDemo {
		if err := demo.Load(ctx, svc, st); err != nil {
			t.Fatal(err)
		}
	} else {
		for _, u := range []org.Unit{{Code: "center", Name: "城运中心", Kind: "center"}, {Code: "binyang", Name: "宾阳路居委会", Kind: "committee"}, {Code: "cityops", Name: "城市管理办", Kind: "section"}} {
			u.Active = true
			if err := st.PutUnit(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		if err := svc.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
	opr := order.Actor{Username: "operator", Role: order.RoleOperator}
	disp := order.Actor{Username: "dispatcher", Role: order.RoleDispatcher}
	lead := order.Actor{Username: "leader", Role: order.RoleLeader}
	h := func(u string) order.Actor { return order.Actor{Username: u, Role: order.RoleHandler, Unit: u} }
	yes := true
	type step struct {
		a   order.Actor
		act order.Action
		in  order.Input
	}
	plans := [][]step{
		{ // 7 events, closed
			{disp, order.ActDispatch, order.Input{Unit: "binyang", Note: "请按时限办理"}},
			{h("binyang"), order.ActAccept, order.Input{}},
			{h("binyang"), order.ActContact, order.Input{Note: "已电话联系市民"}},
			{h("binyang"), order.ActReply, order.Input{Result: "resolved", Text: "已处理完毕"}},
			{disp, order.ActApproveReply, order.Input{}},
			{opr, order.ActCallback, order.Input{Outcome: "satisfied", Resolved: &yes, Note: "满意"}},
		},
		{ // the target: 8 events
			{disp, order.ActDispatch, order.Input{Unit: "cityops", CoUnits: []string{"binyang"}, Note: "夜间施工噪音"}},
			{h("cityops"), order.ActAccept, order.Input{}},
			{h("cityops"), order.ActContact, order.Input{Note: "约定明早现场查看 <工地> & 物业"}},
			{h("binyang"), order.ActNote, order.Input{Text: "居委会协助走访", Kind: "site_visit"}},
			{lead, order.ActUrge, order.Input{Note: "尽快"}},
			{h("cityops"), order.ActRequestExtension, order.Input{Days: 3, Reason: "需协调施工单位"}},
			{disp, order.ActApproveExtension, order.Input{Note: "同意"}},
		},
		{ // 2 events
			{disp, order.ActDispatch, order.Input{Unit: "binyang"}},
		},
	}
	var fx verifyFixture
	fx.target = 1
	for i, plan := range plans {
		v, err := svc.CreateOrder(ctx, opr, order.NewOrder{Type: order.Complaint, Source: order.SourceHotline,
			Title: "测试工单 " + strconv.Itoa(i), Description: "用于校验哈希链的工单", Caller: &order.Caller{Name: "王先生", Phone: "13800000101"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range plan {
			cur, err := st.GetOrder(ctx, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			in := s.in
			in.Version = &cur.Version
			if _, err := svc.Act(ctx, s.a, v.ID, s.act, in); err != nil {
				t.Fatalf("order %d %s: %v", i, s.act, err)
			}
		}
		fx.ids = append(fx.ids, v.ID)
		fx.numbers = append(fx.numbers, v.Number)
		fx.events = append(fx.events, len(plan)+1)
	}
	return fx
}

// rawDB opens the database behind a hotline URL with plain database/sql, as
// an attacker with database access would.
func rawDB(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		db, err = sql.Open("sqlite", path)
	} else {
		db, err = sql.Open("pgx", dbURL)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	res, err := db.Exec(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s %v: no row changed", q, args)
	}
}

// swapSeq swaps the sequence numbers of two events of an order (the rows
// keep their content and hash: the timeline is reordered).
func swapSeq(t *testing.T, db *sql.DB, id int64, a, b int) {
	mustExec(t, db, `UPDATE order_events SET seq = -1 WHERE order_id = $1 AND seq = $2`, id, a)
	mustExec(t, db, `UPDATE order_events SET seq = $1 WHERE order_id = $2 AND seq = $3`, a, id, b)
	mustExec(t, db, `UPDATE order_events SET seq = $1 WHERE order_id = $2 AND seq = -1`, b, id)
}

var brokenEventRe = regexp.MustCompile(`event (\d+)`)

func TestVerifyIntactDemo(t *testing.T) {
	t.Parallel()
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		fx := buildVerifyFixture(t, dbURL, true)
		code, out, errOut := runVerifyCLI(t, dbURL)
		if code != 0 {
			t.Fatalf("verify on an untouched database: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		if !strings.HasPrefix(out, "ok") || strings.Contains(out, "BROKEN") {
			t.Errorf("stdout %q, want it to start with ok", out)
		}
		// The demo's 19 orders plus the fixture's 3 are all checked.
		if want := strconv.Itoa(19+len(fx.ids)) + " orders"; !strings.Contains(out, want) {
			t.Errorf("stdout %q does not say %q", out, want)
		}
	})
}

func TestVerifyTamper(t *testing.T) {
	t.Parallel()
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		fresh := func(t *testing.T) string {
			if strings.HasPrefix(dbURL, "sqlite:") {
				return testenv.SQLiteURL(t)
			}
			return testenv.PostgresURL(t)
		}
		// An intact fixture first.
		fx := buildVerifyFixture(t, dbURL, false)
		if code, out, errOut := runVerifyCLI(t, dbURL); code != 0 || !strings.HasPrefix(out, "ok") {
			t.Fatalf("intact: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		if fx.events[fx.target] != 8 {
			t.Fatalf("fixture: target has %d events, want 8", fx.events[fx.target])
		}

		tests := []struct {
			name string
			// tamper edits order id (8 events) through SQL.
			tamper func(t *testing.T, db *sql.DB, id int64)
			// seqs are the acceptable "broken event" numbers; nil: any.
			seqs []int
			// reason is a word the explanation must contain.
			reason string
		}{
			{"change body", func(t *testing.T, db *sql.DB, id int64) {
				mustExec(t, db, `UPDATE order_events SET body = $1 WHERE order_id = $2 AND seq = 4`, `{"note":"已联系（篡改）"}`, id)
			}, []int{4}, "changed"},
			{"change actor", func(t *testing.T, db *sql.DB, id int64) {
				// Actors are stored as codes (migration 0011): a new name, then
				// the event pointed at it.
				mustExec(t, db, `INSERT INTO event_actors (code, name) VALUES (9999, 'someone_else')`)
				mustExec(t, db, `UPDATE order_events SET actor = 9999 WHERE order_id = $1 AND seq = 3`, id)
			}, []int{3}, "changed"},
			{"point an event at a code that has no word", func(t *testing.T, db *sql.DB, id int64) {
				mustExec(t, db, `UPDATE order_events SET action = 999 WHERE order_id = $1 AND seq = 6`, id)
			}, []int{6}, "changed"},
			{"change time", func(t *testing.T, db *sql.DB, id int64) {
				mustExec(t, db, `UPDATE order_events SET at = at - 3600000000 WHERE order_id = $1 AND seq = 5`, id)
			}, []int{5}, "changed"},
			{"change one body value keeping the JSON shape", func(t *testing.T, db *sql.DB, id int64) {
				// The approved extension's body holds days=3; make it 30.
				mustExec(t, db, `UPDATE order_events SET body = REPLACE(body, '"days":3', '"days":30') WHERE order_id = $1 AND seq = 8`, id)
			}, []int{8}, "changed"},
			{"delete a middle event", func(t *testing.T, db *sql.DB, id int64) {
				mustExec(t, db, `DELETE FROM order_events WHERE order_id = $1 AND seq = 4`, id)
			}, []int{4, 5}, "expected 4"},
			{"delete a middle event and renumber the rest", func(t *testing.T, db *sql.DB, id int64) {
				mustExec(t, db, `DELETE FROM order_events WHERE order_id = $1 AND seq = 4`, id)
				for s := 5; s <= 8; s++ {
					mustExec(t, db, `UPDATE order_events SET seq = $1 WHERE order_id = $2 AND seq = $3`, s-1, id, s)
				}
				mustExec(t, db, `UPDATE orders SET event_count = 7 WHERE id = $1`, id)
			}, []int{4}, "hash"},
			{"delete the last event", func(t *testing.T, db *sql.DB, id int64) {
				mustExec(t, db, `DELETE FROM order_events WHERE order_id = $1 AND seq = 8`, id)
			}, []int{8}, "deleted"},
			{"delete every event", func(t *testing.T, db *sql.DB, id int64) {
				mustExec(t, db, `DELETE FROM order_events WHERE order_id = $1`, id)
			}, nil, ""},
			{"swap the sequence numbers of two events", func(t *testing.T, db *sql.DB, id int64) {
				swapSeq(t, db, id, 3, 5)
			}, []int{3}, ""},
			{"swap two adjacent events", func(t *testing.T, db *sql.DB, id int64) {
				swapSeq(t, db, id, 6, 7)
			}, []int{6}, ""},
			{"swap the contents of two events", func(t *testing.T, db *sql.DB, id int64) {
				type content struct {
					at, actor, action, from, to int64 // codes (migration 0011)
					b                           string
				}
				read := func(seq int) content {
					var c content
					if err := db.QueryRow(`SELECT at, actor, action, from_status, to_status, body FROM order_events WHERE order_id = $1 AND seq = $2`, id, seq).
						Scan(&c.at, &c.actor, &c.action, &c.from, &c.to, &c.b); err != nil {
						t.Fatal(err)
					}
					return c
				}
				c3, c4 := read(3), read(4)
				for _, w := range []struct {
					seq int
					c   content
				}{{3, c4}, {4, c3}} {
					mustExec(t, db, `UPDATE order_events SET at = $1, actor = $2, action = $3, from_status = $4, to_status = $5, body = $6 WHERE order_id = $7 AND seq = $8`,
						w.c.at, w.c.actor, w.c.action, w.c.from, w.c.to, w.c.b, id, w.seq)
				}
			}, []int{3}, "changed"},
			{"change an event and store its recomputed hash", func(t *testing.T, db *sql.DB, id int64) {
				// The attacker rehashes the changed event 4 over the stored
				// hash of event 3; event 5's hash covers event 4's old hash
				// (it is not stored twice: migration 0009), so 5 breaks.
				var prevBytes []byte
				if err := db.QueryRow(`SELECT hash FROM order_events WHERE order_id = $1 AND seq = 3`, id).Scan(&prevBytes); err != nil {
					t.Fatal(err)
				}
				var at int64
				var actor, action, from, to string
				if err := db.QueryRow(`SELECT e.at, a.name, wa.word, wf.word, wt.word FROM order_events e
					JOIN event_actors a ON a.code = e.actor JOIN event_words wa ON wa.code = e.action
					JOIN event_words wf ON wf.code = e.from_status JOIN event_words wt ON wt.code = e.to_status
					WHERE e.order_id = $1 AND e.seq = 4`, id).
					Scan(&at, &actor, &action, &from, &to); err != nil {
					t.Fatal(err)
				}
				ev := order.Event{OrderID: strconv.FormatInt(id, 10), At: time.UnixMicro(at), Actor: actor, Action: action,
					From: order.Status(from), To: order.Status(to), Body: map[string]any{"note": "已联系（篡改）"}}
				ev.Seal(4, hex.EncodeToString(prevBytes))
				hash, _ := hex.DecodeString(ev.Hash)
				mustExec(t, db, `UPDATE order_events SET body = $1, hash = $2 WHERE order_id = $3 AND seq = 4`, `{"note":"已联系（篡改）"}`, hash, id)
			}, []int{5}, "changed"},
			{"append a forged event with a valid hash", func(t *testing.T, db *sql.DB, id int64) {
				// The attacker knows the hash recipe and chains a new event
				// onto the last one, but does not touch the order row.
				var prevBytes []byte // 32 bytes (migration 0009)
				if err := db.QueryRow(`SELECT hash FROM order_events WHERE order_id = $1 AND seq = 8`, id).Scan(&prevBytes); err != nil {
					t.Fatal(err)
				}
				prev := hex.EncodeToString(prevBytes)
				ev := order.Event{OrderID: strconv.FormatInt(id, 10), At: fixtureTime(), Actor: "dispatcher", Action: "note",
					From: order.Accepted, To: order.Accepted, Body: map[string]any{"text": "伪造记录", "kind": "other"}}
				ev.Seal(9, prev)
				hash, _ := hex.DecodeString(ev.Hash)
				mustExec(t, db, `INSERT INTO order_events (order_id, seq, at, actor, action, from_status, to_status, body, hash)
					VALUES ($1, 9, $2, (SELECT code FROM event_actors WHERE name = $3), (SELECT code FROM event_words WHERE word = $4),
					(SELECT code FROM event_words WHERE word = $5), (SELECT code FROM event_words WHERE word = $6), $7, $8)`, id, ev.At.UnixMicro(), ev.Actor, ev.Action, string(ev.From), string(ev.To),
					`{"kind":"other","text":"伪造记录"}`, hash)
			}, nil, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				u := fresh(t)
				fx := buildVerifyFixture(t, u, false)
				id, _ := strconv.ParseInt(fx.ids[fx.target], 10, 64)
				db := rawDB(t, u)
				tt.tamper(t, db, id)
				db.Close()

				code, out, errOut := runVerifyCLI(t, u)
				if code != 1 {
					t.Fatalf("exit %d, want 1; stdout %q, stderr %q", code, out, errOut)
				}
				if !strings.HasPrefix(out, "BROKEN:") {
					t.Errorf("stdout %q, want BROKEN: …", out)
				}
				number := fx.numbers[fx.target]
				if !strings.Contains(out, number) {
					t.Errorf("stdout %q does not name order %s", out, number)
				}
				for i, n := range fx.numbers {
					if i != fx.target && strings.Contains(out, n) {
						t.Errorf("stdout %q names intact order %s", out, n)
					}
				}
				m := brokenEventRe.FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("stdout %q does not name the broken event", out)
				}
				if tt.seqs != nil {
					seq, _ := strconv.Atoi(m[1])
					ok := false
					for _, s := range tt.seqs {
						ok = ok || s == seq
					}
					if !ok {
						t.Errorf("stdout %q names event %d, want one of %v", out, seq, tt.seqs)
					}
				}
				t.Logf("%s", out)
				if tt.reason != "" && !strings.Contains(out, tt.reason) {
					t.Errorf("stdout %q does not explain with %q", out, tt.reason)
				}
			})
		}
	})
}

func fixtureTime() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
