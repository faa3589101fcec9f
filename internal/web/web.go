// Package web is the center's HTML user interface: server-rendered pages
// (html/template) enhanced with htmx, both embedded in the binary. Every
// page goes through the service layer, the same path as the JSON API; this
// package only translates forms to service calls and results to HTML.
//
// One file per page group: auth.go (log in/out), intake.go, queue.go,
// inbox.go, order.go (order page and actions), callback.go, board.go,
// search.go, notify.go, admin.go, dashboard.go (the leaders' dashboards),
// hotspots.go (the hotspot map and clusters), bigscreen.go.
package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"hotline/internal/access"
	"hotline/internal/admin"
	"hotline/internal/api"
	"hotline/internal/apperr"
	"hotline/internal/community/registry"
	"hotline/internal/dashboard"
	"hotline/internal/httpx"
	"hotline/internal/order"
	"hotline/internal/service"
)

//go:embed templates/*.html static/* i18n/*.json
var files embed.FS

// HTMXVersion is the vendored htmx (static/htmx.min.js); see docs/dependencies.md.
const HTMXVersion = "2.0.11"

// LangCookie remembers the language chosen with ?lang=.
const LangCookie = "hotline_lang"

// PageSize is the length of every paged list.
const PageSize = 50

// Web serves the pages. Create it with New.
type Web struct {
	svc     *service.Service
	dash    *dashboard.Service // the dashboards, as the API holds them
	adm     *admin.Service     // settings, users and passwords, as the API holds them
	api     *api.API
	demo    bool
	log     *slog.Logger
	pages   map[string]*template.Template
	catalog map[string]map[string]string
	static  http.Handler
	reg     *registry.Service // the residents' registry, on its pages only (registry.go)
}

// Mount is the app.Config.Web hook: it mounts the pages on mux.
func Mount(mux *http.ServeMux, svc *service.Service, a *api.API, demo bool) {
	w, err := New(svc, a, demo)
	if err != nil {
		panic(err) // the embedded templates are broken: a build defect
	}
	w.Register(mux)
}

// embedded is the pages' templates and the catalogues, parsed from the
// embedded files once per process: they are the same for every Web, and
// executing a template is safe from many goroutines. Parsing them took 0.25 s
// of CPU, once per server — a fifth of the web tests' own CPU (issue 13).
var embedded struct {
	once    sync.Once
	pages   map[string]*template.Template
	catalog map[string]map[string]string
	err     error
}

func parsed() (map[string]*template.Template, map[string]map[string]string, error) {
	embedded.once.Do(func() { embedded.pages, embedded.catalog, embedded.err = parseEmbedded() })
	return embedded.pages, embedded.catalog, embedded.err
}

