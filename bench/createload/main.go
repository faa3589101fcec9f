// Command createload measures order creation through the HTTP API against
// the baseline of bare single-row durable inserts into the same database, in
// one run on one machine (issue 2, "Benchmarks"):
//
//	go run ./bench/createload                                   # SQLite in a temp folder
//	go run ./bench/createload -db "$HOTLINE_TEST_PG"            # a fresh database on that PostgreSQL server
//	go run ./bench/createload -db sqlite:/tmp/x.db -rate 200 -duration 20s
//
// It starts the real server in-process (app.New with the demo subdistrict and
// the text intelligence, so every create segments its text, stores its event
// and search tokens and computes suggestions), or talks to one already
// running with -url, and then measures, in this order:
//
//	raw:        bare INSERTs of one comparable row, one per transaction
//	            (autocommit), with the same durability settings as the
//	            server's store (SQLite: WAL, synchronous=FULL, one writer);
//	            serially and with -clients concurrent clients
//	throughput: POST /api/v1/orders as fast as possible from 1 and from
//	            -clients concurrent clients
//	open loop:  POST /api/v1/orders at a fixed -rate, sent on schedule
//	            whatever the answers do; latency counts from the scheduled
//	            send time, so a stall cannot hide behind the schedule
//
//	mass:       -mass near-identical copies of one complaint stored, then
//	            creates of yet more copies beside creates of the corpus's
//	            varied texts, A B A B, at 1 and -clients clients (issue 19:
//	            the similar-order search must not pay for every copy), and
//	            the first search page of a word in every copy beside a word
//	            in 30 orders (mass.go)
//	reads:      GET /api/v1/orders/{id} as a dispatcher and as a leader
//	            (reads.go)
//
// and prints the rates, the API/raw ratios and the open-loop percentiles.
// Every loop is bounded by its duration (plus a grace period for answers).
// It only ever talks to 127.0.0.1.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"hotline/internal/app"
	"hotline/internal/intel"
)

// sqlitePragmas must match the writer DSN of store.Open
// (internal/store/store.go), so that the baseline pays for the same
// durability as the server.
const sqlitePragmas = "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=synchronous(FULL)&_txlock=immediate"

type config struct {
	db, url, user, password string
	clients                 int
	rate                    float64
	duration, rawDuration   time.Duration
	readDuration            time.Duration
	mass                    int
	fresh, caller           bool
	cpuprofile              string
	readProfile             string
	viewJournal             string
}

