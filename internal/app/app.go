// Package app assembles the running server: configuration, database,
// service, HTTP routes and background jobs. cmd/hotline calls it, and so do
// end-to-end tests, which start the real thing on 127.0.0.1:0.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"hotline/internal/admin"
	"hotline/internal/api"
	"hotline/internal/auth"
	"hotline/internal/calendar"
	"hotline/internal/community/campaign"
	"hotline/internal/community/campaign/campaignapi"
	"hotline/internal/community/emergency"
	"hotline/internal/community/emergency/emergencyapi"
	"hotline/internal/community/meeting"
	"hotline/internal/community/patrol"
	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registryapi"
	"hotline/internal/community/registry/registrydb"
	"hotline/internal/dashboard"
	"hotline/internal/demo"
	"hotline/internal/feed"
	"hotline/internal/httpx"
	"hotline/internal/live"
	"hotline/internal/open311"
	"hotline/internal/portal"
	"hotline/internal/seal"
	"hotline/internal/service"
	"hotline/internal/stats"
	"hotline/internal/store"
)

// Config is what `hotline serve` takes.
type Config struct {
	Addr  string // listen address; port 0 picks a free one
	DB    string // sqlite:PATH or postgres://…
	Demo  bool   // load the demo subdistrict into an empty database
	Sweep time.Duration
	// ViewJournal, on PostgreSQL, is a file on this machine where audited
	// views are committed before they move into PostgreSQL's audit_log
	// (store.UseViewJournal); "" commits them to PostgreSQL directly.
	ViewJournal string
	// SettingsPoll is how often an instance checks whether another one
	// changed the admin settings (service.WatchSettings); 0 means 1 s.
	SettingsPoll time.Duration
	// Feed tunes the platform feed's outbox worker; FeedLegacyKey opens
	// platform secrets stored before they were sealed with the data key
	// (HOTLINE_SECRET_KEY). cmd reads both from the environment.
	Feed          feed.Settings
	FeedLegacyKey string
	// Intel provides the text features; nil runs without them.
	Intel service.Intelligence
	// Web mounts the HTML pages; nil serves the API only.
	Web func(mux *http.ServeMux, svc *service.Service, a *api.API, demo bool)
	// RegistryWeb mounts the registry's pages (internal/web); reg is nil
	// when the registry is off (no data key); nil serves none.
	RegistryWeb func(mux *http.ServeMux, svc *service.Service, a *api.API, reg *registry.Service, demo bool)
	// DemoRegistry also loads the demo registry at 宾阳路's real size (about
	// 9,200 residents; serve --demo does) when Demo is set and a data key is
	// given. Off by default so tests that need an empty registry get one.
	DemoRegistry bool
	Log          *slog.Logger
	Out          io.Writer // where the start banner goes
	// DataKey seals personal data at rest (internal/seal); nil when none was
	// given, and then modules that keep personal data refuse to start
	// (NeedDataKey). ResealEvery is how often registered modules re-encrypt
	// old values (default a minute; reseal.go).
	DataKey     *seal.Keys
	ResealEvery time.Duration
	// ResealPoll is how often the key file is looked at for a rotation
	// (default 5 s, reseal.go); tests of a rotation under a running server
	// set it shorter so the re-encryption they wait for starts sooner.
	ResealPoll time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (httpx.Forwarded): the client's address
	// for throttling, and HTTPS for the session cookie's Secure flag.
	TrustedProxies []netip.Prefix
	// CommunityPages mounts the patrol and meeting pages (web.MountCommunity);
	// nil serves their API only.
	CommunityPages func(mux *http.ServeMux, svc *service.Service, a *api.API, demo bool, p *patrol.Service, m *meeting.Service)
	// DemoCommunity also loads the community modules' demo with Demo:
	// volunteers, patrols and meetings, and (with a data key) a past
	// typhoon and an open campaign (internal/demo/community.go,
	// emergency.go). One flag for all of it; `serve --demo` sets it, tests
	// that count the demo's places and people leave it off.
	DemoCommunity bool
	// DemoHistory is the number of orders of the demo's past year written
	// before the hand-written ones, with Demo (internal/demo/history.go).
	// `serve --demo` sets demo.HistoryOrders (--demo-history); tests that
	// count the demo's orders leave it 0.
	DemoHistory int
	// PasswordParams are the argon2id costs new passwords are hashed with
	// (the demo accounts' too); zero means auth.DefaultParams. Only tests
	// set it (apptest), cmd never does.
	PasswordParams auth.Params
}

