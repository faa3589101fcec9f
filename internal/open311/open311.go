// Package open311 is the Open311 GeoReport v2 door under /open311/v2/:
// service discovery, the service list (generated from the category
// catalogue), service definitions with their attributes, POST requests
// (with an api_key), tokens, and the public requests search with the
// page/page_size, updated_after/updated_before and extensions=true
// extensions. Every resource answers in XML (required by the
// specification) and JSON, chosen by the suffix. Errors are lists with
// HTTP 404 (unknown resource), 403 (api_key) or 400 (everything else).
//
// The requests search is public: it never shows a caller's name, phone or
// e-mail, internal notes, or the description and exact address of a
// confidential (保密) caller's order; phone and ID numbers in texts are
// masked.
package open311

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/place"
	"hotline/internal/portal"
	"hotline/internal/service"
	"hotline/internal/textproc"
)

// Prefix is where the API lives.
const Prefix = "/open311/v2/"

// MaxBody is the largest POST body read (the description is at most 4,000
// characters; attributes add a little).
const MaxBody = 256 << 10

// Changeset is when this implementation's discovery document last changed.
const Changeset = "2026-11-29T00:00:00+08:00"

// Handler serves the Open311 API.
type Handler struct {
	Svc *service.Service
	Log *slog.Logger
}

// Mount registers the Open311 routes on mux.
func Mount(mux *http.ServeMux, svc *service.Service) {
	h := &Handler{Svc: svc, Log: svc.Log}
	mux.HandleFunc("GET "+Prefix+"{file}", h.top)
	mux.HandleFunc("POST "+Prefix+"{file}", h.post)
	mux.HandleFunc("GET "+Prefix+"services/{file}", h.serviceDefinition)
	mux.HandleFunc("GET "+Prefix+"requests/{file}", h.request)
	mux.HandleFunc("GET "+Prefix+"tokens/{file}", h.token)
	mux.HandleFunc("/open311/", func(w http.ResponseWriter, r *http.Request) {
		f := formatOf(r.URL.Path)
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			writeErrors(w, f, http.StatusMethodNotAllowed, Error{Code: 405, Description: "method not allowed: use GET, or POST for requests"})
			return
		}
		writeErrors(w, f, 404, Error{Code: 404, Description: "no such resource: " + clip(r.URL.Path, 100)})
	})
}

type format string

const (
	fmtXML  format = "xml"
	fmtJSON format = "json"
)

// split reads "name.fmt"; an unknown or missing format is not a resource.
func split(file string) (string, format, bool) {
	i := strings.LastIndexByte(file, '.')
	if i <= 0 {
		return file, fmtXML, false
	}
	switch format(file[i+1:]) {
	case fmtXML:
		return file[:i], fmtXML, true
	case fmtJSON:
		return file[:i], fmtJSON, true
	}
	return file, fmtXML, false
}

func formatOf(path string) format {
	if strings.HasSuffix(path, ".json") {
		return fmtJSON
	}
	return fmtXML
}

func (h *Handler) top(w http.ResponseWriter, r *http.Request) {
	name, f, ok := split(r.PathValue("file"))
	if !ok {
		writeErrors(w, f, 404, Error{Code: 404, Description: "no such resource: " + clip(r.URL.Path, 100) + " (add .xml or .json)"})
		return
	}
	switch name {
	case "discovery":
		h.discovery(w, r, f)
	case "services":
		h.services(w, r, f)
	case "requests":
		h.requests(w, r, f)
	default:
		writeErrors(w, f, 404, Error{Code: 404, Description: "no such resource: " + clip(name, 100)})
	}
}

func (h *Handler) discovery(w http.ResponseWriter, r *http.Request, f format) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// Without the trailing slash: clients append "/requests.json" (and a
	// doubled slash would be cleaned by a redirect POST clients do not follow).
	base := scheme + "://" + r.Host + strings.TrimSuffix(Prefix, "/")
	d := Discovery{Changeset: Changeset,
		Contact:    "城运中心 12345 热线 City Operations Center, 12345 hotline",
		KeyService: "API keys are issued by the center's administrator (hotline apikey add); ask the center for one.",
		Endpoints: []Endpoint{{Specification: "http://wiki.open311.org/GeoReport_v2", URL: base, Changeset: Changeset,
			Type: "production", Formats: []string{"text/xml", "application/json"}}}}
	write(w, f, 200, d, d)
}

