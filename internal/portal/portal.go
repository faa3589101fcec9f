// Package portal is the citizen's side: a mobile-first web form to report
// a problem (or praise someone), a tracking page by order number plus the
// last 4 digits of the phone or by a private link, and a satisfaction
// rating that feeds the callback (回访); plus the public JSON API of api.md
// (/api/v1/public/…) and two staff-only calls for what citizens attached
// (photos, ratings). No login; abuse is held off by per-address and
// per-phone rate limits, a honeypot field and size limits.
package portal

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hotline/internal/api"
	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/httpx"
	"hotline/internal/order"
	"hotline/internal/place"
	"hotline/internal/service"
)

// Limits of a citizen's report.
const (
	MaxDescription = 2000 // characters
	MaxPraised     = 100
	MaxBody        = 8 << 20 // a 5 MB photo in base64 or multipart, plus the text
)

// Portal serves the citizen pages and the public API.
type Portal struct {
	Svc *service.Service
	Log *slog.Logger

	// Rate limits (per instance): reports per client address and per phone,
	// failed look-ups (wrong number or phone) per address.
	PerAddress *Limiter
	PerPhone   *Limiter
	Lookups    *Limiter
}

// New returns a portal with the default limits: 10 reports per address
// (one more every 6 minutes), 3 per phone (one more every 20 minutes), 20
// failed look-ups per address (one more a minute).
func New(svc *service.Service) *Portal {
	return &Portal{Svc: svc, Log: svc.Log,
		PerAddress: NewLimiter(10, 6*time.Minute), PerPhone: NewLimiter(3, 20*time.Minute), Lookups: NewLimiter(20, time.Minute)}
}

// Mount registers the portal's pages and API on mux. a is the staff API,
// whose sessions the staff-only calls share.
func Mount(mux *http.ServeMux, svc *service.Service, a *api.API) {
	p := New(svc)
	_ = a
	p.Register(mux)
}

// Register adds the routes.
func (p *Portal) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/public/orders", p.guard(p.apiCreate))
	mux.HandleFunc("GET /api/v1/public/orders/{number}", p.guard(p.apiTrack))
	mux.HandleFunc("POST /api/v1/public/orders/{number}/rating", p.guard(p.apiRate))
	mux.HandleFunc("GET /api/v1/public/meta", p.guard(p.apiMeta))
	mux.HandleFunc("GET /api/v1/orders/{id}/citizen", p.guard(p.staffCitizen))
	mux.HandleFunc("GET /api/v1/orders/{id}/photos/{photo}", p.guard(p.staffPhoto))
	p.registerPages(mux)
}

// guard limits the body and turns a panic into a 500 in the contract's
// shape.
func (p *Portal) guard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				p.Log.Error("panic in portal", "path", r.URL.Path, "panic", fmt.Sprint(v))
				fail(w, p.Log, r, apperr.New(apperr.Internal, "internal error"))
			}
		}()
		h(w, r)
	}
}

// fail writes the contract's error shape.
func fail(w http.ResponseWriter, log *slog.Logger, r *http.Request, err error) {
	e := apperr.As(err)
	status := apperr.HTTPStatus(e.Code)
	msg := e.Message
	if e.Code == apperr.Internal {
		log.Error("portal request failed", "path", r.URL.Path, "err", err)
		msg = "internal error; it has been logged"
	}
	body := map[string]any{"code": e.Code, "message": msg}
	if len(e.Fields) > 0 {
		body["fields"] = e.Fields
	}
	writeJSON(w, status, map[string]any{"error": body})
}

