// Package registryapi is the registry's HTTP door (community.md §1): it
// reads requests into the registry service's terms and writes its answers,
// nothing more. Routes are mounted through httpx.Routes, so they share the
// API's authentication, metrics, body limit and error shape.
package registryapi

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registryfile"
	"hotline/internal/httpx"
	"hotline/internal/place"
)

// API is the registry's handlers.
type API struct {
	Svc *registry.Service
}

// Mount adds the registry's routes.
func Mount(rt httpx.Routes, svc *registry.Service) *API {
	a := &API{Svc: svc}
	for _, r := range a.routes() {
		rt.Authed(r.pattern, r.name, r.h, r.opts...)
	}
	return a
}

type route struct {
	pattern, name string
	h             httpx.HandlerFunc
	opts          []httpx.RouteOption
}

// routes is the registry's route table, shared by Mount and
// MountUnavailable so that both answer exactly the same paths.
func (a *API) routes() []route {
	return []route{
		{"GET /api/v1/compounds/{code}/buildings", "registry.places", a.buildings, nil},
		{"PUT /api/v1/buildings/{code}", "registry.places", a.putBuilding, nil},
		{"GET /api/v1/households", "registry.places", a.households, nil},
		{"POST /api/v1/households", "registry.places", a.createHousehold, nil},
		{"GET /api/v1/residents", "registry.residents", a.residents, nil},
		{"POST /api/v1/residents", "registry.residents", a.createResident, nil},
		{"GET /api/v1/residents/{id}", "registry.residents", a.resident, nil},
		{"PATCH /api/v1/residents/{id}", "registry.residents", a.patchResident, nil},
		{"POST /api/v1/residents/{id}/move_out", "registry.residents", a.moveOut, nil},
		{"POST /api/v1/residents/{id}/reveal", "registry.reveal", a.reveal, nil},
		{"GET /api/v1/registry/summary", "registry.summary", a.summary, nil},
		{"GET /api/v1/registry/export", "registry.export", a.export, nil},
		{"POST /api/v1/registry/import", "registry.import", a.importFile, []httpx.RouteOption{httpx.MaxBody(ImportMaxBody)}},
	}
}

// NoKey is what the registry's routes answer when the server has no data
// key: the registry seals personal data and never falls back to plaintext,
// so it is off, and a client (or the admin reading the answer) is told why
// and how to turn it on instead of getting a bare 404.
const NoKey = "the residents' registry is off: it keeps personal data sealed and this server has no data key; " +
	"start the server with --data-key-file FILE (made by `hotline keys generate`) or HOTLINE_DATA_KEY"

// MountUnavailable answers every registry route with 503 unavailable and
// NoKey, after the usual authentication (an anonymous client learns
// nothing about the server's configuration).
func MountUnavailable(rt httpx.Routes) {
	off := func(http.ResponseWriter, *http.Request) error { return apperr.New(apperr.Unavailable, "%s", NoKey) }
	for _, r := range (&API{}).routes() {
		rt.Authed(r.pattern, r.name, off)
	}
}

// ImportMaxBody bounds an uploaded spreadsheet on the API, as on the import
// page: a whole committee's file. An .xlsx row with notes is about 93
// bytes (TestImportBodyLimit: 15,000 rows, 1.4 MB), so the API's usual 1 MB
// stopped near 11,000 rows, and 32 MB holds some 340,000 (a committee has
// 10,000-odd residents; a street's 100,000 goes through
// `hotline registry import`).
const ImportMaxBody = 32 << 20

// list is the contract's list shape: {"<things>": [...], "next_cursor"}.
func list(w http.ResponseWriter, key string, items any, next string) {
	var nc *string
	if next != "" {
		nc = &next
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{key: items, "next_cursor": nc})
}

// query reads a list's parameters (the names are the contract's; others
// are ignored, as the orders' list does).
func query(r *http.Request, _ ...string) (url.Values, apperr.Fields) {
	return r.URL.Query(), apperr.Fields{}
}

func user(r *http.Request) access.User {
	u, _ := httpx.UserFrom(r.Context())
	return u
}

func (a *API) buildings(w http.ResponseWriter, r *http.Request) error {
	bs, err := a.Svc.Buildings(r.Context(), user(r), r.PathValue("code"))
	if err != nil {
		return err
	}
	if bs == nil {
		bs = []place.Building{}
	}
	list(w, "buildings", bs, "")
	return nil
}

func (a *API) putBuilding(w http.ResponseWriter, r *http.Request) error {
	var e place.BuildingEdit
	if err := httpx.DecodeJSON(r.Body, &e); err != nil {
		return err
	}
	b, err := a.Svc.PutBuilding(r.Context(), user(r), r.PathValue("code"), e)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, b)
	return nil
}

func (a *API) households(w http.ResponseWriter, r *http.Request) error {
	q, f := query(r, "area", "compound", "building", "limit", "cursor")
	hq := registry.HouseholdQuery{Area: q.Get("area"), Compound: q.Get("compound"), Building: q.Get("building")}
	hq.Limit, hq.AfterID = registry.ParsePage(f, q.Get("limit"), q.Get("cursor"))
	if err := f.Err(); err != nil {
		return err
	}
	hs, err := a.Svc.Households(r.Context(), user(r), hq)
	if err != nil {
		return err
	}
	if hs == nil {
		hs = []place.Household{}
	}
	last := ""
	if len(hs) > 0 {
		last = hs[len(hs)-1].ID
	}
	list(w, "households", hs, registry.NextCursor(len(hs), hq.Limit, last))
	return nil
}

