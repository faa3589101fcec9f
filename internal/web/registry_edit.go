package web

// The registry's editing pages (issue 14): a resident's edit form (every
// field of the contract, with the version read, so a stale save is a clear
// conflict and not a silent overwrite), moving out or death (the record
// stays, with its history in the audit log), a household's own form and
// "add a member", and the masked Excel export. They go through the same
// registry service as the API (community.md §1), so the access rules, the
// validation and the audit are the API's; these handlers only translate
// forms. Editing is for the area's community workers and admins; leaders
// read and export.

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registryfile"
	"hotline/internal/order"
	"hotline/internal/place"
)

// registryEditors change the registry through the pages.
var registryEditors = []order.Role{order.RoleHandler, order.RoleAdmin}

func (w *Web) registerRegistryEdit(mux *http.ServeMux) {
	mux.HandleFunc("GET /registry/residents/{id}/edit", w.page(registryEditors, w.residentEditForm))
	mux.HandleFunc("POST /registry/residents/{id}/edit", w.page(registryEditors, w.residentEdit))
	mux.HandleFunc("POST /registry/residents/{id}/move_out", w.page(registryEditors, w.residentMoveOut))
	mux.HandleFunc("GET /registry/households/new", w.page(registryEditors, w.householdNewForm))
	mux.HandleFunc("POST /registry/households/new", w.page(registryEditors, w.householdNew))
	mux.HandleFunc("GET /registry/households/{id}/edit", w.page(registryEditors, w.householdEditForm))
	mux.HandleFunc("POST /registry/households/{id}/edit", w.page(registryEditors, w.householdEdit))
	mux.HandleFunc("GET /registry/households/{id}/residents/new", w.page(registryEditors, w.memberNewForm))
	mux.HandleFunc("POST /registry/households/{id}/residents/new", w.page(registryEditors, w.memberNew))
	mux.HandleFunc("POST /registry/buildings/{code}/edit", w.page(registryEditors, w.buildingEdit))
	mux.HandleFunc("GET /registry/export", w.page(registryRoles, w.registryExportForm))
	mux.HandleFunc("POST /registry/export", w.page(registryRoles, w.registryExport))
}

// registerRegistryOff answers the registry's pages when the server has no
// data key: a page that says why the registry is off and how an admin
// turns it on, instead of the 404 a missing route would give (the nav
// still shows the link).
func (w *Web) registerRegistryOff(mux *http.ServeMux) {
	off := w.page(registryRoles, func(rw http.ResponseWriter, r *http.Request, p *Page) {
		p.Nav, p.Title = "registry", p.T("registry.off.title")
		w.render(rw, p, http.StatusServiceUnavailable, "registry_off")
	})
	mux.HandleFunc("GET /registry", off)
	mux.HandleFunc("GET /registry/", off)
}

// residentForm is the resident edit and "add a member" page.
type residentForm struct {
	Resident   registry.Resident // the stored record (empty for a new member)
	New        bool
	Household  place.Household
	Building   place.Building
	Households []place.Household // the building's, to move the resident within it
	Version    int64             // the version the form was read at
	Changed    bool              // a save met a newer version: Resident is that one
}

// Genders, relations and residences are the contract's enum values, in the
// forms' order.
func (p *Page) Genders() []string    { return []string{"f", "m"} }
func (p *Page) Relations() []string  { return []string{"head", "spouse", "child", "parent", "other"} }
func (p *Page) Residences() []string { return []string{"registered", "resident", "floating"} }

// HouseholdKinds are the household kinds, in the form's order.
func (p *Page) HouseholdKinds() []place.HouseholdKind {
	return []place.HouseholdKind{place.Residential, place.Collective, place.Shop, place.Vacant}
}

func (w *Web) residentFormView(p *Page, r *http.Request, res registry.Resident, hid int64) (residentForm, error) {
	ctx := r.Context()
	v := residentForm{Resident: res, Version: res.Version}
	var err error
	if v.Household, err = w.reg.Household(ctx, p.User, hid); err != nil {
		return v, err
	}
	if v.Building, err = w.reg.Building(ctx, p.User, v.Household.Building); err != nil {
		return v, err
	}
	v.Households, err = w.allHouseholds(ctx, p, registry.HouseholdQuery{Area: v.Household.Area, Building: v.Household.Building})
	return v, err
}

