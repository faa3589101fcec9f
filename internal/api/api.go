// Package api is the JSON HTTP API of api.md. Handlers translate HTTP to
// service calls and back; they never build SQL or decide workflow rules.
package api

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hotline/internal/access"
	"hotline/internal/admin"
	"hotline/internal/apperr"
	"hotline/internal/dashboard"
	"hotline/internal/httpx"
	"hotline/internal/service"
)

// SessionCookie is the name of the browser's session cookie.
const SessionCookie = httpx.SessionCookie

// MaxBody is the largest request body the JSON API reads.
const MaxBody = 1 << 20

// API holds what the handlers need.
type API struct {
	Svc *service.Service
	// Dash serves the dashboards and statistics (internal/dashboard).
	Dash *dashboard.Service
	// Admin serves the settings, users and passwords (internal/admin).
	Admin *admin.Service
	Log   *slog.Logger
	// SecureCookies marks the session cookie Secure (behind HTTPS).
	SecureCookies bool
	// OrderMeetings, when set, lists the meetings linked to an order for
	// GET /api/v1/orders/{id} (the meetings module; the order was already
	// shown to the caller).
	OrderMeetings func(ctx context.Context, orderID string) (any, error)

	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New builds the API and its metrics registry.
func New(svc *service.Service, dash *dashboard.Service, adm *admin.Service, log *slog.Logger) *API {
	a := &API{Svc: svc, Dash: dash, Admin: adm, Log: log, registry: prometheus.NewRegistry()}
	a.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_http_requests_total", Help: "HTTP requests by route and status class."}, []string{"route", "code"})
	a.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hotline_http_request_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"})
	a.registry.MustRegister(a.requests, a.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if svc != nil {
		a.registerBusiness(svc) // metrics_business.go
	}
	return a
}

// Registry lets other packages add their metrics.
func (a *API) Registry() *prometheus.Registry { return a.registry }

// Register mounts the API routes on mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /api/openapi.json", serveOpenAPI)

	mux.Handle("POST /api/v1/session", a.route("session", a.login))
	mux.Handle("DELETE /api/v1/session", a.route("session", a.authed(a.logout)))
	mux.Handle("GET /api/v1/session", a.route("session", a.authed(a.me)))

	mux.Handle("POST /api/v1/orders", a.route("orders.create", a.authed(a.createOrder)))
	mux.Handle("GET /api/v1/orders", a.route("orders.list", a.authed(a.listOrders)))
	mux.Handle("GET /api/v1/orders/{id}", a.route("orders.get", a.authed(a.getOrder)))
	mux.Handle("POST /api/v1/orders/{id}/{action}", a.route("orders.action", a.authed(a.act)))

	mux.Handle("POST /api/v1/classify", a.route("classify", a.authed(a.classify)))
	mux.Handle("GET /api/v1/stats/summary", a.route("stats.summary", a.authed(a.statsSummary)))
	mux.Handle("GET /api/v1/stats/units", a.route("stats.units", a.authed(a.statsUnits)))
	a.registerDashboard(mux)

	mux.Handle("GET /api/v1/notifications", a.route("notifications", a.authed(a.notifications)))
	mux.Handle("POST /api/v1/notifications/{id}/read", a.route("notifications", a.authed(a.markRead)))

	mux.Handle("GET /api/v1/units", a.route("directory", a.authed(a.units)))
	mux.Handle("PUT /api/v1/units/{code}", a.route("admin", a.authed(a.putUnit)))
	mux.Handle("GET /api/v1/categories", a.route("directory", a.authed(a.categories)))
	mux.Handle("PUT /api/v1/categories/{code}", a.route("admin", a.authed(a.putCategory)))
	mux.Handle("GET /api/v1/compounds", a.route("directory", a.authed(a.compounds)))
	mux.Handle("GET /api/v1/users", a.route("admin", a.authed(a.users)))
	mux.Handle("POST /api/v1/users", a.route("admin", a.authed(a.addUser)))
	mux.Handle("POST /api/v1/users/{username}/password", a.route("admin", a.authed(a.resetPassword))) // passwords.go
	mux.Handle("POST /api/v1/session/password", a.route("session", a.authed(a.changePassword)))       // passwords.go
	mux.Handle("GET /api/v1/audit", a.route("admin", a.authed(a.auditLog)))
	mux.Handle("GET /api/v1/policy", a.route("admin", a.authed(a.getPolicy)))
	mux.Handle("PUT /api/v1/policy", a.route("admin", a.authed(a.putPolicy)))
	mux.Handle("GET /api/v1/calendar/{year}", a.route("admin", a.authed(a.calendarYear)))
	mux.Handle("PUT /api/v1/calendar/days/{date}", a.route("admin", a.authed(a.putCalendarDay)))
	mux.Handle("POST /api/v1/calendar/years", a.route("admin", a.authed(a.loadCalendarYear)))

	a.registerInsight(mux)

	mux.Handle("/api/", a.route("unknown", func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, apperr.New(apperr.NotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	}))
}

func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.Svc.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
		return
	}
	writeJSON(w, 200, map[string]string{"status": "ready"})
}