func parseEmbedded() (map[string]*template.Template, map[string]map[string]string, error) {
	catalog, err := loadCatalog()
	if err != nil {
		return nil, nil, err
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "parts" || base == "dashboard_parts" || base == "registry_parts" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/parts.html", "templates/dashboard_parts.html", "templates/registry_parts.html", n)
		if err != nil {
			return nil, nil, fmt.Errorf("template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, catalog, nil
}

// New makes the pages' handlers, with the embedded templates and
// catalogues (parsed once per process).
func New(svc *service.Service, a *api.API, demo bool) (*Web, error) {
	log := slog.Default()
	var (
		dash *dashboard.Service
		adm  *admin.Service
	)
	if a != nil {
		dash, adm = a.Dash, a.Admin
		if a.Log != nil {
			log = a.Log
		}
	}
	pages, catalog, err := parsed()
	if err != nil {
		return nil, err
	}
	w := &Web{svc: svc, dash: dash, adm: adm, api: a, demo: demo, log: log, pages: pages, catalog: catalog}
	sub, _ := fs.Sub(files, "static")
	fsrv := http.FileServer(http.FS(sub))
	w.static = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Cache-Control", "public, max-age=86400")
		fsrv.ServeHTTP(rw, r)
	})
	return w, nil
}

// Register mounts every page route.
func (w *Web) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/", http.StripPrefix("/static/", w.static))
	mux.HandleFunc("GET /{$}", w.page(nil, w.home))
	w.registerField(mux) // offline field pages (emergency_field.go)
	mux.HandleFunc("/", w.notFound)
	mux.HandleFunc("GET /login", w.loginForm)
	mux.HandleFunc("POST /login", w.login)
	mux.HandleFunc("POST /logout", w.logout)

	desk := []order.Role{order.RoleOperator, order.RoleDispatcher}
	mux.HandleFunc("GET /intake", w.page(desk, w.intakeForm))
	mux.HandleFunc("POST /intake", w.page(desk, w.intakeCreate))
	mux.HandleFunc("GET /intake/assist", w.page(desk, w.intakeAssist))
	mux.HandleFunc("GET /intake/buildings", w.page(desk, w.intakeBuildings))
	mux.HandleFunc("GET /intake/caller", w.page(desk, w.intakeCaller))

	center := []order.Role{order.RoleOperator, order.RoleDispatcher, order.RoleLeader, order.RoleAdmin}
	mux.HandleFunc("GET /queue", w.page(center, w.queue))
	mux.HandleFunc("POST /queue/dispatch", w.page([]order.Role{order.RoleDispatcher}, w.bulkDispatch))
	mux.HandleFunc("GET /inbox", w.page([]order.Role{order.RoleHandler}, w.inbox))

	seers := []order.Role{order.RoleOperator, order.RoleDispatcher, order.RoleLeader, order.RoleAdmin, order.RoleHandler}
	mux.HandleFunc("GET /orders/{id}", w.page(seers, w.orderPage))
	mux.HandleFunc("GET /orders/{id}/photos/{photo}", w.page(seers, w.orderPhoto))
	mux.HandleFunc("GET /orders/{id}/print", w.page(seers, w.orderPrint))
	mux.HandleFunc("POST /orders/{id}/act/{action}", w.page(seers, w.orderAct))
	mux.HandleFunc("GET /orders/{id}/callback", w.page(desk, w.callbackForm))
	mux.HandleFunc("POST /orders/{id}/callback", w.page(desk, w.callbackPost))

	mux.HandleFunc("GET /board", w.page([]order.Role{order.RoleLeader, order.RoleDispatcher, order.RoleAdmin}, w.board))
	mux.HandleFunc("GET /search", w.page(seers, w.search))
	mux.HandleFunc("GET /search/export/{format}", w.page(seers, w.searchExport))
	mux.HandleFunc("GET /notifications", w.page(nil, w.notifications))
	mux.HandleFunc("GET /account/password", w.page(nil, w.accountPassword))
	mux.HandleFunc("POST /account/password", w.page(nil, w.accountPasswordPost))
	mux.HandleFunc("POST /notifications/{id}/read", w.page(nil, w.markRead))

	admin := []order.Role{order.RoleAdmin}
	mux.HandleFunc("GET /admin", w.page(admin, func(rw http.ResponseWriter, r *http.Request, p *Page) {
		http.Redirect(rw, r, "/admin/users", http.StatusSeeOther)
	}))
	mux.HandleFunc("GET /admin/users", w.page(admin, w.adminUsers))
	mux.HandleFunc("POST /admin/users/{username}/password", w.page(admin, w.adminResetPassword))
	mux.HandleFunc("POST /admin/users", w.page(admin, w.adminAddUser))
	mux.HandleFunc("POST /admin/users/{username}/active", w.page(admin, w.adminUserActive))
	mux.HandleFunc("GET /admin/units", w.page(admin, w.adminUnits))
	mux.HandleFunc("POST /admin/units", w.page(admin, w.adminPutUnit))
	mux.HandleFunc("GET /admin/categories", w.page(admin, w.adminCategories))
	mux.HandleFunc("POST /admin/categories", w.page(admin, w.adminPutCategory))
	mux.HandleFunc("GET /admin/policy", w.page(admin, w.adminPolicy))
	mux.HandleFunc("POST /admin/policy", w.page(admin, w.adminPutPolicy))
	mux.HandleFunc("GET /admin/calendar", w.page(admin, w.adminCalendar))
	mux.HandleFunc("POST /admin/calendar/day", w.page(admin, w.adminCalendarDay))
	mux.HandleFunc("POST /admin/calendar/year", w.page(admin, w.adminCalendarYear))
	mux.HandleFunc("GET /admin/models", w.page(admin, w.adminModels))
	mux.HandleFunc("POST /admin/models/retrain", w.page(admin, w.adminRetrain))
	w.registerDashboards(mux)
}

// uploadLimits lifts the 2 MB form limit for the routes (by pattern) that
// take uploads: the registry's spreadsheet import.
var uploadLimits = map[string]int64{}