// leafServices are the catalogue's active leaf categories, as services.
func (h *Handler) leafServices(ctx context.Context) ([]Service, error) {
	cats, err := h.Svc.Categories(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	parents := map[string]bool{}
	for _, c := range cats {
		names[c.Code] = c.Name
		if c.Parent != "" {
			parents[c.Parent] = true
		}
	}
	out := []Service{}
	for _, c := range cats {
		if !c.Active || parents[c.Code] {
			continue
		}
		desc := c.Name
		if c.NameEN != "" {
			desc += " / " + c.NameEN
		}
		out = append(out, Service{ServiceCode: c.Code, ServiceName: c.Name, Description: desc,
			Metadata: len(Attributes(c)) > 0, Type: "realtime", Keywords: opt(keywords(c.Keywords)), Group: opt(names[c.Parent])})
	}
	return append(out, catchAll()), nil
}

// CatchAll is the service of the orders that have no category (a call the
// center has not classified yet) or whose category is no longer a service
// (made a group, or retired). Every request of the search then names a
// service that GET services lists; a client may also POST to it, and the
// center classifies the order. The code is reserved: a category with it
// would be shadowed.
const CatchAll = "other"

func catchAll() Service {
	return Service{ServiceCode: CatchAll, ServiceName: catchAllName,
		Description: "其他问题，由城运中心分类 / Any other problem; the center classifies it", Type: "realtime"}
}

const catchAllName = "其他"

// opt is a value for an optional field: nil (JSON null, no XML element)
// when there is none.
func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// serviceCodes are the codes GET services lists, the catch-all aside.
func (h *Handler) serviceCodes(ctx context.Context) (map[string]bool, error) {
	list, err := h.leafServices(ctx)
	if err != nil {
		return nil, err
	}
	codes := make(map[string]bool, len(list))
	for _, sv := range list {
		if sv.ServiceCode != CatchAll {
			codes[sv.ServiceCode] = true
		}
	}
	return codes, nil
}

// keywords writes the catalogue's keywords as the spec's comma string.
func keywords(k string) string {
	parts := strings.FieldsFunc(k, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ';' })
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return strings.Join(parts, ", ")
}

func (h *Handler) services(w http.ResponseWriter, r *http.Request, f format) {
	list, err := h.leafServices(r.Context())
	if err != nil {
		h.internal(w, r, f, err)
		return
	}
	write(w, f, 200, list, servicesXML{Services: list})
}

func (h *Handler) serviceDefinition(w http.ResponseWriter, r *http.Request) {
	code, f, ok := split(r.PathValue("file"))
	if !ok {
		writeErrors(w, f, 404, Error{Code: 404, Description: "no such resource (add .xml or .json)"})
		return
	}
	c, ok := (catalogue{h.Svc, r.Context()}).Service(code)
	if !ok {
		writeErrors(w, f, 404, Error{Code: 404, Description: "service_code " + clip(code, 64) + " not found"})
		return
	}
	d := ServiceDefinition{ServiceCode: c.Code, Attributes: Attributes(c)}
	write(w, f, 200, d, d)
}

// catalogue is the service's categories and compounds, as the parser asks.
type catalogue struct {
	svc *service.Service
	ctx context.Context
}

func (c catalogue) Service(code string) (org.Category, bool) {
	if code == "" {
		return org.Category{}, false
	}
	if code == CatchAll {
		return org.Category{Code: CatchAll, Name: catchAllName, Active: true}, true
	}
	cat, ok := c.svc.Category(code)
	if !ok || !cat.Active {
		return org.Category{}, false
	}
	// Only leaves are services: a parent with children is a group.
	cats, err := c.svc.Categories(c.ctx)
	if err != nil {
		return org.Category{}, false
	}
	for _, x := range cats {
		if x.Parent == code {
			return org.Category{}, false
		}
	}
	return cat, true
}