// tooMany answers a rate-limited call: HTTP 429 with Retry-After, in the
// contract's error shape (code "forbidden", the contract has no own code).
func tooMany(w http.ResponseWriter, wait time.Duration, what string) {
	secs := int(wait.Seconds() + 0.999)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": map[string]any{"code": apperr.Forbidden,
		"message": fmt.Sprintf("too many %s; try again in %d seconds", what, secs)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// clientAddr is the client's address without the port. X-Forwarded-For is
// believed only from the proxies configured as trusted (httpx.Forwarded);
// without one, every client behind a proxy shares the proxy's budget.
func clientAddr(r *http.Request) string { return httpx.ClientAddr(r) }

// Report is a citizen's report, from the JSON API or the form.
type Report struct {
	Type         string `json:"type"`
	Category     string `json:"category"`
	Description  string `json:"description"`
	Compound     string `json:"compound"`
	Building     string `json:"building"`
	Address      string `json:"address"`
	Name         string `json:"name"`
	Phone        string `json:"phone"`
	Confidential bool   `json:"confidential"`
	Anonymous    bool   `json:"anonymous"`
	Praised      string `json:"praised"`
	Photo        string `json:"photo"`   // base64 (JSON API)
	Website      string `json:"website"` // the honeypot: people leave it empty

	photoBytes []byte
}

// portalTypes are the types a citizen may choose.
var portalTypes = []order.Type{order.Complaint, order.Help, order.Consultation, order.Suggestion, order.Report, order.Praise}

var typeWordsZH = map[order.Type]string{order.Complaint: "投诉", order.Help: "求助", order.Consultation: "咨询",
	order.Suggestion: "建议", order.Report: "举报", order.Praise: "表扬"}

// build checks a report and turns it into a new order and its photos.
// Field messages are English codes for the API; the pages translate them.
func (p *Portal) build(rep *Report) (order.NewOrder, order.PublicMeta, []order.Photo, error) {
	f := apperr.Fields{}
	if strings.TrimSpace(rep.Website) != "" {
		return order.NewOrder{}, order.PublicMeta{}, nil, apperr.New(apperr.Invalid, "report refused")
	}
	typ := order.Type(strings.TrimSpace(rep.Type))
	if typ == "" {
		typ = order.Complaint
	}
	if !slices.Contains(portalTypes, typ) {
		f.Add("type", "must be one of complaint, help, consultation, suggestion, report, praise")
	}
	desc := strings.TrimSpace(rep.Description)
	switch {
	case desc == "":
		f.Add("description", "required")
	case utf8.RuneCountInString(desc) > MaxDescription:
		f.Add("description", fmt.Sprintf("too long: at most %d characters", MaxDescription))
	case !utf8.ValidString(desc) || strings.ContainsRune(desc, 0):
		f.Add("description", "not valid text")
	}
	if rep.Category != "" {
		if c, ok := p.Svc.Category(rep.Category); !ok || !c.Active {
			f.Add("category", "unknown category")
		}
	}
	praised := strings.TrimSpace(rep.Praised)
	if typ == order.Praise && praised == "" {
		f.Add("praised", "required for a praise: the unit or person you praise")
	}
	if utf8.RuneCountInString(praised) > MaxPraised {
		f.Add("praised", fmt.Sprintf("too long: at most %d characters", MaxPraised))
	}
	if rep.Compound != "" && !p.compoundKnown(rep.Compound) {
		f.Add("compound", "unknown compound")
	}
	if rep.Compound == "" && strings.TrimSpace(rep.Address) == "" {
		f.Add("address", "required: pick a compound or type the place")
	}
	phone := strings.ReplaceAll(strings.TrimSpace(rep.Phone), " ", "")
	name := strings.TrimSpace(rep.Name)
	if rep.Anonymous {
		phone, name = "", ""
	} else if phone == "" {
		f.Add("phone", "required (or report anonymously)")
	} else if !mobileOK(phone) {
		f.Add("phone", "not a phone number")
	}
	if utf8.RuneCountInString(name) > 50 {
		f.Add("name", "too long: at most 50 characters")
	}
	var photos []order.Photo
	if len(rep.photoBytes) > 0 {
		ph, err := ProcessPhoto(rep.photoBytes)
		if err != nil {
			e := apperr.As(err)
			if e.Code == apperr.TooLarge {
				return order.NewOrder{}, order.PublicMeta{}, nil, err
			}
			for k, v := range e.Fields {
				f.Add(k, v)
			}
		} else {
			photos = append(photos, ph)
		}
	}
	if err := f.Err(); err != nil {
		return order.NewOrder{}, order.PublicMeta{}, nil, err
	}
	if typ == order.Praise {
		desc = "表扬对象 Praised: " + praised + "\n" + desc
		if rep.Category == "" {
			if c, ok := p.Svc.Category("community.praise"); ok && c.Active {
				rep.Category = c.Code
			}
		}
	}
	title := typeWordsZH[typ] + "：" + clipRunes(strings.Join(strings.Fields(strings.TrimSpace(rep.Description)), " "), 30)
	in := order.NewOrder{Type: typ, Title: title, Description: desc, Category: rep.Category, Address: strings.TrimSpace(rep.Address),
		Compound: rep.Compound, Building: strings.TrimSpace(rep.Building)}
	if phone != "" || name != "" || rep.Confidential || rep.Anonymous {
		in.Caller = &order.Caller{Name: name, Phone: phone, Confidential: rep.Confidential, Anonymous: rep.Anonymous}
	}
	return in, order.PublicMeta{Praised: praised}, photos, nil
}

func (p *Portal) compoundKnown(code string) bool {
	comps, err := p.Svc.Compounds(context.Background(), "")
	if err != nil {
		return true // the domain checks it again
	}
	return slices.ContainsFunc(comps, func(c place.OrderCompound) bool { return c.Code == code })
}

// mobileOK accepts a mainland mobile or a landline with its area code.
func mobileOK(p string) bool {
	p = strings.TrimPrefix(strings.TrimPrefix(p, "+86"), "0086")
	p = strings.ReplaceAll(p, "-", "")
	if len(p) < 7 || len(p) > 12 {
		return false
	}
	for _, r := range p {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Created is the answer to a report.
type Created struct {
	Number        string `json:"number"`
	Status        string `json:"status"`
	TrackingToken string `json:"tracking_token"`
	TrackingURL   string `json:"tracking_url"`
}

// submit rate-limits and creates a report.
func (p *Portal) submit(ctx context.Context, addr string, rep *Report) (Created, time.Duration, error) {
	in, meta, photos, err := p.build(rep)
	if err != nil {
		return Created{}, 0, err
	}
	// Both budgets must have a token before either is spent.
	phone := ""
	if in.Caller != nil {
		phone = onlyDigits(in.Caller.Phone)
	}
	if ok, wait := p.PerAddress.Peek(addr); !ok {
		return Created{}, wait, nil
	}
	if phone != "" {
		if ok, wait := p.PerPhone.Peek(phone); !ok {
			return Created{}, wait, nil
		}
		p.PerPhone.Allow(phone)
	}
	p.PerAddress.Allow(addr)
	c, err := p.Svc.CreatePublic(ctx, order.SourceWeb, in, meta, photos)
	if err != nil {
		return Created{}, 0, err
	}
	return Created{Number: c.Order.Number, Status: string(c.Order.Status), TrackingToken: c.TrackingToken,
		TrackingURL: "/portal/t/" + c.TrackingToken}, 0, nil
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (p *Portal) apiCreate(w http.ResponseWriter, r *http.Request) {
	var rep Report
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/form-data") || strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		if err := readForm(r, &rep); err != nil {
			fail(w, p.Log, r, err)
			return
		}
	} else {
		if err := decodeJSON(r, &rep); err != nil {
			fail(w, p.Log, r, err)
			return
		}
		if rep.Photo != "" {
			data, err := base64.StdEncoding.DecodeString(rep.Photo)
			if err != nil {
				fail(w, p.Log, r, apperr.Field("photo", "must be base64 (standard encoding)"))
				return
			}
			rep.photoBytes = data
		}
	}
	c, wait, err := p.submit(r.Context(), clientAddr(r), &rep)
	switch {
	case err != nil:
		fail(w, p.Log, r, err)
	case wait > 0:
		tooMany(w, wait, "reports")
	default:
		writeJSON(w, http.StatusCreated, c)
	}
}

// readForm reads a form (multipart with an optional photo file).
func readForm(r *http.Request, rep *Report) error {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(1 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &apperr.Error{Code: apperr.TooLarge, Message: "request body too large", Fields: map[string]string{"photo": "at most 5 MB"}}
		}
		return apperr.Field("body", "malformed form")
	}
	v := func(k string) string { return r.FormValue(k) }
	on := func(k string) bool { x := v(k); return x == "on" || x == "true" || x == "1" }
	*rep = Report{Type: v("type"), Category: v("category"), Description: v("description"), Compound: v("compound"),
		Building: v("building"), Address: v("address"), Name: v("name"), Phone: v("phone"), Confidential: on("confidential"),
		Anonymous: on("anonymous"), Praised: v("praised"), Website: v("website")}
	if r.MultipartForm != nil {
		if fh := r.MultipartForm.File["photo"]; len(fh) > 0 && fh[0].Size > 0 {
			if fh[0].Size > MaxPhotoBytes {
				return &apperr.Error{Code: apperr.TooLarge, Message: "photo over 5 MB", Fields: map[string]string{"photo": "at most 5 MB"}}
			}
			f, err := fh[0].Open()
			if err != nil {
				return apperr.Field("photo", "could not be read")
			}
			defer f.Close()
			data, err := io.ReadAll(io.LimitReader(f, MaxPhotoBytes+1))
			if err != nil {
				return apperr.Field("photo", "could not be read")
			}
			rep.photoBytes = data
		}
	}
	return nil
}

// decodeJSON reads the report's JSON body the one way every JSON door does
// (httpx.DecodeJSON: field-named errors, NUL bytes and invalid UTF-8 refused).
func decodeJSON(r *http.Request, v any) error { return httpx.DecodeJSON(r.Body, v) }

// PublicJSON is an order as its citizen sees it over the JSON API.
type PublicJSON struct {
	Number     string      `json:"number"`
	Type       string      `json:"type"`
	Status     string      `json:"status"`
	StatusText string      `json:"status_text"`
	Category   *string     `json:"category"`
	Unit       *string     `json:"unit"`
	CreatedAt  string      `json:"created_at"`
	UpdatedAt  string      `json:"updated_at"`
	Due        *string     `json:"due"`
	ClosedAt   *string     `json:"closed_at"`
	Replies    []ReplyJSON `json:"replies"`
	Timeline   []ReplyJSON `json:"timeline"`
	Rating     *RatingJSON `json:"rating"`
	CanRate    bool        `json:"can_rate"`
}

// ReplyJSON is a public reply or timeline entry.
type ReplyJSON struct {
	At      string `json:"at"`
	Summary string `json:"summary"`
	Text    string `json:"text,omitempty"`
}

// RatingJSON is a citizen's rating.
type RatingJSON struct {
	Outcome  string `json:"outcome"`
	Resolved bool   `json:"resolved"`
	Comment  string `json:"comment,omitempty"`
	At       string `json:"at"`
	State    string `json:"state"` // pending (kept until the reply is approved), applied (the callback), superseded
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func rfcPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := rfc(*t)
	return &s
}

func (p *Portal) toJSON(o service.PublicOrder) PublicJSON {
	j := PublicJSON{Number: o.Number, Type: string(o.Type), Status: string(o.Status), StatusText: StatusText(o.Status, "en"),
		CreatedAt: rfc(o.CreatedAt), UpdatedAt: rfc(o.UpdatedAt), Due: rfcPtr(o.Due), ClosedAt: rfcPtr(o.ClosedAt), CanRate: o.CanRate,
		Replies: []ReplyJSON{}, Timeline: []ReplyJSON{}}
	if o.Category != "" {
		c := o.Category
		j.Category = &c
	}
	if o.Unit != "" {
		u := p.Svc.UnitName(o.Unit)
		j.Unit = &u
	}
	for _, n := range o.Replies {
		j.Replies = append(j.Replies, ReplyJSON{At: rfc(n.At), Summary: n.Summary, Text: n.Description})
	}
	for _, n := range o.Timeline {
		j.Timeline = append(j.Timeline, ReplyJSON{At: rfc(n.At), Summary: n.Summary, Text: n.Description})
	}
	if o.Rating != nil {
		j.Rating = &RatingJSON{Outcome: o.Rating.Outcome, Resolved: o.Rating.Resolved, Comment: o.Rating.Comment, At: rfc(o.Rating.At), State: o.Rating.State}
	}
	return j
}

// lookup finds the citizen's order, counting failures against the address.
func (p *Portal) lookup(ctx context.Context, addr, number string, pa service.PublicAuth, rate func() (service.PublicOrder, error)) (service.PublicOrder, time.Duration, error) {
	if ok, wait := p.Lookups.Peek(addr); !ok {
		return service.PublicOrder{}, wait, nil
	}
	var o service.PublicOrder
	var err error
	if rate != nil {
		o, err = rate()
	} else {
		o, err = p.Svc.TrackPublic(ctx, number, pa)
	}
	if apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Invalid) {
		p.Lookups.Allow(addr)
	}
	return o, 0, err
}