func main() {
	var c config
	flag.StringVar(&c.db, "db", "", "database: sqlite:PATH or postgres://… (default: a SQLite file in a temp folder)")
	flag.BoolVar(&c.fresh, "fresh", true, "with a postgres:// -db, create a fresh database on that server for the run and drop it after")
	flag.StringVar(&c.url, "url", "", "base URL of a running server on 127.0.0.1 (default: start one in-process on -db)")
	flag.StringVar(&c.user, "user", "operator", "user creating the orders")
	flag.StringVar(&c.password, "password", "demo12345", "its password")
	flag.IntVar(&c.clients, "clients", 8, "concurrent clients for the throughput phases")
	flag.Float64Var(&c.rate, "rate", 200, "creates per second in the open-loop phase")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "length of each API phase")
	flag.DurationVar(&c.rawDuration, "raw-duration", 10*time.Second, "length of each raw-insert phase")
	flag.BoolVar(&c.caller, "caller", true, "send a caller name and phone with each order (as a hotline operator does)")
	flag.DurationVar(&c.readDuration, "read-duration", 5*time.Second, "length of each fetch phase (dispatcher vs leader, A B A B; 0 skips them)")
	flag.IntVar(&c.mass, "mass", 30000, "near-identical copies of one complaint to store for the mass-complaint and common-word phases (0 skips them)")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of the API phases to this file")
	flag.StringVar(&c.readProfile, "read-profile", "", "write a CPU profile of each fetch and mass-complaint phase at -clients clients to PREFIX-WHAT-ROUND.pprof, WHAT the user or new/copies/varied (not with -cpuprofile)")
	flag.StringVar(&c.viewJournal, "view-journal", "auto", "with a postgres:// -db: the file audited views are committed to before they move into PostgreSQL, as serve's --view-journal (auto: one in a temp folder, as serve keeps one by default; none: straight to PostgreSQL)")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "createload:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if c.clients < 1 || c.rate <= 0 || c.duration <= 0 || c.rawDuration <= 0 {
		return errors.New("-clients, -rate, -duration and -raw-duration must be positive")
	}

	fmt.Println("corpus:", loadCorpus())
	dbURL, cleanup, err := prepareDB(ctx, c)
	if err != nil {
		return err
	}
	defer cleanup()
	meter := cpuMeter{}
	if !strings.HasPrefix(dbURL, "sqlite:") {
		pg, err := sql.Open("pgx", dbURL)
		if err != nil {
			return err
		}
		pg.SetMaxOpenConns(1)
		defer pg.Close()
		meter.pg = pg
	}

	journal := c.viewJournal
	switch {
	case strings.HasPrefix(dbURL, "sqlite:") || journal == "none" || c.url != "":
		journal = "" // SQLite keeps its journal beside its file; a running server has its own
	case journal == "auto":
		dir, err := os.MkdirTemp("", "createload-journal-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		journal = filepath.Join(dir, "views.log")
	}
	base := c.url
	if base == "" {
		m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: dbURL, ViewJournal: journal, Demo: true, Intel: intel.New(), Sweep: 24 * time.Hour,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			return fmt.Errorf("start server: %w", err)
		}
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		select {
		case <-m.Ready():
		case err := <-done:
			return fmt.Errorf("server stopped: %w", err)
		}
		defer func() { cancel(); <-done }()
		base = "http://" + m.Addr
	} else if err := localOnly(base); err != nil {
		return err
	}
	base = strings.TrimSuffix(base, "/")

	fmt.Printf("createload: %s, %d CPUs (GOMAXPROCS %d), %s\n", runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), time.Now().Format(time.RFC3339))
	fmt.Printf("database: %s   server: %s   view journal: %q\n", kind(dbURL), base, journal)
	fmt.Printf("phases: raw %v each, API %v each, %d clients, open loop %.0f/s\n\n", c.rawDuration, c.duration, c.clients, c.rate)

	// (c) the baseline, in the same database: measured before and after the
	// API phases, so that a disk or a neighbour changing speed mid-run
	// shows up as a difference between the two.
	rawb, rawbLat, err := rawInserts(ctx, dbURL, c.clients, c.rawDuration, meter)
	if err != nil {
		return fmt.Errorf("raw inserts: %w", err)
	}
	fmt.Printf("raw INSERT (before), 1 client:  %8.1f rows/s   %s\n", rawb[0], rawbLat[0].summary())
	fmt.Printf("raw INSERT (before), %d clients: %8.1f rows/s   %s\n\n", c.clients, rawb[1], rawbLat[1].summary())

	cl := newClient(base, c)
	if err := cl.login(ctx); err != nil {
		return err
	}
	for i := 0; i < 20; i++ { // warm up: connections, statement caches, segmenter
		if _, err := cl.create(ctx); err != nil {
			return fmt.Errorf("warm-up create: %w", err)
		}
	}

	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}

	// (a) closed-loop throughput.
	t0 := meter.now(ctx)
	api1 := cl.closedLoop(ctx, 1, c.duration)
	t1 := meter.now(ctx)
	api1.cpu = meter.line(t0, t1, len(api1.lat))
	fmt.Printf("API create, 1 client:            %8.1f orders/s   %s\n", api1.rate(), api1.summary())
	apiN := cl.closedLoop(ctx, c.clients, c.duration)
	apiN.cpu = meter.line(t1, meter.now(ctx), len(apiN.lat))
	fmt.Printf("API create, %d clients:           %8.1f orders/s   %s\n\n", c.clients, apiN.rate(), apiN.summary())

	// (b) open loop at a fixed rate.
	ol := cl.openLoop(ctx, c.rate, c.duration)
	fmt.Printf("open loop %.0f/s for %v: sent %d, ok %d, errors %d, achieved %.1f/s\n", c.rate, c.duration, ol.sent, len(ol.lat), ol.errors, ol.rate())
	fmt.Printf("  latency from scheduled send: %s\n\n", ol.summary())

	if c.mass > 0 {
		if err := massPhases(ctx, base, c, meter, api1.rate(), apiN.rate()); err != nil {
			return fmt.Errorf("mass-complaint phases: %w", err)
		}
	}

	if c.readDuration > 0 {
		if err := readPhases(ctx, base, c, c.readDuration, meter); err != nil {
			return fmt.Errorf("read phases: %w", err)
		}
	}

	rawa, rawaLat, err := rawInserts(ctx, dbURL, c.clients, c.rawDuration, meter)
	if err != nil {
		return fmt.Errorf("raw inserts: %w", err)
	}
	fmt.Printf("raw INSERT (after), 1 client:   %8.1f rows/s   %s\n", rawa[0], rawaLat[0].summary())
	fmt.Printf("raw INSERT (after), %d clients:  %8.1f rows/s   %s\n\n", c.clients, rawa[1], rawaLat[1].summary())
	raw1, rawN := (rawb[0]+rawa[0])/2, (rawb[1]+rawa[1])/2
	r1, rN := api1.rate()/raw1, apiN.rate()/rawN
	fmt.Printf("raw INSERT (mean), 1 client:    %8.1f rows/s\n", raw1)
	fmt.Printf("raw INSERT (mean), %d clients:   %8.1f rows/s\n", c.clients, rawN)
	fmt.Printf("ratio API/raw, 1 client:   %.3f\n", r1)
	fmt.Printf("ratio API/raw, %d clients:  %.3f   (target >= 0.5: %s)\n", c.clients, rN, verdict(rN >= 0.5))
	p99 := ol.pct(99)
	fmt.Printf("open-loop p99 at %.0f/s:     %v   (target < 20ms: %s)\n", c.rate, p99.Round(10*time.Microsecond), verdict(p99 < 20*time.Millisecond && ol.errors == 0 && ol.sent > 0))
	if ol.errors > 0 {
		fmt.Printf("open-loop errors, first: %v\n", ol.firstErr)
	}
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "MET"
	}
	return "NOT MET"
}

