package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Reads (issue 19, item 3): GET /api/v1/orders/{id} as a dispatcher, who
// sees callers in full and so writes an audit entry per view, beside the
// same fetches as a leader, who sees them masked and writes nothing; A B A B
// in one run, at 1 and -clients clients. Target: dispatcher >= 0.8 x leader
// at 8 clients.
//
// Each phase also prints its CPU per fetch (this process: server, database
// on SQLite and clients; plus PostgreSQL's processes), and each pair of
// phases the ratio of the leader's CPU per fetch to the dispatcher's: the
// rate ratio a machine whose CPUs are all busy would show, less swayed than
// the rates by other work on a shared machine.
func readPhases(ctx context.Context, base string, c config, d time.Duration, meter cpuMeter) error {
	users := []string{"leader", "dispatcher"}
	clients := map[string]*client{}
	for _, u := range users {
		cc := c
		cc.user = u
		cl := newClient(base, cc)
		if err := cl.login(ctx); err != nil {
			return err
		}
		clients[u] = cl
	}
	st, data, err := clients["leader"].get(ctx, "/api/v1/orders?limit=100")
	if err != nil || st != 200 {
		return fmt.Errorf("list for the read phases: %d %v %.200s", st, err, data)
	}
	var page struct {
		Orders []struct {
			ID string `json:"id"`
		} `json:"orders"`
	}
	if err := json.Unmarshal(data, &page); err != nil || len(page.Orders) == 0 {
		return fmt.Errorf("list for the read phases: %.200s", data)
	}
	ids := make([]string, len(page.Orders))
	for i, o := range page.Orders {
		ids[i] = o.ID
	}
	for _, n := range []int{1, c.clients} {
		sum := map[string]float64{}
		cpu := map[string]time.Duration{}
		for round := 0; round < 2; round++ { // A B A B
			for _, u := range users {
				stop, err := phaseProfile(c, u, n, round)
				if err != nil {
					return err
				}
				t0, rd0 := meter.now(ctx), readSyscalls()
				r := clients[u].fetchLoop(ctx, ids, n, d)
				t1, rd1 := meter.now(ctx), readSyscalls()
				stop()
				r.cpu = meter.line(t0, t1, len(r.lat))
				if len(r.lat) > 0 && rd0 >= 0 && rd1 >= 0 {
					// read(2)/pread(2) calls of this process: SQLite's page
					// reads after its readers dropped their caches, and the
					// sockets' reads.
					r.cpu += fmt.Sprintf(", %.1f read syscalls/op", float64(rd1-rd0)/float64(len(r.lat)))
				}
				self, db := cpuPerOp(t0, t1, len(r.lat))
				cpu[u] += self + db
				sum[u] += r.rate()
				fmt.Printf("fetch as %-10s %d client(s), round %d: %8.1f/s   %s\n", u, n, round+1, r.rate(), r.summary())
			}
		}
		ratio := sum["dispatcher"] / sum["leader"]
		fmt.Printf("fetch dispatcher/leader, %d client(s): %.3f", n, ratio)
		if n == c.clients {
			fmt.Printf("   (target >= 0.8: %s)", verdict(ratio >= 0.8))
		}
		if cpu["dispatcher"] > 0 {
			fmt.Printf("   CPU per fetch leader/dispatcher: %.3f", float64(cpu["leader"])/float64(cpu["dispatcher"]))
		}
		fmt.Print("\n\n")
	}
	return nil
}

// readSyscalls is this process's count of read syscalls so far
// (/proc/self/io syscr), or -1.
func readSyscalls() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscr: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// phaseProfile starts a CPU profile of one fetch or mass-complaint phase at
// -clients clients when -read-profile is set (PREFIX-dispatcher-1.pprof,
// PREFIX-copies-2.pprof, …), so that a dispatcher's fetch and a leader's,
// or creates of copies and of a new complaint, can be compared phase
// against phase; the returned function stops it.
func phaseProfile(c config, what string, n, round int) (func(), error) {
	if c.readProfile == "" || n != c.clients || c.cpuprofile != "" {
		return func() {}, nil
	}
	f, err := os.Create(fmt.Sprintf("%s-%s-%d.pprof", c.readProfile, what, round+1))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func (c *client) get(ctx context.Context, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// fetchLoop runs n clients fetching the ids round robin for d; a fetch
// counts when it is a 200 with the order's id in it.
func (c *client) fetchLoop(ctx context.Context, ids []string, n int, d time.Duration) *result {
	r := &result{}
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; time.Now().Before(end) && ctx.Err() == nil; i++ {
				id := ids[i%len(ids)]
				t := time.Now()
				st, data, err := c.get(ctx, "/api/v1/orders/"+id)
				if err == nil && (st != 200 || !strings.Contains(string(data), `"id":"`+id+`"`)) {
					err = fmt.Errorf("status %d: %.200s", st, data)
				}
				r.add(time.Since(t), err)
			}
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	return r
}