func (p *Portal) apiTrack(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	number := r.PathValue("number")
	pa := service.PublicAuth{Token: q.Get("token"), Last4: q.Get("phone")}
	o, wait, err := p.lookup(r.Context(), clientAddr(r), number, pa, nil)
	switch {
	case wait > 0:
		tooMany(w, wait, "failed look-ups")
	case err != nil:
		fail(w, p.Log, r, err)
	default:
		writeJSON(w, 200, p.toJSON(o))
	}
}

// RatingIn is the body of a rating.
type RatingIn struct {
	Token    string `json:"token"`
	Phone    string `json:"phone"` // last 4 digits
	Outcome  string `json:"outcome"`
	Resolved *bool  `json:"resolved"`
	Comment  string `json:"comment"`
}

func (p *Portal) apiRate(w http.ResponseWriter, r *http.Request) {
	var in RatingIn
	if err := decodeJSON(r, &in); err != nil {
		fail(w, p.Log, r, err)
		return
	}
	number := r.PathValue("number")
	if in.Resolved == nil {
		fail(w, p.Log, r, apperr.Field("resolved", "required: true or false"))
		return
	}
	pa := service.PublicAuth{Token: in.Token, Last4: in.Phone}
	o, wait, err := p.lookup(r.Context(), clientAddr(r), number, pa, func() (service.PublicOrder, error) {
		return p.Svc.RatePublic(r.Context(), number, pa, in.Outcome, *in.Resolved, in.Comment)
	})
	switch {
	case wait > 0:
		tooMany(w, wait, "failed look-ups")
	case err != nil:
		fail(w, p.Log, r, err)
	default:
		writeJSON(w, 200, p.toJSON(o))
	}
}