func (c catalogue) Compound(code string) (place.OrderCompound, bool) {
	comps, err := c.svc.Compounds(c.ctx, "")
	if err != nil {
		return place.OrderCompound{}, false
	}
	for _, x := range comps {
		if x.Code == code {
			return x, true
		}
	}
	return place.OrderCompound{}, false
}

func (h *Handler) post(w http.ResponseWriter, r *http.Request) {
	name, f, ok := split(r.PathValue("file"))
	if !ok || name != "requests" {
		writeErrors(w, f, 404, Error{Code: 404, Description: "no such resource: " + clip(r.URL.Path, 100)})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	ct := r.Header.Get("Content-Type")
	var err error
	if strings.HasPrefix(ct, "multipart/form-data") {
		err = r.ParseMultipartForm(MaxBody)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeErrors(w, f, 400, Error{Code: 400, Description: "request body too large"})
			return
		}
		writeErrors(w, f, 400, Error{Code: 400, Description: "malformed form body: send application/x-www-form-urlencoded"})
		return
	}
	form := r.Form
	if r.MultipartForm != nil {
		form = url.Values(r.MultipartForm.Value)
		for k, v := range r.URL.Query() {
			form[k] = append(form[k], v...)
		}
	}
	key, err := h.Svc.CheckAPIKey(r.Context(), strings.TrimSpace(form.Get("api_key")))
	if err != nil {
		if apperr.Is(err, apperr.Forbidden) {
			writeErrors(w, f, 403, Error{Code: 403, Description: "api_key is missing or invalid"})
			return
		}
		h.internal(w, r, f, err)
		return
	}
	p, errs := ParseRequest(form, catalogue{h.Svc, r.Context()})
	if nf := NotFound(errs); len(nf) > 0 {
		writeErrors(w, f, 404, nf...)
		return
	}
	if len(errs) > 0 {
		writeErrors(w, f, 400, errs...)
		return
	}
	p.Meta.APIKeyID = key.ID
	created, err := h.Svc.CreatePublic(r.Context(), order.SourceOpen311, p.Order, p.Meta, nil)
	if err != nil {
		e := apperr.As(err)
		if e.Code == apperr.Invalid {
			var list []Error
			for k, v := range e.Fields {
				list = append(list, Error{Code: 400, Description: k + ": " + v})
			}
			if len(list) == 0 {
				list = append(list, Error{Code: 400, Description: e.Message})
			}
			writeErrors(w, f, 400, list...)
			return
		}
		h.internal(w, r, f, err)
		return
	}
	o := created.Order
	var account *string
	if p.Meta.AccountID != "" {
		account = &p.Meta.AccountID
	}
	c := Created{ServiceRequestID: o.Number, AccountID: account,
		ServiceNotice: "已受理，工单号 " + o.Number + "；派单后一般 5 个工作日内答复。Received as order " + o.Number +
			"; a reply normally follows within 5 working days of dispatch."}
	write(w, f, 201, []Created{c}, createdXML{Requests: []Created{c}})
}

func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	tok, f, ok := split(r.PathValue("file"))
	if !ok {
		writeErrors(w, f, 404, Error{Code: 404, Description: "no such resource (add .xml or .json)"})
		return
	}
	number, err := h.Svc.NumberByOpen311Token(r.Context(), tok)
	if apperr.Is(err, apperr.NotFound) {
		writeErrors(w, f, 404, Error{Code: 404, Description: "token not found"})
		return
	}
	if err != nil {
		h.internal(w, r, f, err)
		return
	}
	a := []TokenAnswer{{ServiceRequestID: number, Token: tok}}
	write(w, f, 200, a, tokensXML{Requests: a})
}