// residentFormValues fills the form from a stored resident; the sealed
// fields stay empty (their masked value is the placeholder: leaving them
// empty keeps them).
func residentFormValues(res registry.Resident) url.Values {
	f := url.Values{"name": {res.Name}, "gender": {res.Gender}, "birth_date": {res.BirthDate}, "relation": {res.Relation},
		"residence": {res.Residence}, "household": {res.Household}, "version": {strconv.FormatInt(res.Version, 10)}}
	for _, t := range res.CareTags {
		f.Add("care_tags", string(t))
	}
	return f
}

func (w *Web) residentEditForm(rw http.ResponseWriter, r *http.Request, p *Page) {
	id, err := registry.ParseID(r.PathValue("id"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	res, err := w.reg.Resident(r.Context(), p.User, id)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	hid, _ := strconv.ParseInt(res.Household, 10, 64)
	v, err := w.residentFormView(p, r, res, hid)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	p.Nav, p.Title = "registry", p.T("registry.edit.title", res.Name)
	p.Form, p.Data = residentFormValues(res), v
	w.render(rw, p, http.StatusOK, "registry_resident_edit")
}

// patchOf reads the edit form into the API's Patch: every plain field is
// sent as typed; a sealed field only when something was typed (or its
// "clear" box ticked). A new ID number brings its own birth date and
// gender unless those were changed too.
func patchOf(r *http.Request, cur registry.Resident) registry.Patch {
	str := func(name string) *string { v := strings.TrimSpace(r.PostFormValue(name)); return &v }
	var pt registry.Patch
	if v, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64); err == nil {
		pt.Version = &v
	}
	pt.Name, pt.Relation, pt.Residence, pt.Household = str("name"), str("relation"), str("residence"), str("household")
	tags := []registry.CareTag{}
	for _, t := range r.PostForm["care_tags"] {
		tags = append(tags, registry.CareTag(t))
	}
	pt.CareTags = &tags
	if id := strings.TrimSpace(r.PostFormValue("id_number")); id != "" {
		pt.IDNumber = &id
	}
	if b := str("birth_date"); pt.IDNumber == nil || *b != cur.BirthDate {
		pt.BirthDate = b
	}
	if g := str("gender"); pt.IDNumber == nil || *g != cur.Gender {
		pt.Gender = g
	}
	for _, f := range []struct {
		name string
		dst  **string
	}{{"phone", &pt.Phone}, {"notes", &pt.Notes}} {
		if r.PostFormValue("clear_"+f.name) == "1" {
			empty := ""
			*f.dst = &empty
		} else if v := strings.TrimSpace(r.PostFormValue(f.name)); v != "" {
			*f.dst = &v
		}
	}
	return pt
}

func (w *Web) residentEdit(rw http.ResponseWriter, r *http.Request, p *Page) {
	ctx := r.Context()
	id, err := registry.ParseID(r.PathValue("id"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	cur, err := w.reg.Resident(ctx, p.User, id)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	_, err = w.reg.PatchResident(ctx, p.User, id, patchOf(r, cur))
	if err == nil {
		http.Redirect(rw, r, "/registry/residents/"+cur.ID+"?saved=1", http.StatusSeeOther)
		return
	}
	if !apperr.Is(err, apperr.Invalid) && !apperr.Is(err, apperr.Conflict) {
		w.fail(rw, r, p, err)
		return
	}
	hid, _ := strconv.ParseInt(cur.Household, 10, 64)
	v, verr := w.residentFormView(p, r, cur, hid)
	if verr != nil {
		w.fail(rw, r, p, verr)
		return
	}
	p.Nav, p.Title = "registry", p.T("registry.edit.title", cur.Name)
	p.Form = r.PostForm
	status := w.applyErr(p, err)
	if p.Stale {
		// Someone saved this resident after the form was read: what they
		// saved is shown beside the typed values (kept), and the form now
		// carries the new version, so saving again is a decision made
		// knowing both.
		p.Stale, v.Changed = false, true
		p.Error = p.T("registry.edit.stale")
		p.Form.Set("version", strconv.FormatInt(cur.Version, 10))
	}
	p.Data = v
	w.render(rw, p, status, "registry_resident_edit")
}

// residentMoveOut records a move-out or a death from the resident page:
// the record stays (its status changes, the audit log keeps who and when).
func (w *Web) residentMoveOut(rw http.ResponseWriter, r *http.Request, p *Page) {
	ctx := r.Context()
	id, err := registry.ParseID(r.PathValue("id"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	m := registry.MoveOut{Status: registry.Status(r.PostFormValue("status"))}
	if v, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64); err == nil {
		m.Version = &v
	} else {
		w.fail(rw, r, p, apperr.Field("version", "required: the version you read"))
		return
	}
	_, err = w.reg.MoveOutResident(ctx, p.User, id, m)
	if err == nil {
		http.Redirect(rw, r, "/registry/residents/"+strconv.FormatInt(id, 10)+"?moved=1", http.StatusSeeOther)
		return
	}
	if !apperr.Is(err, apperr.Invalid) && !apperr.Is(err, apperr.Conflict) {
		w.fail(rw, r, p, err)
		return
	}
	v, verr := w.residentView(ctx, p, id)
	if verr != nil {
		w.fail(rw, r, p, verr)
		return
	}
	status := w.applyErr(p, err)
	if p.Stale {
		p.Stale = false
		p.Error = p.T("registry.moveout.stale")
	}
	p.Nav, p.Title, p.Data = "registry", v.Resident.Name, v
	w.render(rw, p, status, "registry_resident")
}

// householdForm is the household edit and "new household" page.
type householdForm struct {
	Household place.Household // empty for a new one
	Building  place.Building
	New       bool
}

func (w *Web) householdNewForm(rw http.ResponseWriter, r *http.Request, p *Page) {
	b, err := w.reg.Building(r.Context(), p.User, r.URL.Query().Get("building"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	if p.User.Role == order.RoleHandler && b.Area != p.User.Unit {
		w.fail(rw, r, p, apperr.New(apperr.Forbidden, "another area's building"))
		return
	}
	p.Nav, p.Title = "registry", p.T("registry.hh.new")
	p.Form = url.Values{"kind": {string(place.Residential)}}
	p.Data = householdForm{Building: b, New: true}
	w.render(rw, p, http.StatusOK, "registry_household_edit")
}

func (w *Web) householdNew(rw http.ResponseWriter, r *http.Request, p *Page) {
	ctx := r.Context()
	b, err := w.reg.Building(ctx, p.User, r.URL.Query().Get("building"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	n := place.NewHousehold{Building: b.Code, UnitNo: r.PostFormValue("unit_no"), Room: r.PostFormValue("room"), Kind: place.HouseholdKind(r.PostFormValue("kind"))}
	h, err := w.reg.CreateHousehold(ctx, p.User, n)
	if err == nil {
		http.Redirect(rw, r, "/registry/households/"+h.ID+"?saved=1", http.StatusSeeOther)
		return
	}
	if !apperr.Is(err, apperr.Invalid) && !apperr.Is(err, apperr.Conflict) {
		w.fail(rw, r, p, err)
		return
	}
	p.Nav, p.Title = "registry", p.T("registry.hh.new")
	p.Form = r.PostForm
	status := w.applyErr(p, err)
	p.Data = householdForm{Building: b, New: true}
	w.render(rw, p, status, "registry_household_edit")
}

func (w *Web) householdFormView(rw http.ResponseWriter, r *http.Request, p *Page) (householdForm, bool) {
	ctx := r.Context()
	id, err := registry.ParseID(r.PathValue("id"))
	if err != nil {
		w.fail(rw, r, p, err)
		return householdForm{}, false
	}
	h, err := w.reg.Household(ctx, p.User, id)
	if err != nil {
		w.fail(rw, r, p, err)
		return householdForm{}, false
	}
	if p.User.Role == order.RoleHandler && h.Area != p.User.Unit {
		w.fail(rw, r, p, apperr.New(apperr.Forbidden, "another area's household"))
		return householdForm{}, false
	}
	b, err := w.reg.Building(ctx, p.User, h.Building)
	if err != nil {
		w.fail(rw, r, p, err)
		return householdForm{}, false
	}
	p.Nav, p.Title = "registry", p.T("registry.hh.edit")
	return householdForm{Household: h, Building: b}, true
}

func (w *Web) householdEditForm(rw http.ResponseWriter, r *http.Request, p *Page) {
	v, ok := w.householdFormView(rw, r, p)
	if !ok {
		return
	}
	h := v.Household
	p.Form = url.Values{"unit_no": {h.UnitNo}, "room": {h.Room}, "kind": {string(h.Kind)}, "version": {strconv.FormatInt(h.Version, 10)}}
	p.Data = v
	w.render(rw, p, http.StatusOK, "registry_household_edit")
}

func (w *Web) householdEdit(rw http.ResponseWriter, r *http.Request, p *Page) {
	v, ok := w.householdFormView(rw, r, p)
	if !ok {
		return
	}
	e := place.HouseholdEdit{UnitNo: r.PostFormValue("unit_no"), Room: r.PostFormValue("room"), Kind: place.HouseholdKind(r.PostFormValue("kind"))}
	e.Version, _ = strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	id, _ := strconv.ParseInt(v.Household.ID, 10, 64)
	_, err := w.reg.UpdateHousehold(r.Context(), p.User, id, e)
	if err == nil {
		http.Redirect(rw, r, "/registry/households/"+v.Household.ID+"?saved=1", http.StatusSeeOther)
		return
	}
	if !apperr.Is(err, apperr.Invalid) && !apperr.Is(err, apperr.Conflict) {
		w.fail(rw, r, p, err)
		return
	}
	p.Form = r.PostForm
	status := w.applyErr(p, err)
	if p.Stale {
		p.Stale = false
		p.Error = p.T("registry.hh.stale")
		p.Form.Set("version", strconv.FormatInt(v.Household.Version, 10))
	}
	p.Data = v
	w.render(rw, p, status, "registry_household_edit")
}

func (w *Web) memberNewForm(rw http.ResponseWriter, r *http.Request, p *Page) {
	id, err := registry.ParseID(r.PathValue("id"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	v, err := w.residentFormView(p, r, registry.Resident{}, id)
	if err == nil && p.User.Role == order.RoleHandler && v.Household.Area != p.User.Unit {
		err = apperr.New(apperr.Forbidden, "another area's household")
	}
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	v.New = true
	p.Nav, p.Title = "registry", p.T("registry.member.new")
	p.Form = url.Values{"household": {v.Household.ID}, "relation": {"head"}, "residence": {"registered"}}
	p.Data = v
	w.render(rw, p, http.StatusOK, "registry_resident_edit")
}

func (w *Web) memberNew(rw http.ResponseWriter, r *http.Request, p *Page) {
	ctx := r.Context()
	id, err := registry.ParseID(r.PathValue("id"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	var tags []registry.CareTag
	for _, t := range r.PostForm["care_tags"] {
		tags = append(tags, registry.CareTag(t))
	}
	hh := strings.TrimSpace(r.PostFormValue("household"))
	if hh == "" {
		hh = strconv.FormatInt(id, 10)
	}
	n := registry.NewResident{Household: hh, Name: r.PostFormValue("name"), Gender: r.PostFormValue("gender"), BirthDate: r.PostFormValue("birth_date"),
		IDNumber: r.PostFormValue("id_number"), Phone: r.PostFormValue("phone"), Relation: r.PostFormValue("relation"),
		Residence: r.PostFormValue("residence"), CareTags: tags, Notes: r.PostFormValue("notes")}
	res, err := w.reg.CreateResident(ctx, p.User, n)
	if err == nil {
		http.Redirect(rw, r, "/registry/residents/"+res.ID+"?saved=1", http.StatusSeeOther)
		return
	}
	if !apperr.Is(err, apperr.Invalid) && !apperr.Is(err, apperr.Conflict) {
		w.fail(rw, r, p, err)
		return
	}
	v, verr := w.residentFormView(p, r, registry.Resident{}, id)
	if verr != nil {
		w.fail(rw, r, p, verr)
		return
	}
	v.New = true
	p.Nav, p.Title = "registry", p.T("registry.member.new")
	p.Form = r.PostForm
	status := w.applyErr(p, err)
	p.Data = v
	w.render(rw, p, status, "registry_resident_edit")
}

// exportView is the export page: what the file holds, and its filters.
type exportView struct {
	Area      string
	Areas     []string
	Compounds []place.Compound
	Admin     bool
}

func (w *Web) exportView(p *Page, r *http.Request) (exportView, error) {
	v := exportView{Area: w.registryArea(p, r), Admin: p.User.Role == order.RoleAdmin}
	if a := r.PostFormValue("area"); a != "" && p.User.Role != order.RoleHandler {
		v.Area = a
	}
	if p.User.Role != order.RoleHandler {
		v.Areas = w.registryAreas(r.Context())
	}
	var err error
	v.Compounds, err = w.reg.Compounds(r.Context(), p.User, v.Area)
	return v, err
}

func (w *Web) registryExportForm(rw http.ResponseWriter, r *http.Request, p *Page) {
	v, err := w.exportView(p, r)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	p.Nav, p.Title, p.Data = "registry", p.T("registry.export.title"), v
	p.Form = url.Values{"status": {string(registry.Active)}}
	w.render(rw, p, http.StatusOK, "registry_export")
}

// registryExport answers the Excel file (the API's, registryfile.WriteXLSX):
// masked for everyone; unmasked only for an admin who gives a reason,
// which the registry audits with the export.
func (w *Web) registryExport(rw http.ResponseWriter, r *http.Request, p *Page) {
	v, err := w.exportView(p, r)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	q := registry.ResidentQuery{Area: v.Area, Compound: r.PostFormValue("compound"), Tag: r.PostFormValue("tag"), Status: r.PostFormValue("status")}
	unmasked := r.PostFormValue("unmasked") == "1"
	rows, err := w.reg.Export(r.Context(), p.User, q, unmasked, r.PostFormValue("reason"))
	if err != nil {
		if !apperr.Is(err, apperr.Invalid) {
			w.fail(rw, r, p, err)
			return
		}
		p.Nav, p.Title, p.Data, p.Form = "registry", p.T("registry.export.title"), v, r.PostForm
		w.render(rw, p, w.applyErr(p, err), "registry_export")
		return
	}
	name := fmt.Sprintf("registry-%s-%s.xlsx", v.Area, time.Now().UTC().Format("20060102"))
	if unmasked {
		name = strings.TrimSuffix(name, ".xlsx") + "-unmasked.xlsx"
	}
	rw.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	rw.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	rw.Header().Set("Cache-Control", "no-store")
	if err := registryfile.WriteXLSX(rw, rows); err != nil {
		w.log.Error("registry export", "err", err)
	}
}

// buildingEdit sets a building's floors and low-lying flag from the
// building page (PUT /api/v1/buildings/{code}'s service): a typhoon's
// check list starts from the low-lying buildings, so the committee keeps
// that flag itself.
func (w *Web) buildingEdit(rw http.ResponseWriter, r *http.Request, p *Page) {
	code := r.PathValue("code")
	floors, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("floors")))
	if err != nil {
		floors = -1 // refused by the validation, next to the field
	}
	low := r.PostFormValue("low_lying") == "1"
	if _, err := w.reg.PutBuilding(r.Context(), p.User, code, place.BuildingEdit{Floors: &floors, LowLying: &low}); err != nil {
		if apperr.Is(err, apperr.Invalid) {
			err = apperr.New(apperr.Invalid, "%s", p.T("registry.building.floors_bad"))
		}
		w.fail(rw, r, p, err)
		return
	}
	http.Redirect(rw, r, "/registry/buildings/"+url.PathEscape(code)+"?saved=1", http.StatusSeeOther)
}
