package web

// The residents' registry pages (community.md §1, issue 14): an area's
// compounds → a compound's buildings → a building's floor plan of
// households → a household's residents → a resident, whose ID number,
// phone and notes stay masked until a reveal with a reason (audited by the
// registry's store, the same path as POST /api/v1/residents/{id}/reveal);
// the area's care list, printable; and the spreadsheet import. They are
// mounted by MountRegistry when the registry is served (it needs a data
// key; without one a page says so and how to set one), and only for the
// roles that see residents: the area's
// community workers, leaders and admins. Dispatchers, operators and
// volunteers get 403 before anything is read.

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"hotline/internal/api"
	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/community/registry"
	"hotline/internal/order"
	"hotline/internal/place"
	"hotline/internal/service"
)

// registryRoles see the registry's pages.
var registryRoles = []order.Role{order.RoleHandler, order.RoleLeader, order.RoleAdmin}

// MountRegistry is the app.Config.RegistryWeb hook: the registry's pages on
// mux, through the same page wrapping (session, role, CSRF) as every page.
func MountRegistry(mux *http.ServeMux, svc *service.Service, a *api.API, reg *registry.Service, demo bool) {
	w, err := New(svc, a, demo)
	if err != nil {
		panic(err) // the embedded templates are broken: a build defect
	}
	w.reg = reg
	if reg == nil {
		w.registerRegistryOff(mux)
		return
	}
	w.registerRegistry(mux)
}

func (w *Web) registerRegistry(mux *http.ServeMux) {
	mux.HandleFunc("GET /registry", w.page(registryRoles, w.registryHome))
	mux.HandleFunc("GET /registry/compounds/{code}", w.page(registryRoles, w.registryCompound))
	mux.HandleFunc("GET /registry/buildings/{code}", w.page(registryRoles, w.registryBuilding))
	mux.HandleFunc("GET /registry/households/{id}", w.page(registryRoles, w.registryHousehold))
	mux.HandleFunc("GET /registry/residents/{id}", w.page(registryRoles, w.registryResident))
	mux.HandleFunc("POST /registry/residents/{id}/reveal", w.page(registryRoles, w.registryReveal))
	mux.HandleFunc("GET /registry/care", w.page(registryRoles, w.registryCare))
	w.registerRegistryImport(mux)
	w.registerRegistryEdit(mux)
}

// registryArea is the area a page shows: a community worker's own; for
// leaders and admins the one asked for (?area=), else the first committee.
func (w *Web) registryArea(p *Page, r *http.Request) string {
	if p.User.Role == order.RoleHandler {
		return p.User.Unit
	}
	if a := r.URL.Query().Get("area"); a != "" {
		return a
	}
	for _, u := range w.registryAreas(r.Context()) {
		return u
	}
	return ""
}

// registryAreas are the committees (residential areas), by code.
func (w *Web) registryAreas(ctx context.Context) []string {
	var out []string
	units, _ := w.svc.Units(ctx)
	for _, u := range units {
		if u.Kind == "committee" && u.Active {
			out = append(out, u.Code)
		}
	}
	sort.Strings(out)
	return out
}

// TagName is a care tag in the page's language.
func (p *Page) TagName(t registry.CareTag) string { return p.T("registry.tag." + string(t)) }

// HasTag reports whether t is among ts.
func (p *Page) HasTag(ts []registry.CareTag, t registry.CareTag) bool { return hasTag(ts, t) }

// CareTags lists every care tag.
func (p *Page) CareTags() []registry.CareTag { return registry.CareTags }

// Age is a resident's age in whole years today (Shanghai), "" without a
// birth date.
func (p *Page) Age(birth string) string {
	b, err := time.Parse("2006-01-02", birth)
	if err != nil {
		return ""
	}
	now := time.Now().In(calendar.Shanghai)
	age := now.Year() - b.Year()
	if now.Month() < b.Month() || (now.Month() == b.Month() && now.Day() < b.Day()) {
		age--
	}
	return strconv.Itoa(age)
}

type registryHomeView struct {
	Area      string
	Areas     []string
	Summary   registry.Summary
	Compounds []place.Compound
	Q         string
	Tag       registry.CareTag
	Results   []registry.Resident
	Where     map[string]string // household id → building and room
	Searched  bool
	Next      string
}

