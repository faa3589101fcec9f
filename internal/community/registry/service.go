package registry

import (
	"context"
	"strconv"
	"strings"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/place"
)

// Places is what the registry needs of places (placedb implements it).
type Places interface {
	Compound(ctx context.Context, code string) (place.Compound, error)
	Buildings(ctx context.Context, compound string) ([]place.Building, error)
	Building(ctx context.Context, code string) (place.Building, error)
	UpdateBuilding(ctx context.Context, code string, e place.BuildingEdit) (place.Building, error)
	Households(ctx context.Context, f place.HouseholdFilter) ([]place.Household, error)
	Household(ctx context.Context, id int64) (place.Household, error)
	CreateHousehold(ctx context.Context, b place.Building, n place.NewHousehold) (place.Household, error)
	UpdateHousehold(ctx context.Context, id int64, e place.HouseholdEdit, actor string) (place.Household, error)
}

// Filter narrows a resident list. IDNumber and Phone are exact (looked up
// through their blind index); Name is a prefix.
type Filter struct {
	Scope     access.Scope
	Compound  string
	Building  string
	Household int64
	Tags      int64 // residents with all these tags
	Status    Status
	Name      string
	IDNumber  string
	Phone     string
	AfterID   int64
	Limit     int
}

// Summary is an area's (or the whole server's) registry in numbers.
type Summary struct {
	Compounds         int             `json:"compounds"`
	Buildings         int             `json:"buildings"`
	Households        int             `json:"households"`
	Residents         int             `json:"residents"`
	ByTag             map[CareTag]int `json:"by_tag"`
	LowLyingBuildings int             `json:"low_lying_buildings"`
}

// Store is what the registry needs of its storage (registrydb implements
// it). It seals and unseals; actor names who acts for the audit log.
type Store interface {
	Resident(ctx context.Context, id int64) (Resident, error)
	Residents(ctx context.Context, f Filter) ([]Resident, error)
	Create(ctx context.Context, p Person, actor string) (Resident, error)
	// Update writes c over resident id when its version is still version
	// (0: not checked); a stale version is a Conflict. action is audited.
	Update(ctx context.Context, id, version int64, c Change, actor, action string) (Resident, error)
	// Open returns a sealed field in the clear, without audit: for checks
	// the service makes, never for showing.
	Open(ctx context.Context, id int64, field string) (string, error)
	// Reveal returns a sealed field in the clear and writes the audit row
	// (who, which resident, which field, why) in the same transaction.
	Reveal(ctx context.Context, id int64, field, actor, reason string) (string, error)
	Summary(ctx context.Context, s access.Scope) (Summary, error)
	// Import applies checked rows to an area in one transaction (see
	// registrydb); rows naming unknown places come back as Problems and
	// then nothing is written.
	Import(ctx context.Context, area string, rows []ImportRow, actor string, progress Progress) (ImportReport, error)
	// Export reads every resident f selects, audited (with the reason of an
	// unmasked export) in the same transaction.
	Export(ctx context.Context, f Filter, unmasked bool, actor, reason string) ([]ExportRow, error)
}

// Service is the registry's application layer: who may do what, then the
// store.
type Service struct {
	Places Places
	Store  Store
}

// Page is a list request's paging: Limit 1..200 (default 50) and the
// cursor of the previous page.
type Page struct {
	Limit  int
	Cursor string
}

// DefaultLimit and MaxLimit bound a page.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// ParsePage reads limit and cursor (ids are positive integers; the cursor
// is the last id of the page before).
func ParsePage(f apperr.Fields, limit, cursor string) (int, int64) {
	n := DefaultLimit
	if limit != "" {
		v, err := strconv.Atoi(limit)
		if err != nil || v < 1 || v > MaxLimit {
			f.Add("limit", "a number from 1 to 200")
		}
		n = v
	}
	var after int64
	if cursor != "" {
		v, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || v < 0 {
			f.Add("cursor", "the next_cursor of the previous page")
		}
		after = v
	}
	return n, after
}

// ParseID reads a resident's or household's id from a path.
func ParseID(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, apperr.New(apperr.NotFound, "no such record %q", truncate(s, 24))
	}
	return v, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// NextCursor is the cursor after a full page, "" after the last one.
func NextCursor(n, limit int, lastID string) string {
	if n < limit {
		return ""
	}
	return lastID
}

// placeScope narrows a place list to what u may read: dispatchers and
// operators read every area's places (intake); the others as ListScope.
func placeScope(u access.User, area string) (access.Scope, error) {
	switch u.Role {
	case access.RoleDispatcher, access.RoleOperator:
		return access.Scope{All: area == "", Area: area}, nil
	}
	return access.ListScope(u, area)
}