// loader and nightly are what an intelligence may offer beyond
// service.Intelligence: loading from the store at start, retraining nightly.
type loader interface {
	Load(ctx context.Context, st service.TextStore, log *slog.Logger) error
}

type nightly interface {
	RunNightly(ctx context.Context, st service.TextStore, loc *time.Location)
}

// Main is a running (or about to run) server.
type Main struct {
	Config
	Store *store.Store
	Svc   *service.Service
	Dash  *dashboard.Service // the dashboards and statistics (internal/dashboard)
	API   *api.API
	// Addr is the address actually listened on, set once Run is serving.
	Addr  string
	ready chan struct{}

	// resealers re-encrypt personal data after a key rotation (reseal.go).
	resealers []resealJob

	// Registry is the residents' registry (registry.go); nil without a data key.
	Registry   *registry.Service
	RegistryDB *registrydb.Store
	// Patrol is the volunteers and patrols module (internal/community/patrol).
	Patrol *patrol.Service
	// Meetings is the consultation meetings module (internal/community/meeting).
	Meetings *meeting.Service

	// Live wakes the live boards (internal/live); Emergency is §4 (nil
	// without a data key, like the registry).
	Live      *live.Hub
	Emergency *emergency.Service
	Campaign  *campaign.Service // §5 (campaign.go)
}