func (h *Handler) request(w http.ResponseWriter, r *http.Request) {
	id, f, ok := split(r.PathValue("file"))
	if !ok {
		writeErrors(w, f, 404, Error{Code: 404, Description: "no such resource (add .xml or .json)"})
		return
	}
	q := r.URL.Query()
	ext, e := boolParam(q, "extensions")
	if e != nil {
		writeErrors(w, f, 400, *e)
		return
	}
	if !validNumber(id) {
		writeErrors(w, f, 404, Error{Code: 404, Description: "service_request_id " + clip(id, 40) + " not found"})
		return
	}
	rows, err := h.Svc.PublicSearch(r.Context(), order.PublicFilter{Numbers: []string{id}, Limit: 1})
	if err != nil {
		h.internal(w, r, f, err)
		return
	}
	if len(rows) == 0 {
		writeErrors(w, f, 404, Error{Code: 404, Description: "service_request_id " + clip(id, 40) + " not found"})
		return
	}
	list, err := h.present(r.Context(), rows, ext)
	if err != nil {
		h.internal(w, r, f, err)
		return
	}
	write(w, f, 200, list, requestsXML{Requests: list})
}

func validNumber(s string) bool {
	if len(s) != 13 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Search limits: the default window and cap of the specification, and the
// page size of the Chicago extension.
const (
	DefaultWindow   = 90 * 24 * time.Hour
	MaxResults      = 1000
	DefaultPageSize = 50
	MaxPageSize     = 500
	MaxIDs          = 200
)

func (h *Handler) requests(w http.ResponseWriter, r *http.Request, f format) {
	sq, errs := ParseSearch(r.URL.Query(), catalogue{h.Svc, r.Context()}, h.Svc.Now())
	if len(errs) > 0 {
		writeErrors(w, f, 400, errs...)
		return
	}
	if i := slices.Index(sq.Filter.Categories, CatchAll); i >= 0 {
		codes, err := h.serviceCodes(r.Context())
		if err != nil {
			h.internal(w, r, f, err)
			return
		}
		sq.Filter.Categories = slices.Delete(sq.Filter.Categories, i, i+1)
		sq.Filter.Others = true
		for c := range codes {
			sq.Filter.OtherThan = append(sq.Filter.OtherThan, c)
		}
		slices.Sort(sq.Filter.OtherThan)
	}
	var rows []order.PublicRow
	if sq.Filter.Limit > 0 {
		var err error
		if rows, err = h.Svc.PublicSearch(r.Context(), sq.Filter); err != nil {
			h.internal(w, r, f, err)
			return
		}
	}
	list, err := h.present(r.Context(), rows, sq.Extensions)
	if err != nil {
		h.internal(w, r, f, err)
		return
	}
	write(w, f, 200, list, requestsXML{Requests: list})
}

// present turns orders into public requests.
func (h *Handler) present(ctx context.Context, rows []order.PublicRow, ext bool) ([]Request, error) {
	var timelines map[string][]order.Event
	if ext && len(rows) > 0 {
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		var err error
		if timelines, err = h.Svc.PublicEvents(ctx, ids); err != nil {
			return nil, err
		}
	}
	comps := map[string]place.OrderCompound{}
	if cs, err := h.Svc.Compounds(ctx, ""); err == nil {
		for _, c := range cs {
			comps[c.Code] = c
		}
	}
	services, err := h.serviceCodes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Request, 0, len(rows))
	for _, row := range rows {
		out = append(out, h.toRequest(row, comps, services, ext, timelines[row.ID]))
	}
	return out, nil
}

// StatusNotes says which of our states is behind open or closed: the
// state's code (workflow.md's name, for programs: open311.md's "status_notes
// saying which") and then the state in one language, Chinese. GeoReport v2
// has no language negotiation for status_notes and one endpoint serves one
// jurisdiction; this one is a Chinese subdistrict whose service names are
// Chinese, so its notes are Chinese too. The words are the citizen portal's
// (portal.StatusText), so a citizen reads the same thing on the tracking
// page and in an Open311 app.
func StatusNotes(o order.Order, parent string) string {
	words := portal.StatusText(o.Status, "zh")
	if o.Status == order.Merged && parent != "" {
		words += "（工单 " + parent + "）"
	}
	return string(o.Status) + ": " + words
}

// Time writes a time as the specification wants it: ISO 8601 with the
// offset, here in Asia/Shanghai.
func Time(t time.Time) string { return t.In(calendar.Shanghai).Format(time.RFC3339) }