// statusWriter remembers the status for metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

// Unwrap lets http.ResponseController reach the connection (flush and
// per-stream deadlines for server-sent events).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// route wraps a handler with metrics, a body limit and panic recovery: a
// panic becomes a 500 in the contract's shape, logged, never a dropped
// connection.
func (a *API) route(name string, h http.HandlerFunc) http.Handler {
	return a.routeLimit(name, MaxBody, h)
}

// routeLimit is route with a body limit of its own (httpx.MaxBody).
func (a *API) routeLimit(name string, limit int64, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: 200}
		r.Body = http.MaxBytesReader(sw, r.Body, limit)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				a.Log.Error("panic in handler", "route", name, "panic", fmt.Sprint(p))
				a.fail(sw, r, apperr.New(apperr.Internal, "internal error"))
			}
			a.requests.WithLabelValues(name, fmt.Sprintf("%dxx", sw.code/100)).Inc()
			a.latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
		}()
		h(sw, r)
	})
}

// UserFrom returns the logged-in user of a request.
func UserFrom(ctx context.Context) (access.User, bool) { return httpx.UserFrom(ctx) }

// WithUser stores the user in a context (the web pages share the session).
func WithUser(ctx context.Context, u access.User) context.Context { return httpx.WithUser(ctx, u) }

// Token returns the bearer token or the session cookie of a request.
func Token(r *http.Request) string { return httpx.Token(r) }

// Routes gives other packages (the community modules) the API's wrapping
// for their routes on mux: authentication, metrics, body limit, recovery.
func (a *API) Routes(mux *http.ServeMux) httpx.Routes { return routes{a: a, mux: mux} }

type routes struct {
	a   *API
	mux *http.ServeMux
}

func (rt routes) Authed(pattern, name string, h httpx.HandlerFunc, opts ...httpx.RouteOption) {
	limit := cmp.Or(httpx.ConfigOf(opts).MaxBody, MaxBody)
	rt.mux.Handle(pattern, rt.a.routeLimit(name, limit, rt.a.authed(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			rt.a.fail(w, r, err)
		}
	})))
}

func (a *API) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := a.Svc.Authenticate(r.Context(), Token(r))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		h(w, r.WithContext(WithUser(r.Context(), u)))
	}
}

func actor(r *http.Request) service.Actor {
	u, _ := UserFrom(r.Context())
	return service.ActorOf(u)
}

// fail writes an error in the contract's shape. Internal causes are logged,
// never sent.
// A throttled login's Retry-After comes from the error itself
// (apperr.Error.RetryAfter, written by httpx.WriteError).
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, a.Log, err)
}

// WriteJSON writes v as the API's JSON answer (other HTTP doors use it too).
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }

// decode reads a JSON body into v, turning every way it can be wrong into
// an Invalid (or TooLarge) error that names the field.
func decode(r *http.Request, v any) error { return DecodeJSON(r.Body, v) }

// DecodeJSON reads exactly one JSON object into v (httpx.DecodeJSON).
func DecodeJSON(r io.Reader, v any) error { return httpx.DecodeJSON(r, v) }

// clientKey identifies a client for throttling: its address without port,
// through the trusted proxies (httpx.ClientAddr).
func clientKey(r *http.Request) string { return httpx.ClientAddr(r) }