func kind(u string) string {
	if strings.HasPrefix(u, "sqlite:") {
		return "SQLite " + strings.TrimPrefix(u, "sqlite:")
	}
	if p, err := url.Parse(u); err == nil {
		return "PostgreSQL " + p.Host + p.Path
	}
	return "PostgreSQL"
}

// localOnly refuses a server anywhere but on this machine.
func localOnly(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("-url: %w", err)
	}
	h := u.Hostname()
	if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-url must be a server on 127.0.0.1, got %q", base)
	}
	return nil
}

// prepareDB returns the database URL to use: a temp SQLite file by default,
// or a fresh database on the given PostgreSQL server.
func prepareDB(ctx context.Context, c config) (string, func(), error) {
	switch {
	case c.db == "":
		dir, err := os.MkdirTemp("", "createload-")
		if err != nil {
			return "", nil, err
		}
		return "sqlite:" + filepath.Join(dir, "hotline.db"), func() { os.RemoveAll(dir) }, nil
	case strings.HasPrefix(c.db, "postgres://") || strings.HasPrefix(c.db, "postgresql://"):
		if !c.fresh {
			return c.db, func() {}, nil
		}
		admin, err := sql.Open("pgx", c.db)
		if err != nil {
			return "", nil, err
		}
		b := make([]byte, 5)
		rand.Read(b)
		name := "hotline_bench_" + hex.EncodeToString(b)
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			admin.Close()
			return "", nil, fmt.Errorf("create a fresh database (or pass -fresh=false): %w", err)
		}
		u, err := url.Parse(c.db)
		if err != nil {
			admin.Close()
			return "", nil, err
		}
		u.Path = "/" + name
		return u.String(), func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			admin.Close()
		}, nil
	case strings.HasPrefix(c.db, "sqlite:"):
		return c.db, func() {}, nil
	}
	return "", nil, fmt.Errorf("-db must be sqlite:PATH or postgres://…, got %q", c.db)
}