// editsSomething refuses at once the roles that edit no area (before the
// input is even read), so they get 403 whatever they send.
func editsSomething(u access.User) error {
	if u.Role == access.RoleAdmin || (u.Role == access.RoleHandler && u.Unit != "") {
		return nil
	}
	return apperr.New(apperr.Forbidden, "only the area's community workers and admins change the registry")
}

// readsResidents refuses at once the roles that never see residents.
func readsResidents(u access.User) error {
	switch u.Role {
	case access.RoleAdmin, access.RoleLeader, access.RoleHandler:
		return nil
	}
	return apperr.New(apperr.Forbidden, "this role does not see residents")
}

// Buildings lists a compound's buildings.
func (s *Service) Buildings(ctx context.Context, u access.User, compound string) ([]place.Building, error) {
	c, err := s.Places.Compound(ctx, compound)
	if err != nil {
		return nil, err
	}
	if err := access.Require(access.ReadsPlaces(u, c.Area), "read another area's places"); err != nil {
		return nil, err
	}
	return s.Places.Buildings(ctx, compound)
}

// PutBuilding edits a building's floors, low-lying flag and point.
func (s *Service) PutBuilding(ctx context.Context, u access.User, code string, e place.BuildingEdit) (place.Building, error) {
	if err := editsSomething(u); err != nil {
		return place.Building{}, err
	}
	b, err := s.Places.Building(ctx, code)
	if err != nil {
		return b, err
	}
	if err := access.Require(access.EditsArea(u, b.Area), "edit another area's buildings"); err != nil {
		return b, err
	}
	if err := e.Validate(); err != nil {
		return b, err
	}
	return s.Places.UpdateBuilding(ctx, code, e)
}

// HouseholdQuery is a household list request.
type HouseholdQuery struct {
	Area, Compound, Building string
	Limit                    int
	AfterID                  int64
}

// Households lists households u may read.
func (s *Service) Households(ctx context.Context, u access.User, q HouseholdQuery) ([]place.Household, error) {
	sc, err := placeScope(u, q.Area)
	if err != nil {
		return nil, err
	}
	f := place.HouseholdFilter{Area: sc.Area, Compound: q.Compound, Building: q.Building, AfterID: q.AfterID, Limit: q.Limit}
	return s.Places.Households(ctx, f)
}

// CreateHousehold adds a household to a building of u's area.
func (s *Service) CreateHousehold(ctx context.Context, u access.User, n place.NewHousehold) (place.Household, error) {
	if err := editsSomething(u); err != nil {
		return place.Household{}, err
	}
	n.Normalize()
	if err := n.Validate(); err != nil {
		return place.Household{}, err
	}
	b, err := s.Places.Building(ctx, n.Building)
	if apperr.Is(err, apperr.NotFound) {
		return place.Household{}, apperr.Field("building", "no building with this code")
	} else if err != nil {
		return place.Household{}, err
	}
	if err := access.Require(access.EditsArea(u, b.Area), "add households to another area"); err != nil {
		return place.Household{}, err
	}
	return s.Places.CreateHousehold(ctx, b, n)
}

// UpdateHousehold edits a household of u's area (unit, room, kind;
// version checked).
func (s *Service) UpdateHousehold(ctx context.Context, u access.User, id int64, e place.HouseholdEdit) (place.Household, error) {
	if err := editsSomething(u); err != nil {
		return place.Household{}, err
	}
	h, err := s.Places.Household(ctx, id)
	if err != nil {
		return h, err
	}
	if err := access.Require(access.EditsArea(u, h.Area), "edit another area's households"); err != nil {
		return h, err
	}
	if err := e.Validate(); err != nil {
		return h, err
	}
	return s.Places.UpdateHousehold(ctx, id, e, u.Username)
}

// household reads a household named in a body, as a field error when it
// does not exist.
func (s *Service) household(ctx context.Context, id int64) (place.Household, error) {
	h, err := s.Places.Household(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return h, apperr.Field("household", "no household with this id")
	}
	return h, err
}

// ResidentQuery is a resident list request; Q is a name prefix, or an exact
// ID number or phone.
type ResidentQuery struct {
	Area, Compound, Building, Household, Tag, Status, Q string
	Limit                                               int
	AfterID                                             int64
}

