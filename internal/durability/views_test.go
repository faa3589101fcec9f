package durability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hotline/internal/testenv"
)

// view is an answer that showed a dispatcher callers in full: one order
// (target order:ID) or a page of a list (target orders:ID,ID,…).
type view struct{ target string }

type orderCaller struct {
	ID     string `json:"id"`
	Caller struct {
		Phone string `json:"phone"`
	} `json:"caller"`
}

func unmasked(o orderCaller) bool {
	return o.Caller.Phone != "" && !strings.Contains(o.Caller.Phone, "*")
}

// TestSIGKILLMidViews: eight dispatchers read orders one by one and page by
// page while the server is SIGKILLed; after a restart, every answer that
// showed a caller in full has its audit entry (the views are group-committed,
// and each is answered only after its commit), and a page is one entry. On
// PostgreSQL twice: with serve's default view journal (a file in the working
// folder, moved into PostgreSQL by the restarted server) and with none
// (views committed to PostgreSQL itself).
func TestSIGKILLMidViews(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		sigkillMidViews(t, dbURL)
		if strings.HasPrefix(dbURL, "postgres") {
			if j, _ := filepath.Glob(filepath.Join(workDir(t), "hotline-data", "views-*.log")); len(j) != 1 {
				t.Errorf("view journals in the working folder: %v, want one", j)
			}
		}
	})
	t.Run("postgres-no-journal", func(t *testing.T) {
		t.Parallel()
		sigkillMidViews(t, testenv.PostgresURL(t), "--view-journal", "none")
		if j, _ := filepath.Glob(filepath.Join(workDir(t), "hotline-data", "views-*.log")); len(j) != 0 {
			t.Errorf("view journals with --view-journal none: %v", j)
		}
	})
}

func sigkillMidViews(t *testing.T, dbURL string, args ...string) {
	srv := startServer(t, dbURL, args...)
	token := login(t, srv.base, "dispatcher")
	st, data, err := call(context.Background(), "GET", srv.base+"/api/v1/orders?limit=20", token, nil)
	if err != nil || st != 200 {
		t.Fatalf("list: %d %v %s", st, err, data)
	}
	var page struct {
		Orders []orderCaller `json:"orders"`
	}
	if err := json.Unmarshal(data, &page); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range page.Orders {
		if unmasked(o) {
			ids = append(ids, o.ID)
		}
	}
	if len(ids) < 3 {
		t.Fatalf("the demo's first page shows a dispatcher only %d callers in full", len(ids))
	}

	var (
		mu     sync.Mutex
		got    []view
		n      atomic.Int64
		killed atomic.Bool
		wg     sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4*maxPerWkr && ctx.Err() == nil && !killed.Load(); i++ {
				var v view
				if i%4 == 3 { // every fourth request a page of ten
					st, data, err := call(ctx, "GET", srv.base+"/api/v1/orders?limit=10", token, nil)
					if err != nil || st != 200 {
						continue
					}
					var p struct {
						Orders []orderCaller `json:"orders"`
					}
					if json.Unmarshal(data, &p) != nil {
						t.Errorf("200 with a bad list: %s", data)
						continue
					}
					var shown []string
					for _, o := range p.Orders {
						if unmasked(o) {
							shown = append(shown, o.ID)
						}
					}
					if len(shown) == 0 {
						continue
					}
					v.target = "orders:" + strings.Join(shown, ",")
				} else {
					id := ids[(w+i)%len(ids)]
					st, data, err := call(ctx, "GET", srv.base+"/api/v1/orders/"+id, token, nil)
					if err != nil || st != 200 {
						continue
					}
					var o orderCaller
					if json.Unmarshal(data, &o) != nil || !unmasked(o) {
						t.Errorf("200 without the caller in full: %s", data)
						continue
					}
					v.target = "order:" + id
				}
				mu.Lock()
				got = append(got, v)
				mu.Unlock()
				if n.Add(1) >= killAfter && killed.CompareAndSwap(false, true) {
					if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
						t.Errorf("SIGKILL: %v", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	state := srv.waitExit(t)
	if ws, ok := state.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("server did not die of SIGKILL: %v (%d views)", state, len(got))
	}

	srv2 := startServer(t, dbURL, args...)
	defer srv2.stop(t)
	admin := login(t, srv2.base, "admin")
	logged := map[string]int{}
	before := ""
	for {
		st, data, err := call(context.Background(), "GET",
			srv2.base+"/api/v1/audit?actor=dispatcher&action=view_caller&limit=500&before="+before, admin, nil)
		if err != nil || st != 200 {
			t.Fatalf("audit: %d %v %s", st, err, data)
		}
		var out struct {
			Entries []struct{ ID, Target string } `json:"entries"`
		}
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Entries) == 0 {
			break
		}
		for _, e := range out.Entries {
			logged[e.Target]++
			before = e.ID
		}
	}
	want := map[string]int{}
	for _, v := range got {
		want[v.target]++
	}
	want["orders:"+strings.Join(ids, ",")]++ // the first page
	missing := 0
	for target, k := range want {
		if logged[target] < k {
			missing += k - logged[target]
			if missing <= 5 {
				t.Errorf("%s shown %d times in full, audited %d times", target, k, logged[target])
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d answered views are not in the audit log after SIGKILL", missing, len(got)+1)
	}
	for target := range logged {
		if strings.HasPrefix(target, "order:") && strings.Contains(target, ",") {
			t.Errorf("malformed target %q", target)
		}
	}
	t.Logf("%d views answered before SIGKILL, all audited (%s)", len(got), fmt.Sprint(len(logged), " targets"))
}