func (w *Web) registryHome(rw http.ResponseWriter, r *http.Request, p *Page) {
	ctx, q := r.Context(), r.URL.Query()
	v := registryHomeView{Area: w.registryArea(p, r), Q: strings.TrimSpace(q.Get("q")), Tag: registry.CareTag(q.Get("tag"))}
	if p.User.Role != order.RoleHandler {
		v.Areas = w.registryAreas(r.Context())
	}
	p.Nav, p.Title = "registry", p.T("registry.title")
	var err error
	if v.Summary, err = w.reg.Summary(ctx, p.User, v.Area); err != nil {
		w.fail(rw, r, p, err)
		return
	}
	if v.Compounds, err = w.reg.Compounds(ctx, p.User, v.Area); err != nil {
		w.fail(rw, r, p, err)
		return
	}
	if v.Q != "" || v.Tag != "" {
		v.Searched = true
		v.Results, err = w.reg.Residents(ctx, p.User, registry.ResidentQuery{Area: v.Area, Q: v.Q, Tag: string(v.Tag), Status: string(registry.Active),
			Limit: PageSize, AfterID: cursorOf(q.Get("cursor"))})
		if err != nil {
			if apperr.Is(err, apperr.Invalid) {
				w.applyErr(p, err)
			} else {
				w.fail(rw, r, p, err)
				return
			}
		}
		v.Where = w.whereOf(ctx, p, v.Results)
		if len(v.Results) == PageSize {
			v.Next = v.Results[len(v.Results)-1].ID
		}
	}
	p.Data = v
	w.render(rw, p, http.StatusOK, "registry_home")
}

func cursorOf(s string) int64 {
	v, _ := strconv.ParseInt(s, 10, 64)
	return max(v, 0)
}

type compoundView struct {
	Compound  place.Compound
	Buildings []place.Building
}

func (w *Web) registryCompound(rw http.ResponseWriter, r *http.Request, p *Page) {
	ctx := r.Context()
	code := r.PathValue("code")
	area := ""
	if p.User.Role == order.RoleHandler {
		area = p.User.Unit
	}
	cs, err := w.reg.Compounds(ctx, p.User, area)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	var v compoundView
	for _, c := range cs {
		if c.Code == code {
			v.Compound = c
		}
	}
	if v.Compound.Code == "" {
		// Not one of the user's: an unknown compound is not found, another
		// area's is refused.
		if _, err := w.reg.Buildings(ctx, p.User, code); err != nil {
			w.fail(rw, r, p, err)
			return
		}
		w.fail(rw, r, p, apperr.New(apperr.Forbidden, "another area's compound"))
		return
	}
	if v.Buildings, err = w.reg.Buildings(ctx, p.User, code); err != nil {
		w.fail(rw, r, p, err)
		return
	}
	p.Nav, p.Title = "registry", v.Compound.Name
	p.Data = v
	w.render(rw, p, http.StatusOK, "registry_compound")
}

// planCell is one household on a floor plan, with its residents in numbers.
type planCell struct {
	Household place.Household
	Residents int
	Tags      []registry.CareTag
	Empty     bool
}

type planFloor struct {
	Floor int
	Cells []planCell
}

type buildingView struct {
	Building   place.Building
	Compound   string
	Columns    []string // "1-01": unit and position on the floor
	Floors     []planFloor
	Others     []planCell // rooms that are not floor×100+n
	Tag        registry.CareTag
	Tagged     []registry.Resident
	Where      map[string]string
	Count      int
	Households int
}