// Residents lists the residents u may read, masked.
func (s *Service) Residents(ctx context.Context, u access.User, q ResidentQuery) ([]Resident, error) {
	if err := readsResidents(u); err != nil {
		return nil, err
	}
	sc, err := access.ListScope(u, q.Area)
	if err != nil {
		return nil, err
	}
	f := Filter{Scope: sc, Compound: q.Compound, Building: q.Building, Status: Status(q.Status), AfterID: q.AfterID, Limit: q.Limit}
	fe := apperr.Fields{}
	if q.Household != "" {
		v, err := strconv.ParseInt(q.Household, 10, 64)
		if err != nil || v <= 0 {
			fe.Add("household", "a household id")
		}
		f.Household = v
	}
	for _, t := range strings.Split(q.Tag, ",") {
		if t = strings.TrimSpace(t); t != "" {
			if CareTag(t).Bit() == 0 {
				fe.Add("tag", "one of elderly_alone, elderly_80plus, disabled, low_income, mobility_impaired, child_left_behind")
			}
			f.Tags |= CareTag(t).Bit()
		}
	}
	if q.Status != "" && !f.Status.Valid() {
		fe.Add("status", "one of active, moved_out, deceased")
	}
	if qs := strings.TrimSpace(q.Q); qs != "" {
		if id := NormalizeIDNumber(qs); ValidIDNumber(id) {
			f.IDNumber = id
		} else if p := NormalizePhone(qs); mobilePattern.MatchString(p) || landlinePattern.MatchString(p) {
			f.Phone = p
		} else {
			place.CheckText(fe, "q", qs, 64, false)
			f.Name = qs
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return s.Store.Residents(ctx, f)
}

// resident reads one resident and checks u may see it.
func (s *Service) resident(ctx context.Context, u access.User, id int64) (Resident, error) {
	if err := readsResidents(u); err != nil {
		return Resident{}, err
	}
	r, err := s.Store.Resident(ctx, id)
	if err != nil {
		return r, err
	}
	return r, access.Require(access.SeesPersonal(u, r.Area), "see another area's residents")
}

// Resident returns one resident, masked.
func (s *Service) Resident(ctx context.Context, u access.User, id int64) (Resident, error) {
	return s.resident(ctx, u, id)
}

// CreateResident registers a resident in a household of u's area.
func (s *Service) CreateResident(ctx context.Context, u access.User, n NewResident) (Resident, error) {
	if err := editsSomething(u); err != nil {
		return Resident{}, err
	}
	p, err := n.Person()
	if err != nil {
		return Resident{}, err
	}
	h, err := s.household(ctx, p.Household)
	if err != nil {
		return Resident{}, err
	}
	if err := access.Require(access.EditsArea(u, h.Area), "register residents in another area"); err != nil {
		return Resident{}, err
	}
	return s.Store.Create(ctx, p, u.Username)
}

// PatchResident edits a resident (version checked).
func (s *Service) PatchResident(ctx context.Context, u access.User, id int64, p Patch) (Resident, error) {
	if err := editsSomething(u); err != nil {
		return Resident{}, err
	}
	cur, err := s.resident(ctx, u, id)
	if err != nil {
		return cur, err
	}
	if err := access.Require(access.EditsArea(u, cur.Area), "edit another area's residents"); err != nil {
		return cur, err
	}
	c, err := p.Apply(cur, func() (string, error) { return s.Store.Open(ctx, id, FieldIDNumber) })
	if err != nil {
		return cur, err
	}
	if strconv.FormatInt(c.Household, 10) != cur.Household {
		h, err := s.household(ctx, c.Household)
		if err != nil {
			return cur, err
		}
		if err := access.Require(access.EditsArea(u, h.Area), "move residents to another area"); err != nil {
			return cur, err
		}
	}
	return s.Store.Update(ctx, id, *p.Version, c, u.Username, "resident.update")
}

// MoveOutResident records that a resident moved out or died: the record
// stays, with its history in the audit log.
func (s *Service) MoveOutResident(ctx context.Context, u access.User, id int64, m MoveOut) (Resident, error) {
	if err := editsSomething(u); err != nil {
		return Resident{}, err
	}
	if m.Status == "" {
		m.Status = MovedOut
	}
	if m.Status != MovedOut && m.Status != Deceased {
		return Resident{}, apperr.Field("status", "moved_out or deceased")
	}
	cur, err := s.resident(ctx, u, id)
	if err != nil {
		return cur, err
	}
	if err := access.Require(access.EditsArea(u, cur.Area), "edit another area's residents"); err != nil {
		return cur, err
	}
	if cur.Status != Active {
		return cur, apperr.New(apperr.Conflict, "this resident is already %s", cur.Status)
	}
	var version int64
	if m.Version != nil {
		version = *m.Version
	}
	c := Change{Person: Person{Name: cur.Name, Gender: cur.Gender, BirthDate: cur.BirthDate, Relation: cur.Relation,
		Residence: cur.Residence, Tags: TagMask(cur.CareTags), Status: m.Status}}
	c.Household, _ = strconv.ParseInt(cur.Household, 10, 64)
	return s.Store.Update(ctx, id, version, c, u.Username, "resident."+string(m.Status))
}

// RevealField shows one sealed field in full, audited with the reason.
func (s *Service) RevealField(ctx context.Context, u access.User, id int64, rv Reveal) (string, error) {
	if err := readsResidents(u); err != nil {
		return "", err
	}
	if err := rv.Validate(); err != nil {
		return "", err
	}
	if _, err := s.resident(ctx, u, id); err != nil {
		return "", err
	}
	return s.Store.Reveal(ctx, id, rv.Field, u.Username, rv.Reason)
}

// Summary counts an area's registry (all areas for leaders and admins when
// area is empty).
func (s *Service) Summary(ctx context.Context, u access.User, area string) (Summary, error) {
	if err := readsResidents(u); err != nil {
		return Summary{}, err
	}
	sc, err := access.ListScope(u, area)
	if err != nil {
		return Summary{}, err
	}
	return s.Store.Summary(ctx, sc)
}

// Import reads a committee's spreadsheet (table[0] is its header) into an
// area: all of it or, when any row is bad, nothing; the report lists every
// bad row with its line. The same file twice changes nothing the second
// time.
func (s *Service) Import(ctx context.Context, u access.User, area string, table [][]string, progress Progress) (ImportReport, error) {
	area, err := MayImport(u, area)
	if err != nil {
		return ImportReport{}, err
	}
	rows, problems, err := ParseTable(table)
	if err != nil {
		return ImportReport{}, err
	}
	if len(problems) > 0 {
		return ImportReport{Rows: len(rows) + len(problems), Problems: problems}, nil
	}
	return s.Store.Import(ctx, area, rows, u.Username, progress)
}

// MayImport checks u may import into area ("" is the user's own area)
// before a file is even read, and returns the area.
func MayImport(u access.User, area string) (string, error) {
	if err := editsSomething(u); err != nil {
		return "", err
	}
	if area == "" {
		area = u.Unit
	}
	if area == "" {
		return "", apperr.Field("area", "required: the committee unit code the rows belong to")
	}
	return area, access.Require(access.EditsArea(u, area), "import into another area")
}

// ProblemsErr turns an import's problems into a 400 whose fields name each
// bad line ("line 7": reason), for the HTTP door.
func ProblemsErr(ps []Problem) error {
	f := apperr.Fields{}
	for _, p := range ps {
		f.Add("line "+strconv.Itoa(p.Line), p.Reason)
	}
	e := f.Err().(*apperr.Error)
	e.Message = strconv.Itoa(len(ps)) + " bad row(s); nothing was imported"
	return e
}

// Export lists what u may export. Masked for everyone who reads residents;
// unmasked only for an admin with a recorded reason (audited).
func (s *Service) Export(ctx context.Context, u access.User, q ResidentQuery, unmasked bool, reason string) ([]ExportRow, error) {
	if err := readsResidents(u); err != nil {
		return nil, err
	}
	sc, err := access.ListScope(u, q.Area)
	if err != nil {
		return nil, err
	}
	if unmasked {
		if u.Role != access.RoleAdmin {
			return nil, apperr.New(apperr.Forbidden, "only an admin exports personal data unmasked")
		}
		reason = strings.TrimSpace(reason)
		if reason == "" {
			return nil, apperr.Field("reason", "required for an unmasked export: why the data leaves the system")
		}
		fe := apperr.Fields{}
		place.CheckText(fe, "reason", reason, 200, true)
		if err := fe.Err(); err != nil {
			return nil, err
		}
	}
	f := Filter{Scope: sc, Compound: q.Compound, Building: q.Building, Status: Status(q.Status)}
	fe := apperr.Fields{}
	for _, t := range strings.Split(q.Tag, ",") {
		if t = strings.TrimSpace(t); t != "" {
			if CareTag(t).Bit() == 0 {
				fe.Add("tag", "one of elderly_alone, elderly_80plus, disabled, low_income, mobility_impaired, child_left_behind")
			}
			f.Tags |= CareTag(t).Bit()
		}
	}
	if q.Status != "" && !f.Status.Valid() {
		fe.Add("status", "one of active, moved_out, deceased")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return s.Store.Export(ctx, f, unmasked, u.Username, reason)
}