func (h *Handler) toRequest(row order.PublicRow, comps map[string]place.OrderCompound, services map[string]bool, ext bool, evs []order.Event) Request {
	o := row.Order
	status := "open"
	if !o.Status.Open() {
		status = "closed"
	}
	notes := StatusNotes(o, row.ParentNumber)
	req := Request{ServiceRequestID: o.Number, Status: status, StatusNotes: &notes, ServiceCode: CatchAll,
		ServiceName: opt(catchAllName), RequestedDatetime: Time(o.CreatedAt), UpdatedDatetime: Time(o.UpdatedAt)}
	if services[o.Category] {
		req.ServiceCode = o.Category
		if c, ok := h.Svc.Category(o.Category); ok {
			req.ServiceName = opt(c.Name)
		}
	}
	holder := o.Unit
	if holder == "" {
		holder = "center"
	}
	req.AgencyResponsible = h.Svc.UnitName(holder)
	if o.Due != nil {
		s := Time(*o.Due)
		req.ExpectedDatetime = &s
	}
	comp, hasComp := comps[o.Compound]
	confidential := o.Caller.Confidential
	address := ""
	if !confidential {
		req.Description = opt(textproc.Redact(o.Description))
		address = textproc.Redact(o.Address)
	}
	if hasComp && (address == "" || confidential) {
		address = comp.Name
		if o.Building != "" && !confidential {
			address += " " + o.Building
		}
	}
	req.Address = opt(address)
	if hasComp {
		id := comp.Code
		req.AddressID = &id
	}
	switch {
	case o.Lat != nil && o.Lng != nil && !confidential:
		la, lo := *o.Lat, *o.Lng
		req.Lat, req.Long = &la, &lo
	case hasComp && comp.Lat != nil && comp.Lng != nil:
		la, lo := *comp.Lat, *comp.Lng
		req.Lat, req.Long = &la, &lo
	}
	if row.MediaURL != "" {
		m := row.MediaURL
		req.MediaURL = &m
	}
	if ext {
		x := &Extended{Channel: string(o.Source), Duplicate: o.Status == order.Merged}
		if row.ParentNumber != "" {
			p := row.ParentNumber
			x.ParentServiceRequestID = &p
		}
		req.ExtendedAttributes = x
		req.Notes = &Notes{List: []Note{}}
		for _, n := range service.PublicTimeline(evs, h.Svc.UnitName) {
			req.Notes.List = append(req.Notes.List, Note{Datetime: Time(n.At), Type: n.Type, Summary: n.Summary, Description: opt(textproc.Redact(n.Description))})
		}
	}
	return req
}

// write sends a document in the asked format.
func write(w http.ResponseWriter, f format, status int, jsonDoc, xmlDoc any) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if f == fmtJSON {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(jsonDoc)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	enc := xml.NewEncoder(w)
	_ = enc.Encode(xmlDoc)
	_, _ = w.Write([]byte("\n"))
}

func writeErrors(w http.ResponseWriter, f format, status int, list ...Error) {
	write(w, f, status, list, errorsXML{Errors: list})
}

func (h *Handler) internal(w http.ResponseWriter, r *http.Request, f format, err error) {
	h.Log.Error("open311 request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeErrors(w, f, 500, Error{Code: 500, Description: "internal error; it has been logged"})
}

// JoinedPaths serves Open311 paths whose parts were joined with a doubled
// slash ("/open311/v2//requests.json", what a client makes of a base URL
// ending in "/") as the path with single slashes. ServeMux would answer
// them with a redirect, which clients do not follow for a POST. Other
// paths pass unchanged.
func JoinedPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "//") {
			next.ServeHTTP(w, r)
			return
		}
		p := r.URL.Path
		for strings.Contains(p, "//") {
			p = strings.ReplaceAll(p, "//", "/")
		}
		if !strings.HasPrefix(p, "/open311/") {
			next.ServeHTTP(w, r)
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path, u.RawPath = p, ""
		r2.URL = &u
		next.ServeHTTP(w, r2)
	})
}