// Page is what every template gets: the user, the language, the CSRF token
// and the page's own data, plus the form being edited and its errors so
// nothing typed is lost when the server refuses it.
type Page struct {
	w       *Web
	r       *http.Request
	Lang    string
	User    access.User
	Actor   service.Actor
	CSRF    string
	Unread  int
	Nav     string
	Title   string
	Flash   string
	Error   string // a page-level error message, already translated
	Stale   bool   // the order changed under the user
	Form    url.Values
	Errs    map[string]string // field → translated problem
	Open    string            // the action form to show open after an error
	Demo    bool
	Data    any
	Started time.Time
}

// T translates a catalogue key, formatting args into it.
func (p *Page) T(key string, args ...any) string { return p.w.t(p.Lang, key, args...) }

// Val returns a form value typed earlier (or "").
func (p *Page) Val(name string) string {
	if p.Form == nil {
		return ""
	}
	return p.Form.Get(name)
}

// Checked reports whether a checkbox or radio was on in the retained form.
func (p *Page) Checked(name, value string) bool {
	if p.Form == nil {
		return false
	}
	for _, v := range p.Form[name] {
		if v == value {
			return true
		}
	}
	return false
}

// Err returns the translated problem of a field.
func (p *Page) Err(name string) string { return p.Errs[name] }

// Is reports whether the user has one of the roles.
func (p *Page) Is(roles ...string) bool {
	for _, r := range roles {
		if string(p.User.Role) == r {
			return true
		}
	}
	return false
}

// Path is the current path and query, for the language switch.
func (p *Page) Path() string { return p.r.URL.Path }

// LangSwitch is the URL that shows this page in the other language.
func (p *Page) LangSwitch() string {
	q := p.r.URL.Query()
	if p.Lang == "en" {
		q.Set("lang", "zh")
	} else {
		q.Set("lang", "en")
	}
	return p.r.URL.Path + "?" + q.Encode()
}

type handlerFunc func(rw http.ResponseWriter, r *http.Request, p *Page)

// page wraps a handler: panics become an error page, the session is
// checked, the role is checked, unsafe methods need the CSRF token, and
// the Page is prepared.
func (w *Web) page(roles []order.Role, h handlerFunc) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		if w.api != nil { // the pages' requests in /metrics (metrics.go)
			start, sw := time.Now(), &statusWriter{ResponseWriter: rw, code: http.StatusOK}
			rw = sw
			defer func() { w.api.ObservePage(r.Pattern, sw.code, time.Since(start)) }()
		}
		p := w.newPage(rw, r)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				w.log.Error("panic in page", "path", r.URL.Path, "panic", fmt.Sprint(v))
				w.fail(rw, r, p, apperr.New(apperr.Internal, "internal error"))
			}
		}()
		tok := api.Token(r)
		u, err := w.svc.Authenticate(r.Context(), tok)
		if err != nil {
			if r.Header.Get("HX-Request") != "" {
				rw.Header().Set("HX-Redirect", "/login")
				rw.WriteHeader(http.StatusUnauthorized)
				return
			}
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				next = "/"
			}
			http.Redirect(rw, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		p.User, p.Actor, p.CSRF = u, service.ActorOf(u), csrfToken(tok)
		r = r.WithContext(api.WithUser(r.Context(), u))
		p.r = r
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			limit := int64(2 << 20)
			if n, ok := uploadLimits[r.Pattern]; ok {
				limit = n
			}
			r.Body = http.MaxBytesReader(rw, r.Body, limit)
			if err := r.ParseMultipartForm(2 << 20); err != nil && err != http.ErrNotMultipart {
				w.fail(rw, r, p, apperr.New(apperr.Invalid, "bad form: %v", err))
				return
			}
			got := r.PostFormValue("csrf")
			if got == "" {
				got = r.Header.Get("X-CSRF-Token")
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRF)) != 1 {
				w.fail(rw, r, p, apperr.New(apperr.Forbidden, "csrf").Because(apperr.ReasonCSRF))
				return
			}
		}
		if len(roles) > 0 && !roleIn(u.Role, roles) {
			w.fail(rw, r, p, apperr.New(apperr.Forbidden, "role"))
			return
		}
		if d := order.Action(r.URL.Query().Get("done")); order.Known(d) {
			p.Flash = p.T("order.done", p.ActionName(d))
		} else if d == "hotspot_case" {
			p.Flash = p.T("hot.case_done")
		}
		if n, err := w.svc.UnreadCount(r.Context(), p.Actor); err == nil {
			p.Unread = n
		}
		h(rw, r, p)
	}
}