// New prepares a server: opens and migrates the database, builds the
// service, and loads the demo when asked.
func New(ctx context.Context, cfg Config) (*Main, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Sweep == 0 {
		cfg.Sweep = 30 * time.Second
	}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	if cfg.ViewJournal != "" {
		if err := st.UseViewJournal(cfg.ViewJournal); err != nil {
			st.Close()
			return nil, err
		}
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	svc, err := service.New(ctx, st, cfg.Intel, cfg.Log)
	if err != nil {
		st.Close()
		return nil, err
	}
	svc.Passwords.Params = cfg.PasswordParams
	dash := dashboard.New(st, svc) // the leaders' figures: reads of the rollups, names from the orders' service
	if cfg.DataKey != nil {
		// The repeat callers' key, the same on every instance with this data
		// key: a PRF output of the data key's (unrotated) index key.
		dash.Callers = stats.NewHasher(cfg.DataKey.Index("dashboard.callers", "key/1"))
	}
	if cfg.Demo {
		if err := demo.LoadWith(ctx, svc, st, demo.Options{History: cfg.DemoHistory}); err != nil {
			st.Close()
			return nil, fmt.Errorf("load demo: %w", err)
		}
	}
	// The intelligence learns from what is stored: load it after the demo.
	if l, ok := cfg.Intel.(loader); ok {
		if err := l.Load(ctx, st, cfg.Log); err != nil {
			st.Close()
			return nil, fmt.Errorf("load the text intelligence: %w", err)
		}
	}
	adm := admin.New(st, svc, admin.Shared{Calendar: svc.Calendar, Throttle: svc.Throttle, Passwords: svc.Passwords, Log: cfg.Log}) // settings, users, passwords
	a := api.New(svc, dash, adm, cfg.Log)
	m := &Main{Config: cfg, Store: st, Svc: svc, Dash: dash, API: a, ready: make(chan struct{})}
	if err := m.openRegistry(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if cfg.Demo && cfg.DemoRegistry && m.RegistryDB != nil { // the registry at 宾阳路's real size (internal/demo/registry.go)
		if err := demo.LoadRegistry(ctx, st.DB(), m.RegistryDB); err != nil {
			st.Close()
			return nil, fmt.Errorf("load the demo registry: %w", err)
		}
	}
	if err := m.newPatrol(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("patrol: %w", err)
	}
	if err := m.newMeetings(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("meetings: %w", err)
	}
	if cfg.Demo && cfg.DemoCommunity {
		if err := demo.LoadCommunity(ctx, svc, m.Patrol, m.Meetings, cfg.DataKey != nil); err != nil {
			st.Close()
			return nil, fmt.Errorf("load the community demo: %w", err)
		}
	}
	if err := m.openEmergency(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if err := m.openCampaigns(ctx); err != nil {
		m.Live.Close()
		st.Close()
		return nil, err
	}
	if err := m.demoCommunity(ctx); err != nil {
		m.Live.Close()
		st.Close()
		return nil, fmt.Errorf("load the community demo: %w", err)
	}
	return m, nil
}

// Handler returns the whole HTTP handler: API, pages, and cross-origin
// protection for cookie-authenticated requests.
func (m *Main) Handler() http.Handler {
	mux := http.NewServeMux()
	m.API.Register(mux)
	open311.Mount(mux, m.Svc)                  // Open311 GeoReport v2 (internal/open311)
	portal.Mount(mux, m.Svc, m.API)            // citizen portal and public API (internal/portal)
	feed.Mount(mux, m.Svc, m.Log, m.feedBox()) // municipal platform webhook (internal/feed)
	if m.Registry != nil {
		registryapi.Mount(m.API.Routes(mux), m.Registry) // residents' registry (community.md §1)
	} else {
		registryapi.MountUnavailable(m.API.Routes(mux)) // no data key: 503 saying how to set one, not 404
	}
	m.mountPatrol(mux)   // volunteers and patrols (internal/community/patrol)
	m.mountMeetings(mux) // consultation meetings (internal/community/meeting)
	if m.Web != nil {
		m.Web(mux, m.Svc, m.API, m.Demo)
	}
	if m.RegistryWeb != nil {
		m.RegistryWeb(mux, m.Svc, m.API, m.Registry, m.Demo) // the registry's pages (without a key: a page saying how to set one)
	}
	if m.CommunityPages != nil {
		m.CommunityPages(mux, m.Svc, m.API, m.Demo, m.Patrol, m.Meetings)
	}
	if m.Emergency != nil {
		(&emergencyapi.Handler{Svc: m.Emergency, Live: m.Live}).Mount(m.API.Routes(mux)) // §4 emergencies (emergency.go)
	}
	if m.Campaign != nil {
		campaignapi.Mount(m.API.Routes(mux), m.Campaign) // §5 campaigns (campaign.go)
	}
	// Browsers send Sec-Fetch-Site/Origin; a cross-site unsafe request is
	// refused, which protects every cookie-authenticated form and call.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"error":{"code":"forbidden","message":"cross-origin request refused"}}`+"\n")
	}))
	// Every input's text is checked once, before any handler (internal/httpx/input.go);
	// Open311 "//" paths are served, not redirected.
	return securityHeaders(httpx.Forwarded(m.TrustedProxies, cop.Handler(httpx.CheckInput(m.Log, open311.JoinedPaths(mux), httpx.Door{Prefix: "/open311/", Write: open311.WriteInputError}))))
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin")
		w.Header().Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

// Ready is closed once the server listens; Addr is then set.
func (m *Main) Ready() <-chan struct{} { return m.ready }

// Run serves until ctx ends, then shuts down gracefully and closes the
// database.
func (m *Main) Run(ctx context.Context) error {
	defer m.Store.Close()
	defer m.Live.Close()
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.Addr = ln.Addr().String()
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn)}
	jobs, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Svc.RunSweeper(jobs, m.Sweep)
	}()
	feedDone := make(chan struct{}) // the feed outbox worker (internal/feed)
	go func() { defer close(feedDone); feed.NewWorker(m.Store, m.Log, m.Config.Feed, m.feedBox()).Run(jobs) }()
	defer func() { stopJobs(); <-feedDone }()
	resealDone := make(chan struct{}) // re-encryption after key rotations (reseal.go)
	go func() {
		defer close(resealDone)
		runResealers(jobs, m.DataKey, m.resealers, cmp.Or(m.ResealEvery, defaultResealEvery), cmp.Or(m.ResealPoll, resealPoll), m.Log)
	}()
	defer func() { stopJobs(); <-resealDone }()
	settingsDone := make(chan struct{}) // admin changes made on other instances (issue 12)
	go func() { defer close(settingsDone); m.Svc.WatchSettings(jobs, m.SettingsPoll) }()
	defer func() { stopJobs(); <-settingsDone }()
	meetDone := make(chan struct{}) // overdue meeting actions (internal/community/meeting)
	go func() { defer close(meetDone); m.runMeetingSweeper(jobs) }()
	defer func() { stopJobs(); <-meetDone }()
	if n, ok := m.Intel.(nightly); ok {
		go n.RunNightly(jobs, m.Store, calendar.Shanghai)
	}
	srv.RegisterOnShutdown(m.Live.Close) // ends the live boards' streams
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	close(m.ready)
	m.Log.Info("serving", "addr", m.Addr, "db", m.Store.Dialect)
	select {
	case err := <-errc:
		stopJobs()
		<-done
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	stopJobs()
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// feedBox seals and opens the feed platforms' secrets with the data key.
func (m *Main) feedBox() *feed.Box { return feed.NewBox(m.DataKey, m.FeedLegacyKey) }
