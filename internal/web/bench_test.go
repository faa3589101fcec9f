package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hotline/internal/api"
	"hotline/internal/app"
	"hotline/internal/order"
)

// The page benchmarks seed 100,000 orders (BENCH_ORDERS to change it) into
// a SQLite file once per process, then time each page through the whole
// HTTP handler (sessions, CSRF, cross-origin check, templates) beside a
// bare handler (/healthz) measured the same way. Run:
//
//	go test -run '^$' -bench . -benchtime 200x ./internal/web/

var bench struct {
	once   sync.Once
	m      *app.Main
	h      http.Handler
	tokens map[string]string
	order  string // an order of binyang, in progress
	err    error
	dir    string
}

var benchTitles = []struct{ title, desc, cat, unit string }{
	{"夜间施工噪音扰民", "工地晚上十点以后还在打桩 噪音 很大", "environment.noise", "cityops"},
	{"工地扬尘严重", "渣土车进出没有冲洗 扬尘 小区门口全是灰", "environment.dust", "cityops"},
	{"楼下饭店油烟直排", "饭店 油烟 直接往楼上排", "environment.fumes", "cityops"},
	{"小区门口路灯坏了", "路灯 坏了一个星期 晚上很黑", "facilities.street_light", "cityops"},
	{"群租房人员复杂", "一套两居室住了十几个人 群租", "property.group_rental", "housing"},
	{"楼上漏水到我家", "卫生间 漏水 渗到天花板", "community.neighbour_dispute", "binyang"},
	{"物业公司不作为", "电梯故障 物业 一拖再拖", "property.management", "binyang"},
	{"车辆乱停占用消防通道", "停车 占用 消防通道", "facilities.parking", "safety"},
}

func seedBench(tb testing.TB) {
	bench.once.Do(func() {
		n := 100000
		if s := os.Getenv("BENCH_ORDERS"); s != "" {
			fmt.Sscan(s, &n)
		}
		bench.dir, bench.err = os.MkdirTemp("", "hotline-web-bench")
		if bench.err != nil {
			return
		}
		ctx := context.Background()
		m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: "sqlite:" + filepath.Join(bench.dir, "bench.db"), Demo: true, Web: Mount})
		if err != nil {
			bench.err = err
			return
		}
		bench.m, bench.h = m, m.Handler()
		start := time.Now()
		now := time.Now().UTC()
		statuses := []order.Status{order.Received, order.Dispatched, order.Accepted, order.InProgress, order.Replied, order.Reviewed, order.Returned}
		work := make(chan int)
		var wg sync.WaitGroup
		var mu sync.Mutex
		for w := 0; w < 64; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					t := benchTitles[i%len(benchTitles)]
					created := now.Add(-time.Duration(n-i) * 30 * time.Second)
					o := order.Order{Type: order.Complaint, Source: order.SourceHotline, Urgency: order.Normal, Status: order.Closed,
						Title: t.title, Description: t.desc, Category: t.cat, Unit: t.unit, Caller: order.Caller{Name: "王先生", Phone: "13800000101"},
						Address: "三江小区", Round: 1, Version: 1, CreatedAt: created, UpdatedAt: created}
					// One in ten is still open, in every state; the rest are closed.
					if i%10 == 0 {
						o.Status = statuses[(i/10)%len(statuses)]
					}
					if o.Status == order.Received || o.Status == order.Returned {
						o.Unit = ""
					} else {
						d := created.Add(time.Hour)
						sign, contact, due := d, d.Add(time.Hour), created.Add(5*24*time.Hour)
						o.DispatchedAt, o.SignDue, o.ContactDue, o.Due = &created, &sign, &contact, &due
						o.Supervised = i%997 == 0
					}
					ev := order.Event{At: created, Actor: "operator", Action: string(order.ActCreate), To: order.Received, Body: map[string]any{"title": o.Title}}
					if err := m.Store.CreateOrder(ctx, &o, ev, simpleTokensFor(t.title+" "+t.desc)); err != nil {
						mu.Lock()
						bench.err = err
						mu.Unlock()
						return
					}
					if o.Status == order.InProgress && o.Unit == "binyang" {
						mu.Lock()
						bench.order = o.ID
						mu.Unlock()
					}
				}
			}()
		}
		for i := 0; i < n; i++ {
			work <- i
		}
		close(work)
		wg.Wait()
		if bench.err != nil {
			return
		}
		fmt.Fprintf(os.Stderr, "seeded %d orders in %s\n", n, time.Since(start).Round(time.Millisecond))
		bench.tokens = map[string]string{}
		for _, u := range []string{"dispatcher", "binyang", "leader", "operator"} {
			tok, _, err := m.Svc.Login(ctx, u, "demo12345", "bench")
			if err != nil {
				bench.err = err
				return
			}
			bench.tokens[u] = tok
		}
	})
	if bench.err != nil {
		tb.Fatal(bench.err)
	}
}

// simpleTokensFor splits on spaces, like the service's fallback tokenizer.
func simpleTokensFor(s string) []string {
	var out []string
	word := []rune{}
	for _, r := range s + " " {
		if r == ' ' {
			if len(word) > 0 {
				out = append(out, string(word))
			}
			word = word[:0]
			continue
		}
		word = append(word, r)
	}
	return out
}

func benchPage(b *testing.B, user, path string) {
	seedBench(b)
	req := httptest.NewRequest("GET", path, nil)
	if user != "" {
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: bench.tokens[user]})
	}
	rec := httptest.NewRecorder()
	bench.h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("GET %s as %s: %d\n%.2000s", path, user, rec.Code, rec.Body.String())
	}
	b.ResetTimer()
	var worst time.Duration
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		t0 := time.Now()
		bench.h.ServeHTTP(rec, req)
		if d := time.Since(t0); d > worst {
			worst = d
		}
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms")
}

func BenchmarkBaselineHealthz(b *testing.B) { benchPage(b, "", "/healthz") }
func BenchmarkQueueReceived(b *testing.B)   { benchPage(b, "dispatcher", "/queue?tab=received") }
func BenchmarkQueueOverdue(b *testing.B)    { benchPage(b, "dispatcher", "/queue?tab=overdue") }
func BenchmarkInbox(b *testing.B)           { benchPage(b, "binyang", "/inbox?step=progress") }
func BenchmarkOrderPage(b *testing.B)       { seedBench(b); benchPage(b, "binyang", "/orders/"+bench.order) }
func BenchmarkSearch(b *testing.B)          { benchPage(b, "dispatcher", "/search?q=噪音") }
func BenchmarkSearchFiltered(b *testing.B) {
	benchPage(b, "dispatcher", "/search?status=in_progress&unit=binyang&type=complaint")
}
func BenchmarkBoard(b *testing.B)  { benchPage(b, "leader", "/board") }
func BenchmarkIntake(b *testing.B) { benchPage(b, "operator", "/intake") }
