package emergencyapi_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hotline/internal/access"
	"hotline/internal/app/fieldtest"
	"hotline/internal/community/emergency"
	"hotline/internal/testenv"
)

func benchDB(b *testing.B) string {
	if os.Getenv("HOTLINE_BENCH_DB") == "postgres" {
		return testenv.PostgresURL(b)
	}
	return testenv.SQLiteURL(b)
}

var handler = access.User{Username: "binyang", Role: access.RoleHandler, Unit: "binyang"}

// BenchmarkChecklist times declaring an event over a generated area
// (HOTLINE_BENCH_RESIDENTS residents, default 9,200; a quarter
// care-tagged, so a quarter become checks): the one INSERT … SELECT,
// beside a baseline of the same check list written row by row in one
// transaction (what the INSERT … SELECT replaces). HOTLINE_BENCH_DB=postgres
// for PostgreSQL.
func BenchmarkChecklist(b *testing.B) {
	residents, _ := strconv.Atoi(os.Getenv("HOTLINE_BENCH_RESIDENTS"))
	if residents == 0 {
		residents = 9200
	}
	s := start(b, benchDB(b), true, nil)
	buildings := max(1, residents/200)
	t0 := time.Now()
	comp := fieldtest.BulkArea(b, s.M.Store.DB(), "bench", buildings, 50, residents/(buildings*50))
	b.Logf("generated %d residents in %v", buildings*50*(residents/(buildings*50)), time.Since(t0))
	ctx := context.Background()
	b.Run("insert_select", func(b *testing.B) {
		for b.Loop() {
			ev, err := s.M.Emergency.Create(ctx, handler, emergency.NewEvent{Kind: emergency.Fire, Name: "压测", Level: "red", Compounds: []string{comp}})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(ev.Counts[emergency.Unchecked]), "checks")
		}
	})
	if os.Getenv("HOTLINE_BENCH_DB") == "postgres" {
		// The statement as it was before emergency migration 0002 and
		// Store.inList: the buildings behind IN (SELECT
		// jsonb_array_elements_text…) and the per-row foreign-key trigger
		// put back (NOT VALID: only new rows are checked, as before), in a
		// transaction rolled back so the next round starts alike.
		b.Run("before_jsonb_in_fk_baseline", func(b *testing.B) {
			db := s.M.Store.DB()
			var bl []string
			rows, err := db.R.QueryContext(ctx, "SELECT code FROM buildings WHERE compound = $1", comp)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
				var c string
				rows.Scan(&c)
				bl = append(bl, c)
			}
			rows.Close()
			list, _ := json.Marshal(bl)
			for b.Loop() {
				tx, err := db.W.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				var id, n int64
				err = tx.QueryRowContext(ctx, `INSERT INTO emergencies (area, kind, name, level, started_at, compounds, buildings, all_households, status, created_by, created_at, version)
					VALUES ('binyang', 'fire', 'old', 'red', 0, '[]', '[]', FALSE, 'active', 'bench', 0, 1) RETURNING id`).Scan(&id)
				if err == nil {
					_, err = tx.ExecContext(ctx, "ALTER TABLE emergency_checks ADD CONSTRAINT bench_old_fk FOREIGN KEY (emergency_id) REFERENCES emergencies(id) NOT VALID")
				}
				if err == nil {
					var res sql.Result
					res, err = tx.ExecContext(ctx, `INSERT INTO emergency_checks (emergency_id, resident, household, building, status, version)
						SELECT $1, r.id, r.household, r.building, 'unchecked', 1 FROM residents r
						WHERE r.area = 'binyang' AND r.building IN (SELECT jsonb_array_elements_text($2::jsonb)) AND r.tags <> 0 AND r.status = 'active'
						ORDER BY r.building, r.household, r.id`, id, string(list))
					if err == nil {
						n, _ = res.RowsAffected()
					}
				}
				tx.Rollback()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(n), "checks")
			}
		})
	}
	if buildings*50*4 > 20000 {
		return // row by row at a million takes minutes; the small run shows the ratio
	}
	b.Run("row_by_row_baseline", func(b *testing.B) {
		db := s.M.Store.DB()
		for b.Loop() {
			rows, err := db.R.QueryContext(ctx, "SELECT id, household, building FROM residents WHERE area = 'binyang' AND compound = $1 AND tags <> 0 AND status = 'active'", comp)
			if err != nil {
				b.Fatal(err)
			}
			type r struct {
				id, hh int64
				b      string
			}
			var all []r
			for rows.Next() {
				var x r
				rows.Scan(&x.id, &x.hh, &x.b)
				all = append(all, x)
			}
			rows.Close()
			err = db.Tx(ctx, func(tx *sql.Tx) error {
				var id int64
				if err := tx.QueryRowContext(ctx, `INSERT INTO emergencies (area, kind, name, level, started_at, compounds, buildings, all_households, status, created_by, created_at, version)
					VALUES ('binyang', 'fire', 'row', 'red', 0, '[]', '[]', FALSE, 'active', 'bench', 0, 1) RETURNING id`).Scan(&id); err != nil {
					return err
				}
				for _, x := range all {
					if _, err := tx.ExecContext(ctx, "INSERT INTO emergency_checks (emergency_id, resident, household, building, status, version) VALUES ($1, $2, $3, $4, 'unchecked', 1)", id, x.id, x.hh, x.b); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(all)), "checks")
		}
	})
}