// allResidents pages through a list to its end (a building or a tag's
// care list: hundreds, not the whole area).
func (w *Web) allResidents(ctx context.Context, p *Page, q registry.ResidentQuery) ([]registry.Resident, error) {
	var out []registry.Resident
	q.Limit = registry.MaxLimit
	for {
		page, err := w.reg.Residents(ctx, p.User, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < q.Limit {
			return out, nil
		}
		q.AfterID = cursorOf(page[len(page)-1].ID)
	}
}

func (w *Web) allHouseholds(ctx context.Context, p *Page, q registry.HouseholdQuery) ([]place.Household, error) {
	var out []place.Household
	q.Limit = registry.MaxLimit
	for {
		page, err := w.reg.Households(ctx, p.User, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < q.Limit {
			return out, nil
		}
		q.AfterID = cursorOf(page[len(page)-1].ID)
	}
}

func (w *Web) registryBuilding(rw http.ResponseWriter, r *http.Request, p *Page) {
	ctx := r.Context()
	b, err := w.reg.Building(ctx, p.User, r.PathValue("code"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	// The plan shows residents: refuse before reading them for roles that
	// read places only.
	if !p.Is("admin", "leader") && b.Area != p.User.Unit {
		w.fail(rw, r, p, apperr.New(apperr.Forbidden, "another area's building"))
		return
	}
	v := buildingView{Building: b, Tag: registry.CareTag(r.URL.Query().Get("tag"))}
	if c, err := w.reg.Compounds(ctx, p.User, b.Area); err == nil {
		for _, x := range c {
			if x.Code == b.Compound {
				v.Compound = x.Name
			}
		}
	}
	hs, err := w.allHouseholds(ctx, p, registry.HouseholdQuery{Area: b.Area, Building: b.Code})
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	rs, err := w.allResidents(ctx, p, registry.ResidentQuery{Area: b.Area, Building: b.Code, Status: string(registry.Active)})
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	v.Count, v.Households = len(rs), len(hs)
	byHH := map[string]*planCell{}
	cells := make([]planCell, len(hs))
	v.Where = map[string]string{}
	for i, h := range hs {
		cells[i] = planCell{Household: h}
		byHH[h.ID] = &cells[i]
		v.Where[h.ID] = p.RoomLabel(h)
	}
	tagBit := v.Tag.Bit()
	for _, res := range rs {
		c := byHH[res.Household]
		if c == nil {
			continue
		}
		c.Residents++
		for _, t := range res.CareTags {
			if !hasTag(c.Tags, t) {
				c.Tags = append(c.Tags, t)
			}
		}
		if tagBit != 0 && registry.TagMask(res.CareTags)&tagBit != 0 {
			v.Tagged = append(v.Tagged, res)
		}
	}
	// The grid: floors from the top down; a column per unit and position.
	grid := map[int]map[string]planCell{}
	cols := map[string]bool{}
	top := b.Floors
	for _, c := range cells {
		n, err := strconv.Atoi(c.Household.Room)
		if err != nil || n < 100 || n%100 == 0 {
			v.Others = append(v.Others, c)
			continue
		}
		floor, col := n/100, twoDigits(n%100)
		if c.Household.UnitNo != "" {
			col = c.Household.UnitNo + "-" + col
		}
		if grid[floor] == nil {
			grid[floor] = map[string]planCell{}
		}
		grid[floor][col] = c
		cols[col] = true
		top = max(top, floor)
	}
	for c := range cols {
		v.Columns = append(v.Columns, c)
	}
	sort.Strings(v.Columns)
	for f := top; f >= 1; f-- {
		pf := planFloor{Floor: f}
		for _, col := range v.Columns {
			c, ok := grid[f][col]
			if !ok {
				c.Empty = true
			}
			pf.Cells = append(pf.Cells, c)
		}
		v.Floors = append(v.Floors, pf)
	}
	p.Nav, p.Title = "registry", v.Compound+" "+b.Name
	if r.URL.Query().Get("saved") == "1" {
		p.Flash = p.T("registry.edit.saved")
	}
	p.Data = v
	w.render(rw, p, http.StatusOK, "registry_building")
}

func hasTag(ts []registry.CareTag, t registry.CareTag) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// whereOf says where each listed resident lives ("29号楼 1单元302室"),
// reading each household and building once.
func (w *Web) whereOf(ctx context.Context, p *Page, rs []registry.Resident) map[string]string {
	out, names := map[string]string{}, map[string]string{}
	for _, r := range rs {
		if _, ok := out[r.Household]; ok {
			continue
		}
		id, _ := strconv.ParseInt(r.Household, 10, 64)
		h, err := w.reg.Household(ctx, p.User, id)
		if err != nil {
			continue
		}
		name, ok := names[h.Building]
		if !ok {
			if b, err := w.reg.Building(ctx, p.User, h.Building); err == nil {
				name = b.Name
			}
			names[h.Building] = name
		}
		out[r.Household] = name + " " + p.RoomLabel(h)
	}
	return out
}

type householdView struct {
	Household place.Household
	Building  place.Building
	Residents []registry.Resident
}

func (w *Web) registryHousehold(rw http.ResponseWriter, r *http.Request, p *Page) {
	ctx := r.Context()
	id, err := registry.ParseID(r.PathValue("id"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	h, err := w.reg.Household(ctx, p.User, id)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	v := householdView{Household: h}
	if v.Building, err = w.reg.Building(ctx, p.User, h.Building); err != nil {
		w.fail(rw, r, p, err)
		return
	}
	if v.Residents, err = w.allResidents(ctx, p, registry.ResidentQuery{Area: h.Area, Household: h.ID}); err != nil {
		w.fail(rw, r, p, err)
		return
	}
	p.Nav, p.Title = "registry", v.Building.Name+" "+roomLabel(h)
	if r.URL.Query().Get("saved") == "1" {
		p.Flash = p.T("registry.edit.saved")
	}
	p.Data = v
	w.render(rw, p, http.StatusOK, "registry_household")
}

// roomLabel is how committees write a household: 2单元302室, or 302室.
func roomLabel(h place.Household) string {
	if h.UnitNo != "" {
		return h.UnitNo + "单元" + h.Room + "室"
	}
	return h.Room + "室"
}

// RoomLabel is roomLabel for templates.
func (p *Page) RoomLabel(h place.Household) string {
	if p.Lang == "en" {
		if h.UnitNo != "" {
			return "unit " + h.UnitNo + ", room " + h.Room
		}
		return "room " + h.Room
	}
	return roomLabel(h)
}

type residentView struct {
	Resident  registry.Resident
	Household place.Household
	Building  place.Building
	Fields    []string // the sealed fields this resident has
	Revealed  string   // the field shown in full, once
	Value     string
}

func (w *Web) residentView(ctx context.Context, p *Page, id int64) (residentView, error) {
	var v residentView
	var err error
	if v.Resident, err = w.reg.Resident(ctx, p.User, id); err != nil {
		return v, err
	}
	hid, _ := strconv.ParseInt(v.Resident.Household, 10, 64)
	if v.Household, err = w.reg.Household(ctx, p.User, hid); err != nil {
		return v, err
	}
	if v.Building, err = w.reg.Building(ctx, p.User, v.Household.Building); err != nil {
		return v, err
	}
	for _, f := range registry.SealedFields {
		var has bool
		switch f {
		case registry.FieldIDNumber:
			has = v.Resident.IDNumber != ""
		case registry.FieldPhone:
			has = v.Resident.Phone != ""
		case registry.FieldNotes:
			has = v.Resident.Notes != ""
		}
		if has {
			v.Fields = append(v.Fields, f)
		}
	}
	return v, nil
}

// Masked is a sealed field as the resident page shows it before a reveal.
func (v residentView) Masked(field string) string {
	switch field {
	case registry.FieldIDNumber:
		return v.Resident.IDNumber
	case registry.FieldPhone:
		return v.Resident.Phone
	}
	return v.Resident.Notes
}

func (w *Web) registryResident(rw http.ResponseWriter, r *http.Request, p *Page) {
	id, err := registry.ParseID(r.PathValue("id"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	v, err := w.residentView(r.Context(), p, id)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	p.Nav, p.Title = "registry", v.Resident.Name
	switch {
	case r.URL.Query().Get("saved") == "1":
		p.Flash = p.T("registry.edit.saved")
	case r.URL.Query().Get("moved") == "1":
		p.Flash = p.T("registry.moveout.done")
	}
	p.Data = v
	w.render(rw, p, http.StatusOK, "registry_resident")
}

// registryReveal shows one field in full, once: the registry audits the
// reveal (who, whom, which field, why) in the transaction that opens it,
// and the answer is not cached (render sets no-store).
func (w *Web) registryReveal(rw http.ResponseWriter, r *http.Request, p *Page) {
	ctx := r.Context()
	id, err := registry.ParseID(r.PathValue("id"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	v, err := w.residentView(ctx, p, id)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	p.Nav, p.Title = "registry", v.Resident.Name
	p.Form = url.Values{"field": {r.PostFormValue("field")}, "reason": {r.PostFormValue("reason")}}
	rv := registry.Reveal{Field: r.PostFormValue("field"), Reason: r.PostFormValue("reason")}
	value, err := w.reg.RevealField(ctx, p.User, id, rv)
	status := http.StatusOK
	if err != nil {
		if !apperr.Is(err, apperr.Invalid) {
			w.fail(rw, r, p, err)
			return
		}
		status = w.applyErr(p, err)
	} else {
		v.Revealed, v.Value = rv.Field, value
		p.Form = nil
	}
	p.Data = v
	w.render(rw, p, status, "registry_resident")
}

// careRow is a line of the care list: a resident and the household.
type careRow struct {
	Resident  registry.Resident
	Household place.Household
	Place     string // compound and building, as committees say them
	LowLying  bool
}

type careView struct {
	Area     string
	Areas    []string
	Tag      registry.CareTag
	LowLying bool
	Rows     []careRow
	Counts   map[registry.CareTag]int
	Printed  string
}

// registryCare is the area's care list: every active resident with a care
// tag (or the one tag asked for), in the low-lying buildings only when
// asked (what a typhoon night needs), by building and room; printable.
func (w *Web) registryCare(rw http.ResponseWriter, r *http.Request, p *Page) {
	ctx, q := r.Context(), r.URL.Query()
	v := careView{Area: w.registryArea(p, r), Tag: registry.CareTag(q.Get("tag")), LowLying: q.Get("low_lying") == "1", Counts: map[registry.CareTag]int{}}
	if p.User.Role != order.RoleHandler {
		v.Areas = w.registryAreas(r.Context())
	}
	p.Nav, p.Title = "registry", p.T("registry.care.title")
	tags := registry.CareTags
	if v.Tag != "" {
		if v.Tag.Bit() == 0 {
			w.fail(rw, r, p, apperr.Field("tag", "unknown care tag"))
			return
		}
		tags = []registry.CareTag{v.Tag}
	}
	seen := map[string]bool{}
	var rs []registry.Resident
	for _, t := range tags {
		list, err := w.allResidents(ctx, p, registry.ResidentQuery{Area: v.Area, Tag: string(t), Status: string(registry.Active)})
		if err != nil {
			w.fail(rw, r, p, err)
			return
		}
		for _, x := range list {
			if !seen[x.ID] {
				seen[x.ID] = true
				rs = append(rs, x)
			}
		}
	}
	hs, err := w.allHouseholds(ctx, p, registry.HouseholdQuery{Area: v.Area})
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	byID := map[string]place.Household{}
	for _, h := range hs {
		byID[h.ID] = h
	}
	low, where := map[string]bool{}, map[string]string{}
	cs, err := w.reg.Compounds(ctx, p.User, v.Area)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	for _, c := range cs {
		bs, err := w.reg.Buildings(ctx, p.User, c.Code)
		if err != nil {
			w.fail(rw, r, p, err)
			return
		}
		for _, b := range bs {
			low[b.Code], where[b.Code] = b.LowLying, c.Name+" "+b.Name
		}
	}
	for _, x := range rs {
		if v.LowLying && !low[x.Building] {
			continue
		}
		h := byID[x.Household]
		v.Rows = append(v.Rows, careRow{Resident: x, Household: h, Place: where[x.Building], LowLying: low[x.Building]})
		for _, t := range x.CareTags {
			v.Counts[t]++
		}
	}
	sort.Slice(v.Rows, func(i, j int) bool {
		a, b := v.Rows[i], v.Rows[j]
		if a.Resident.Building != b.Resident.Building {
			return buildingLess(a.Resident.Building, b.Resident.Building)
		}
		if a.Household.UnitNo != b.Household.UnitNo {
			return a.Household.UnitNo < b.Household.UnitNo
		}
		if a.Household.Room != b.Household.Room {
			return len(a.Household.Room) < len(b.Household.Room) || (len(a.Household.Room) == len(b.Household.Room) && a.Household.Room < b.Household.Room)
		}
		return a.Resident.ID < b.Resident.ID
	})
	v.Printed = p.Time(time.Now())
	p.Data = v
	w.render(rw, p, http.StatusOK, "registry_care")
}

// buildingLess orders building codes naturally: sanjiang-9 before
// sanjiang-10.
func buildingLess(a, b string) bool {
	ia, ib := strings.LastIndexByte(a, '-'), strings.LastIndexByte(b, '-')
	if ia >= 0 && ib >= 0 && a[:ia] == b[:ib] {
		na, ea := strconv.Atoi(a[ia+1:])
		nb, eb := strconv.Atoi(b[ib+1:])
		if ea == nil && eb == nil {
			return na < nb
		}
	}
	return a < b
}
