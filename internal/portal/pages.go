package portal

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/service"
)

//go:embed templates/*.html static/*
var assets embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"t": func(lang, key string) string { return tr(lang, key) },
}).ParseFS(assets, "templates/*.html"))

// LangCookie remembers the citizen's language choice.
const LangCookie = "hotline_lang"

func lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
		http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: l, Path: "/portal", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true})
		return l
	}
	if c, err := r.Cookie(LangCookie); err == nil && c.Value == "en" {
		return "en"
	}
	return "zh"
}

func (p *Portal) registerPages(mux *http.ServeMux) {
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /portal/static/", http.StripPrefix("/portal/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /portal/{$}", p.page(p.reportForm))
	mux.HandleFunc("POST /portal/report", p.page(p.reportPost))
	mux.HandleFunc("GET /portal/track", p.page(p.trackPage))
	mux.HandleFunc("GET /portal/t/{token}", p.page(p.trackToken))
	mux.HandleFunc("POST /portal/rate", p.page(p.ratePost))
	mux.HandleFunc("GET /portal", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/portal/", http.StatusFound) })
}

// view is what every page template gets.
type view struct {
	Lang    string
	Switch  string // the same page in the other language
	Title   string
	Form    formData
	Rep     Report
	Errors  map[string]string // field → message in the page's language
	Message string
	Created *Created
	Link    string // the tracking link in full (scheme and host of the request), to save or share
	Order   *orderView
	Number  string
	Phone   string
	Token   string
}

type formData struct {
	Types      []option
	Categories []option
	Compounds  []option
}

type option struct {
	Code, Name, Group string
}

func (p *Portal) formData(ctx context.Context) (formData, error) {
	var d formData
	for _, t := range portalTypes {
		d.Types = append(d.Types, option{Code: string(t), Name: typeWordsZH[t]})
	}
	cats, err := p.Svc.Categories(ctx)
	if err != nil {
		return d, err
	}
	names, parents := map[string]string{}, map[string]bool{}
	for _, c := range cats {
		names[c.Code] = c.Name
		parents[c.Parent] = true
	}
	for _, c := range cats {
		if c.Active && !parents[c.Code] {
			d.Categories = append(d.Categories, option{Code: c.Code, Name: c.Name, Group: names[c.Parent]})
		}
	}
	comps, err := p.Svc.Compounds(ctx, "")
	if err != nil {
		return d, err
	}
	for _, c := range comps {
		d.Compounds = append(d.Compounds, option{Code: c.Code, Name: c.Name})
	}
	return d, nil
}

type pageFunc func(w http.ResponseWriter, r *http.Request, v *view) (string, int)

// page renders a page template; a failure shows a plain error page, never
// a stack or a 500 for bad input.
func (p *Portal) page(fn pageFunc) http.HandlerFunc {
	return p.guard(func(w http.ResponseWriter, r *http.Request) {
		v := &view{Lang: lang(w, r), Errors: map[string]string{}}
		other := "en"
		if v.Lang == "en" {
			other = "zh"
		}
		v.Switch = "/portal/?lang=" + other
		if r.Method == http.MethodGet {
			q := r.URL.Query()
			q.Set("lang", other)
			v.Switch = r.URL.Path + "?" + q.Encode()
		}
		name, status := fn(w, r, v)
		if name == "" {
			return
		}
		var buf bytes.Buffer
		if err := pages.ExecuteTemplate(&buf, name, v); err != nil {
			p.Log.Error("portal template", "page", name, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'")
		w.WriteHeader(status)
		_, _ = buf.WriteTo(w)
	})
}

func (p *Portal) reportForm(w http.ResponseWriter, r *http.Request, v *view) (string, int) {
	d, err := p.formData(r.Context())
	if err != nil {
		v.Message = tr(v.Lang, "err.internal")
		return "error.html", http.StatusInternalServerError
	}
	v.Form, v.Title = d, tr(v.Lang, "report.title")
	v.Rep.Type = string(order.Complaint)
	if r.URL.Query().Get("praise") != "" {
		v.Rep.Type = string(order.Praise)
	}
	return "report.html", 200
}

func (p *Portal) reportPost(w http.ResponseWriter, r *http.Request, v *view) (string, int) {
	d, _ := p.formData(r.Context())
	v.Form, v.Title = d, tr(v.Lang, "report.title")
	var rep Report
	if err := readForm(r, &rep); err != nil {
		p.fieldErrors(v, err)
		v.Rep = rep
		return "report.html", apperr.HTTPStatus(apperr.CodeOf(err))
	}
	v.Rep = rep
	c, wait, err := p.submit(r.Context(), clientAddr(r), &rep)
	switch {
	case err != nil:
		p.fieldErrors(v, err)
		if apperr.CodeOf(err) == apperr.Internal {
			p.Log.Error("portal report failed", "err", err)
		}
		return "report.html", apperr.HTTPStatus(apperr.CodeOf(err))
	case wait > 0:
		v.Message = tr(v.Lang, "err.too_many") + " " + waitWords(v.Lang, wait)
		return "report.html", http.StatusTooManyRequests
	}
	v.Created, v.Title = &c, tr(v.Lang, "done.title")
	v.Link = absoluteURL(r, c.TrackingURL)
	return "done.html", http.StatusCreated
}

// absoluteURL makes a path of this site a full URL for the citizen to save:
// a bare "/portal/t/…" is no use in a notes app or a message. The host is
// the request's own (what the citizen's browser asked for).
func absoluteURL(r *http.Request, path string) string {
	if !strings.HasPrefix(path, "/") || r.Host == "" {
		return path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// fieldErrors puts an error's fields on the page in the page's language.
func (p *Portal) fieldErrors(v *view, err error) {
	e := apperr.As(err)
	for k := range e.Fields {
		msg := tr(v.Lang, "field."+k)
		if msg == "field."+k {
			msg = e.Fields[k]
		}
		v.Errors[k] = msg
	}
	switch {
	case e.Code == apperr.Internal:
		v.Message = tr(v.Lang, "err.internal")
	case e.Code == apperr.TooLarge:
		v.Message = tr(v.Lang, "field.photo")
	case len(e.Fields) == 0:
		v.Message = tr(v.Lang, "err.refused")
	default:
		v.Message = tr(v.Lang, "err.fix")
	}
}

func waitWords(l string, d time.Duration) string {
	m := int(d.Minutes() + 0.999)
	if l == "en" {
		return "Please try again in " + itoa(m) + " minutes."
	}
	return "请 " + itoa(m) + " 分钟后再试。"
}

func itoa(n int) string { return strconv.Itoa(max(n, 1)) }

// orderView is an order on the tracking page.
type orderView struct {
	Number     string
	TypeText   string
	Status     string
	StatusText string
	Category   string
	Unit       string
	Created    string
	Due        string
	Closed     string
	Praised    string
	Timeline   []noteView
	Replies    []noteView
	Rating     *ratingView
	CanRate    bool
	Final      bool
}

type noteView struct{ At, Summary, Text string }

type ratingView struct{ Outcome, Resolved, Comment, State string }

func (p *Portal) orderView(l string, o service.PublicOrder) *orderView {
	ov := &orderView{Number: o.Number, TypeText: tr(l, "type."+string(o.Type)), Status: string(o.Status), StatusText: StatusText(o.Status, l),
		Created: shanghai(o.CreatedAt), CanRate: o.CanRate, Praised: o.Praised, Final: !o.Status.Open()}
	if c, ok := p.Svc.Category(o.Category); ok {
		ov.Category = c.Name
		if l == "en" && c.NameEN != "" {
			ov.Category = c.NameEN
		}
	}
	if o.Unit != "" {
		ov.Unit = p.Svc.UnitName(o.Unit)
	}
	if o.Due != nil && o.Status.Open() {
		ov.Due = shanghai(*o.Due)
	}
	if o.ClosedAt != nil {
		ov.Closed = shanghai(*o.ClosedAt)
	}
	pick := func(s string) string {
		zh, en, ok := strings.Cut(s, " ")
		if !ok {
			return s
		}
		if l == "en" {
			return en
		}
		return zh
	}
	for _, n := range o.Timeline {
		ov.Timeline = append(ov.Timeline, noteView{At: shanghai(n.At), Summary: pick(n.Summary), Text: n.Description})
	}
	for _, n := range o.Replies {
		ov.Replies = append(ov.Replies, noteView{At: shanghai(n.At), Summary: pick(n.Summary), Text: n.Description})
	}
	if o.Rating != nil {
		res := tr(l, "rate.unresolved")
		if o.Rating.Resolved {
			res = tr(l, "rate.resolved")
		}
		ov.Rating = &ratingView{Outcome: tr(l, "outcome."+o.Rating.Outcome), Resolved: res, Comment: o.Rating.Comment, State: tr(l, "rating."+o.Rating.State)}
	}
	return ov
}

func (p *Portal) trackPage(w http.ResponseWriter, r *http.Request, v *view) (string, int) {
	v.Title = tr(v.Lang, "track.title")
	q := r.URL.Query()
	v.Number, v.Phone = strings.TrimSpace(q.Get("number")), strings.TrimSpace(q.Get("phone"))
	if v.Number == "" && v.Phone == "" {
		return "track.html", 200
	}
	return p.showOrder(r, v, service.PublicAuth{Last4: v.Phone})
}

func (p *Portal) trackToken(w http.ResponseWriter, r *http.Request, v *view) (string, int) {
	v.Title = tr(v.Lang, "track.title")
	v.Token = r.PathValue("token")
	return p.showOrder(r, v, service.PublicAuth{Token: v.Token})
}

func (p *Portal) showOrder(r *http.Request, v *view, pa service.PublicAuth) (string, int) {
	o, wait, err := p.lookup(r.Context(), clientAddr(r), v.Number, pa, nil)
	return p.orderResult(v, o, wait, err)
}

func (p *Portal) orderResult(v *view, o service.PublicOrder, wait time.Duration, err error) (string, int) {
	switch {
	case wait > 0:
		v.Message = tr(v.Lang, "err.too_many_lookups") + " " + waitWords(v.Lang, wait)
		return "track.html", http.StatusTooManyRequests
	case apperr.Is(err, apperr.NotFound):
		v.Message = tr(v.Lang, "err.not_found")
		return "track.html", http.StatusNotFound
	case apperr.Is(err, apperr.Invalid):
		v.Message = tr(v.Lang, "err.last4")
		return "track.html", http.StatusBadRequest
	case apperr.Is(err, apperr.Conflict):
		v.Message = tr(v.Lang, "err.rate_conflict")
		return "track.html", http.StatusConflict
	case err != nil:
		p.Log.Error("portal tracking failed", "err", err)
		v.Message = tr(v.Lang, "err.internal")
		return "track.html", http.StatusInternalServerError
	}
	v.Number = o.Number
	v.Order = p.orderView(v.Lang, o)
	return "order.html", 200
}

func (p *Portal) ratePost(w http.ResponseWriter, r *http.Request, v *view) (string, int) {
	v.Title = tr(v.Lang, "track.title")
	if err := r.ParseForm(); err != nil {
		v.Message = tr(v.Lang, "err.refused")
		return "track.html", http.StatusBadRequest
	}
	v.Number, v.Phone, v.Token = r.PostFormValue("number"), r.PostFormValue("phone"), r.PostFormValue("token")
	pa := service.PublicAuth{Token: v.Token, Last4: v.Phone}
	outcome, resolved, comment := r.PostFormValue("outcome"), r.PostFormValue("resolved") == "yes", r.PostFormValue("comment")
	o, wait, err := p.lookup(r.Context(), clientAddr(r), v.Number, pa, func() (service.PublicOrder, error) {
		return p.Svc.RatePublic(r.Context(), v.Number, pa, outcome, resolved, comment)
	})
	fieldsWrong := apperr.Is(err, apperr.Invalid) && len(apperr.As(err).Fields) > 0 && apperr.As(err).Fields["phone"] == ""
	if fieldsWrong || apperr.Is(err, apperr.Conflict) {
		// The order is right, the rating is not possible or not complete:
		// show the order again with why.
		status := apperr.HTTPStatus(apperr.CodeOf(err))
		msg := tr(v.Lang, "err.rate_fields")
		if !fieldsWrong {
			msg = tr(v.Lang, "err.rate_conflict")
		}
		if o2, _, err2 := p.lookup(r.Context(), clientAddr(r), v.Number, pa, nil); err2 == nil {
			name, _ := p.orderResult(v, o2, 0, nil)
			v.Message = msg
			return name, status
		}
	}
	name, status := p.orderResult(v, o, wait, err)
	if err == nil {
		v.Message = tr(v.Lang, "rate.thanks")
	}
	return name, status
}