// BenchmarkBoardLatency times a check made on one instance until every
// watching board (HOTLINE_BENCH_BOARDS SSE streams, default 20, on a second
// instance on PostgreSQL, the same one on SQLite) has received the new
// board: p50/p99 over b.N checks, beside the check's own answer time.
func BenchmarkBoardLatency(b *testing.B) {
	url := benchDB(b)
	a := start(b, url, true, nil)
	a.Seed()
	comp := fieldtest.BulkArea(b, a.M.Store.DB(), "bench", 46, 50, 4)
	watch := a
	if os.Getenv("HOTLINE_BENCH_DB") == "postgres" {
		watch = start(b, url, false, a.M.DataKey)
	}
	ev, err := a.M.Emergency.Create(context.Background(), handler, emergency.NewEvent{Kind: emergency.Fire, Name: "压测", Level: "red", Compounds: []string{comp}})
	if err != nil {
		b.Fatal(err)
	}
	checks, _, _ := a.M.Emergency.Checks(context.Background(), handler, ev.ID, "", "", 500, "")
	boards, _ := strconv.Atoi(os.Getenv("HOTLINE_BENCH_BOARDS"))
	if boards == 0 {
		boards = 20
	}
	var streams []<-chan fieldtest.Obj
	for range boards {
		c, stop := watch.Stream("leader", ev.ID)
		b.Cleanup(stop)
		<-c
		streams = append(streams, c)
	}
	tok := a.Token("binyang")
	var answer, board []time.Duration
	i := 0
	for b.Loop() {
		c := checks[i%len(checks)]
		st := []string{"safe", "needs_help", "evacuated", "unreachable"}[i%4]
		if i >= 4*len(checks) {
			b.Fatal("out of checks")
		}
		body := fmt.Sprintf(`{"status":%q,"op_id":"bench-%d"}`, st, i)
		i++
		t0 := time.Now()
		req, _ := http.NewRequest("POST", a.Base+"/api/v1/emergencies/"+ev.ID+"/checks/"+c.ID, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("check: %v %v", err, resp)
		}
		resp.Body.Close()
		answer = append(answer, time.Since(t0))
		var wg sync.WaitGroup
		for _, s := range streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for got := range s {
					if seq, _ := got["seq"].(float64); seq > 0 && pendingHas(got, c.ID, st) {
						return
					}
				}
			}()
		}
		wg.Wait()
		board = append(board, time.Since(t0))
	}
	b.ReportMetric(pct(answer, 50), "answer_p50_ms")
	b.ReportMetric(pct(answer, 99), "answer_p99_ms")
	b.ReportMetric(pct(board, 50), "board_p50_ms")
	b.ReportMetric(pct(board, 99), "board_p99_ms")
}

// pendingHas reports whether a board reflects check id at status st: in
// its pending list for needs_help, else absent from it (the pending list
// is unchecked and needs_help).
func pendingHas(board fieldtest.Obj, id, st string) bool {
	pend, _ := board["pending"].([]any)
	for _, p := range pend {
		if p.(fieldtest.Obj)["id"] == id {
			return st == "needs_help" && p.(fieldtest.Obj)["status"] == st
		}
	}
	return st != "needs_help"
}

func pct(d []time.Duration, p int) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return float64(s[(len(s)-1)*p/100].Microseconds()) / 1000
}

// BenchmarkOfflineSync sends 1,000 queued changes in order as a phone's
// queue does (one POST after the other), then the same 1,000 again (all
// replays, answered from the stored ops), the cost of a phone resending.
func BenchmarkOfflineSync(b *testing.B) {
	a := start(b, benchDB(b), true, nil)
	comp := fieldtest.BulkArea(b, a.M.Store.DB(), "bench", 46, 50, 4)
	tok := a.Token("binyang")
	round := 0
	for b.Loop() {
		ev, err := a.M.Emergency.Create(context.Background(), handler, emergency.NewEvent{Kind: emergency.Fire, Name: "压测", Level: "red", Compounds: []string{comp}})
		if err != nil {
			b.Fatal(err)
		}
		checks, _, _ := a.M.Emergency.Checks(context.Background(), handler, ev.ID, "", "", 500, "")
		var bodies, paths []string
		for i := range 1000 {
			c := checks[i%len(checks)]
			at := time.Now().Add(time.Duration(i-2000) * time.Second).UTC().Format(time.RFC3339Nano)
			bodies = append(bodies, fmt.Sprintf(`{"status":%q,"op_id":"sync-%d-%d","at":%q}`, []string{"safe", "needs_help", "evacuated"}[i%3], round, i, at))
			paths = append(paths, a.Base+"/api/v1/emergencies/"+ev.ID+"/checks/"+c.ID)
		}
		round++
		send := func() time.Duration {
			t0 := time.Now()
			for i := range bodies {
				req, _ := http.NewRequest("POST", paths[i], strings.NewReader(bodies[i]))
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("change %d: %v %v", i, err, resp)
				}
				resp.Body.Close()
			}
			return time.Since(t0)
		}
		first := send()
		replay := send()
		b.ReportMetric(first.Seconds(), "first_s")
		b.ReportMetric(replay.Seconds(), "replay_s")
	}
}