func roleIn(r order.Role, roles []order.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// csrfToken derives the per-session form token from the session token: the
// session token is secret (an HttpOnly cookie), so the derived token is
// too, and every instance behind a load balancer computes the same one.
func csrfToken(session string) string {
	h := sha256.Sum256([]byte("hotline-csrf\x00" + session))
	return hex.EncodeToString(h[:16])
}

func (w *Web) newPage(rw http.ResponseWriter, r *http.Request) *Page {
	lang := "zh"
	if c, err := r.Cookie(LangCookie); err == nil && c.Value == "en" {
		lang = "en"
	}
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
		lang = l
		http.SetCookie(rw, &http.Cookie{Name: LangCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true})
	}
	return &Page{w: w, r: r, Lang: lang, Demo: w.demo, Errs: map[string]string{}, Started: time.Now()}
}

// render writes a whole page.
func (w *Web) render(rw http.ResponseWriter, p *Page, status int, name string) {
	t, ok := w.pages[name]
	if !ok {
		panic("no page template " + name)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		w.log.Error("render", "page", name, "err", err)
		http.Error(rw, "template error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	rw.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	rw.WriteHeader(status)
	fmt.Fprint(rw, b.String())
}

// partial writes one named template of a page (an htmx fragment).
func (w *Web) partial(rw http.ResponseWriter, p *Page, page, name string) {
	var b strings.Builder
	if err := w.pages[page].ExecuteTemplate(&b, name, p); err != nil {
		w.log.Error("render partial", "page", page, "name", name, "err", err)
		http.Error(rw, "template error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(rw, b.String())
}

// errorView is the data of the error page.
type errorView struct {
	Status int
	Code   apperr.Code
	Title  string
	Detail string
}

// fail shows an error page in the user's language with the right status.
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, p *Page, err error) {
	e := apperr.As(err)
	status := apperr.HTTPStatus(e.Code)
	if e.Code == apperr.Internal {
		w.log.Error("page failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p.Title = p.T("err.title." + string(e.Code))
	p.Data = errorView{Status: status, Code: e.Code, Title: p.Title, Detail: w.message(p.Lang, e)}
	w.render(rw, p, status, "error")
}

// applyErr puts a service error on the page: field problems next to their
// fields, anything else as the page's message. It returns the HTTP status.
func (w *Web) applyErr(p *Page, err error) int {
	e := apperr.As(err)
	if e.Code == apperr.Internal {
		w.log.Error("action failed", "path", p.r.URL.Path, "err", err)
	}
	for f := range e.Fields {
		p.Errs[f] = w.problem(p.Lang, e.Problem(f))
	}
	p.Stale = e.Reason == apperr.ReasonStale
	p.Error = w.message(p.Lang, e)
	return apperr.HTTPStatus(e.Code)
}

// home sends each role to its desk.
func (w *Web) home(rw http.ResponseWriter, r *http.Request, p *Page) {
	dest := map[order.Role]string{
		order.RoleOperator: "/intake", order.RoleDispatcher: "/queue", order.RoleHandler: "/inbox",
		order.RoleLeader: "/board", order.RoleAdmin: "/admin/users", order.RoleVolunteer: "/patrol",
	}[p.User.Role]
	if dest == "" {
		p.Title = p.T("home.title")
		w.render(rw, p, http.StatusOK, "home")
		return
	}
	http.Redirect(rw, r, dest, http.StatusSeeOther)
}

// safeReturn accepts only a local path to go back to after an action
// (httpx.LocalPath: no scheme, host, backslash, control or space character).
func safeReturn(s, fallback string) string { return httpx.LocalPath(s, fallback) }

// notFound answers every URL no route claims (the mux's own answer is a
// bare English "404 page not found"): the site's error page in the user's
// language, with the header of a signed-in user so they can go on from it.
// It does not send anyone to the login page: an unknown address is
// unknown whoever asks.
func (w *Web) notFound(rw http.ResponseWriter, r *http.Request) {
	p := w.newPage(rw, r)
	if u, err := w.svc.Authenticate(r.Context(), api.Token(r)); err == nil {
		p.User, p.Actor, p.CSRF = u, service.ActorOf(u), csrfToken(api.Token(r))
	}
	w.fail(rw, r, p, apperr.New(apperr.NotFound, "no page %s", r.URL.Path))
}