// rawInserts measures bare single-row durable inserts into a table beside
// the schema: first from one client, then from n, each for d; it returns
// both rates.
func rawInserts(ctx context.Context, dbURL string, n int, d time.Duration, meter cpuMeter) (rates [2]float64, lats [2]*result, err error) {
	var (
		db  *sql.DB
		key string
	)
	if p, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		db, err = sql.Open("sqlite", "file:"+p+sqlitePragmas)
		if err != nil {
			return rates, lats, err
		}
		db.SetMaxOpenConns(1)
		key = "INTEGER PRIMARY KEY"
	} else {
		db, err = sql.Open("pgx", dbURL)
		if err != nil {
			return rates, lats, err
		}
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(20)
		key = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_raw (id `+key+`, number TEXT NOT NULL UNIQUE,
		type TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL,
		caller_name TEXT NOT NULL, caller_phone TEXT NOT NULL, created_at BIGINT NOT NULL)`); err != nil {
		return rates, lats, err
	}
	defer db.ExecContext(context.Background(), "DROP TABLE bench_raw")
	var seq atomic.Int64
	insert := func() error {
		k := seq.Add(1)
		t := titles[k%int64(len(titles))]
		_, err := db.ExecContext(ctx, `INSERT INTO bench_raw (number, type, source, status, title, description, caller_name, caller_phone, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
			fmt.Sprintf("R%013d", k), "complaint", "hotline", "received", t[0], t[1], "测试市民", "13800001234", time.Now().UnixMicro())
		return err
	}
	for i := 0; i < 20; i++ { // warm up
		if err := insert(); err != nil {
			return rates, lats, err
		}
	}
	// measure also keeps every insert's latency: the baseline for the
	// API's percentiles, since a disk or neighbour stall shows in both.
	measure := func(clients int) (float64, *result, error) {
		var (
			wg    sync.WaitGroup
			count atomic.Int64
			first atomic.Value
			lat   = &result{}
		)
		t0 := meter.now(ctx)
		start := time.Now()
		end := start.Add(d)
		for w := 0; w < clients; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(end) {
					t0 := time.Now()
					if err := insert(); err != nil {
						first.CompareAndSwap(nil, err)
						return
					}
					lat.add(time.Since(t0), nil)
					count.Add(1)
				}
			}()
		}
		wg.Wait()
		if err, _ := first.Load().(error); err != nil {
			return 0, nil, err
		}
		rate := float64(count.Load()) / time.Since(start).Seconds()
		lat.cpu = meter.line(t0, meter.now(ctx), int(count.Load()))
		return rate, lat, nil
	}
	if rates[0], lats[0], err = measure(1); err != nil {
		return rates, lats, err
	}
	if rates[1], lats[1], err = measure(n); err != nil {
		return rates, lats, err
	}
	return rates, lats, nil
}

// loadCorpus replaces titles with the real citizens' messages of the shared
// data (teddy2020c, title and text, the text cut to 500 characters as an
// operator's summary would be) when HOTLINE_DATA or ../shared/data has them,
// so that similar-order search and segmentation meet texts as varied as a
// real center's rather than eight repeated ones. It reports what it used.
func loadCorpus() string {
	dir := os.Getenv("HOTLINE_DATA")
	if dir == "" {
		dir = filepath.Join("..", "shared", "data")
	}
	f, err := os.Open(filepath.Join(dir, "teddy2020c", "messages_labeled_train.csv"))
	if err != nil {
		return fmt.Sprintf("built-in corpus of %d orders (real messages not found: %v)", len(titles), err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return fmt.Sprintf("built-in corpus of %d orders (%v)", len(titles), err)
	}
	ti, di := slices.Index(head, "留言主题"), slices.Index(head, "留言详情")
	if ti < 0 || di < 0 {
		return fmt.Sprintf("built-in corpus of %d orders (unexpected columns %v)", len(titles), head)
	}
	var got [][2]string
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		if len(rec) <= max(ti, di) {
			continue
		}
		t, d := strings.TrimSpace(rec[ti]), strings.TrimSpace(rec[di])
		if t == "" || d == "" {
			continue
		}
		if rs := []rune(d); len(rs) > 500 {
			d = string(rs[:500])
		}
		if rs := []rune(t); len(rs) > 100 {
			t = string(rs[:100])
		}
		got = append(got, [2]string{t, d})
	}
	if len(got) == 0 {
		return fmt.Sprintf("built-in corpus of %d orders (no rows read)", len(titles))
	}
	titles = got
	return fmt.Sprintf("%d real messages from %s", len(got), f.Name())
}

// titles are realistic hotline orders; the load cycles through them so that
// the segmenter and the index see varied text.
var titles = [][2]string{
	{"小区门口路灯坏了", "居民反映宾阳路三江小区门口的路灯坏了三天，晚上很黑，老人出门不安全，请尽快派人修理。"},
	{"夜间施工噪音扰民", "龙漕路工地每天晚上十一点以后还在打桩，噪音很大，影响周边居民休息，要求核查是否办理夜间施工许可。"},
	{"饭店油烟直排", "月河居民区沿街一家饭店的油烟没有经过净化直接排放，楼上住户窗户都不敢开，请执法部门处理。"},
	{"楼道堆放杂物", "29号楼三单元楼道里堆满了纸箱和旧家具，存在消防隐患，物业公司多次提醒无效。"},
	{"窨井盖缺失", "宾阳路与龙漕路路口有一个窨井盖缺失，只放了一个锥桶，晚上骑车很危险。"},
	{"群租房问题", "隔壁一套两室户住了十几个人，进出频繁，噪音大，卫生差，怀疑是群租，请核查。"},
	{"垃圾分类点满溢", "小区垃圾分类投放点的湿垃圾桶已经两天没有清运，气味很大，招来很多苍蝇。"},
	{"违章搭建", "一楼住户在自家院子里搭建了彩钢板房，占用公共绿地，请城管部门核查处理。"},
}