func (a *API) createHousehold(w http.ResponseWriter, r *http.Request) error {
	var n place.NewHousehold
	if err := httpx.DecodeJSON(r.Body, &n); err != nil {
		return err
	}
	h, err := a.Svc.CreateHousehold(r.Context(), user(r), n)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, h)
	return nil
}

func (a *API) residents(w http.ResponseWriter, r *http.Request) error {
	q, f := query(r, "area", "compound", "building", "household", "tag", "status", "q", "limit", "cursor")
	rq := registry.ResidentQuery{Area: q.Get("area"), Compound: q.Get("compound"), Building: q.Get("building"), Household: q.Get("household"),
		Tag: q.Get("tag"), Status: q.Get("status"), Q: q.Get("q")}
	rq.Limit, rq.AfterID = registry.ParsePage(f, q.Get("limit"), q.Get("cursor"))
	if err := f.Err(); err != nil {
		return err
	}
	rs, err := a.Svc.Residents(r.Context(), user(r), rq)
	if err != nil {
		return err
	}
	last := ""
	if len(rs) > 0 {
		last = rs[len(rs)-1].ID
	}
	list(w, "residents", rs, registry.NextCursor(len(rs), rq.Limit, last))
	return nil
}

func (a *API) createResident(w http.ResponseWriter, r *http.Request) error {
	var n registry.NewResident
	if err := httpx.DecodeJSON(r.Body, &n); err != nil {
		return err
	}
	res, err := a.Svc.CreateResident(r.Context(), user(r), n)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, res)
	return nil
}

func (a *API) resident(w http.ResponseWriter, r *http.Request) error {
	id, err := registry.ParseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	res, err := a.Svc.Resident(r.Context(), user(r), id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (a *API) patchResident(w http.ResponseWriter, r *http.Request) error {
	id, err := registry.ParseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	var p registry.Patch
	if err := httpx.DecodeJSON(r.Body, &p); err != nil {
		return err
	}
	res, err := a.Svc.PatchResident(r.Context(), user(r), id, p)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (a *API) moveOut(w http.ResponseWriter, r *http.Request) error {
	id, err := registry.ParseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	var m registry.MoveOut
	if r.ContentLength != 0 {
		if err := httpx.DecodeJSON(r.Body, &m); err != nil {
			return err
		}
	}
	res, err := a.Svc.MoveOutResident(r.Context(), user(r), id, m)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (a *API) reveal(w http.ResponseWriter, r *http.Request) error {
	id, err := registry.ParseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	var rv registry.Reveal
	if err := httpx.DecodeJSON(r.Body, &rv); err != nil {
		return err
	}
	v, err := a.Svc.RevealField(r.Context(), user(r), id, rv)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"field": rv.Field, "value": v})
	return nil
}

func (a *API) summary(w http.ResponseWriter, r *http.Request) error {
	q, f := query(r, "area")
	if err := f.Err(); err != nil {
		return err
	}
	s, err := a.Svc.Summary(r.Context(), user(r), q.Get("area"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, s)
	return nil
}

// export answers an Excel file of the residents a filter selects: masked,
// or with unmasked=true and a reason, in full for an admin (audited).
func (a *API) export(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	rq := registry.ResidentQuery{Area: q.Get("area"), Compound: q.Get("compound"), Building: q.Get("building"), Tag: q.Get("tag"), Status: q.Get("status")}
	unmasked := q.Get("unmasked") == "true" || q.Get("unmasked") == "1"
	rows, err := a.Svc.Export(r.Context(), user(r), rq, unmasked, q.Get("reason"))
	if err != nil {
		return err
	}
	name := fmt.Sprintf("registry-%s-%s.xlsx", orAll(rq.Area), time.Now().UTC().Format("20060102"))
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	return registryfile.WriteXLSX(w, rows)
}

func orAll(s string) string {
	if s == "" {
		return "all"
	}
	return s
}

// importFile takes a spreadsheet as the request body (name= gives its file
// name, hence its format; a multipart form's "file" part works too) and
// answers the import's report, or 400 naming each bad line.
func (a *API) importFile(w http.ResponseWriter, r *http.Request) error {
	if _, err := registry.MayImport(user(r), r.URL.Query().Get("area")); err != nil {
		return err
	}
	var body io.Reader = r.Body
	name := r.URL.Query().Get("name")
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		f, h, err := r.FormFile("file")
		if err != nil {
			return httpx.BodyErr(err)
		}
		defer f.Close()
		body, name = f, h.Filename
	}
	table, err := registryfile.Read(body, name)
	if err != nil {
		return bodyErr(err)
	}
	rep, err := a.Svc.Import(r.Context(), user(r), r.URL.Query().Get("area"), table, nil)
	if err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		return registry.ProblemsErr(rep.Problems)
	}
	httpx.WriteJSON(w, http.StatusOK, rep)
	return nil
}

// bodyErr keeps a too-large body a 413 rather than an internal error.
func bodyErr(err error) error {
	if e := apperr.As(err); e.Code == apperr.Internal {
		return httpx.BodyErr(e.Err)
	}
	return err
}