// apiMeta lists what the form offers: types, categories, compounds.
func (p *Portal) apiMeta(w http.ResponseWriter, r *http.Request) {
	d, err := p.formData(r.Context())
	if err != nil {
		fail(w, p.Log, r, err)
		return
	}
	type item struct {
		Code  string `json:"code"`
		Name  string `json:"name"`
		Group string `json:"group,omitempty"`
	}
	out := map[string][]item{"types": {}, "categories": {}, "compounds": {}}
	for _, t := range portalTypes {
		out["types"] = append(out["types"], item{Code: string(t), Name: typeWordsZH[t]})
	}
	for _, c := range d.Categories {
		out["categories"] = append(out["categories"], item(c))
	}
	for _, c := range d.Compounds {
		out["compounds"] = append(out["compounds"], item{Code: c.Code, Name: c.Name})
	}
	writeJSON(w, 200, out)
}

// staff returns the logged-in staff member of a request.
func (p *Portal) staff(r *http.Request) (service.Actor, error) {
	u, err := p.Svc.Authenticate(r.Context(), api.Token(r))
	if err != nil {
		return service.Actor{}, err
	}
	return service.ActorOf(u), nil
}

func (p *Portal) staffCitizen(w http.ResponseWriter, r *http.Request) {
	a, err := p.staff(r)
	if err != nil {
		fail(w, p.Log, r, err)
		return
	}
	id := r.PathValue("id")
	c, err := p.Svc.CitizenSideOf(r.Context(), a, id)
	if err != nil {
		fail(w, p.Log, r, err)
		return
	}
	photos := []map[string]any{}
	for _, ph := range c.Photos {
		photos = append(photos, map[string]any{"id": ph.ID, "url": "/api/v1/orders/" + id + "/photos/" + ph.ID, "content_type": ph.ContentType,
			"width": ph.Width, "height": ph.Height, "size": ph.Size, "created_at": rfc(ph.CreatedAt)})
	}
	ratings := []map[string]any{}
	for _, rt := range c.Ratings {
		ratings = append(ratings, map[string]any{"round": rt.Round, "outcome": rt.Outcome, "resolved": rt.Resolved, "comment": rt.Comment,
			"at": rfc(rt.At), "state": rt.State, "applied_at": rfcPtr(rt.AppliedAt)})
	}
	attrs := c.Meta.Attributes
	if attrs == nil {
		attrs = map[string][]string{}
	}
	var channel any
	if c.Public {
		channel = string(c.Meta.Channel)
	}
	writeJSON(w, 200, map[string]any{"public": c.Public, "channel": channel, "praised": c.Meta.Praised, "attributes": attrs,
		"media_url": c.Meta.MediaURL, "photos": photos, "ratings": ratings})
}

func (p *Portal) staffPhoto(w http.ResponseWriter, r *http.Request) {
	a, err := p.staff(r)
	if err != nil {
		fail(w, p.Log, r, err)
		return
	}
	ph, err := p.Svc.OrderPhoto(r.Context(), a, r.PathValue("id"), r.PathValue("photo"))
	if err != nil {
		fail(w, p.Log, r, err)
		return
	}
	w.Header().Set("Content-Type", ph.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(ph.Data)))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Disposition", "inline")
	_, _ = w.Write(ph.Data)
}

// shanghai formats a time for the pages.
func shanghai(t time.Time) string { return t.In(calendar.Shanghai).Format("2006-01-02 15:04") }