// client sends creates as one logged-in user.
type client struct {
	base, user, password string
	caller               bool
	token                string
	// text, when set, gives the k-th order's title and description
	// instead of the corpus (the mass complaint's copies, mass.go).
	text func(k int64) (string, string)
	http *http.Client
	seq  atomic.Int64
}

func newClient(base string, c config) *client {
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, DisableCompression: true,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	return &client{base: base, user: c.user, password: c.password, caller: c.caller,
		http: &http.Client{Timeout: 30 * time.Second, Transport: tr}}
}

func (c *client) post(ctx context.Context, path string, body any) (int, []byte, error) {
	js, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+path, bytes.NewReader(js))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

func (c *client) login(ctx context.Context) error {
	st, data, err := c.post(ctx, "/api/v1/session", map[string]string{"username": c.user, "password": c.password})
	if err != nil {
		return fmt.Errorf("log in: %w", err)
	}
	var out struct {
		Token string `json:"token"`
	}
	if st != 200 || json.Unmarshal(data, &out) != nil || out.Token == "" {
		return fmt.Errorf("log in as %s: %d %s", c.user, st, data)
	}
	c.token = out.Token
	return nil
}

// create posts one order and checks the answer is a 201 with a number and
// the suggestions object.
func (c *client) create(ctx context.Context) (time.Duration, error) {
	k := c.seq.Add(1)
	t := titles[k%int64(len(titles))]
	body := map[string]any{"type": "complaint", "source": "hotline", "title": fmt.Sprintf("%s（%d）", t[0], k), "description": t[1]}
	if c.text != nil {
		body["title"], body["description"] = c.text(k)
	}
	if c.caller {
		body["caller"] = map[string]any{"name": "测试市民", "phone": "13800001234"}
	}
	start := time.Now()
	st, data, err := c.post(ctx, "/api/v1/orders", body)
	lat := time.Since(start)
	if err != nil {
		return lat, err
	}
	if st != 201 {
		return lat, fmt.Errorf("status %d: %.200s", st, data)
	}
	var o struct {
		Number      string          `json:"number"`
		Suggestions json.RawMessage `json:"suggestions"`
	}
	if err := json.Unmarshal(data, &o); err != nil || o.Number == "" || len(o.Suggestions) == 0 {
		return lat, fmt.Errorf("201 without number or suggestions: %.200s", data)
	}
	return lat, nil
}

// result is one phase's outcome.
type result struct {
	mu       sync.Mutex
	lat      []time.Duration
	sent     int
	errors   int
	firstErr error
	elapsed  time.Duration
	cpu      string // CPU per operation (cpu.go), when measured
}

func (r *result) add(lat time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errors++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	r.lat = append(r.lat, lat)
}

func (r *result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(len(r.lat)) / r.elapsed.Seconds()
}

func (r *result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	s := slices.Clone(r.lat)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func (r *result) summary() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }
	s := fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s", ms(r.pct(50)), ms(r.pct(90)), ms(r.pct(99)), ms(r.pct(100)))
	if r.cpu != "" {
		s += "   " + r.cpu
	}
	if r.errors > 0 {
		s += fmt.Sprintf("  errors %d (first: %v)", r.errors, r.firstErr)
	}
	return s
}

// closedLoop runs n clients, each creating as fast as answers come, for d.
func (c *client) closedLoop(ctx context.Context, n int, d time.Duration) *result {
	r := &result{}
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) && ctx.Err() == nil {
				lat, err := c.create(ctx)
				r.add(lat, err)
			}
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	return r
}

// openLoop sends creates at a fixed rate for d: the i-th request is due at
// start + i/rate and is sent then whether or not earlier ones have been
// answered; its latency counts from that due time. At most 2000 requests
// may be outstanding; beyond that a request counts as an error.
func (c *client) openLoop(ctx context.Context, rate float64, d time.Duration) *result {
	r := &result{}
	total := int(rate * d.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	var (
		wg       sync.WaitGroup
		inflight atomic.Int64
	)
	start := time.Now()
	for i := 0; i < total && ctx.Err() == nil; i++ {
		due := start.Add(time.Duration(i) * interval)
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		r.sent++
		if inflight.Load() >= 2000 {
			r.add(0, errors.New("more than 2000 requests outstanding"))
			continue
		}
		inflight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer inflight.Add(-1)
			_, err := c.create(ctx)
			r.add(time.Since(due), err)
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	return r
}
