package patrol

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/order"
)

// Store is what the module needs from its storage (patroldb).
type Store interface {
	AreaKind(ctx context.Context, unit string) (string, error) // "" when the unit does not exist
	UserRole(ctx context.Context, username string) (access.Role, error)
	CompoundArea(ctx context.Context, compound string) (string, error) // NotFound when unknown
	Compounds(ctx context.Context, scope access.Scope) ([]Compound, error)
	BuildingKnown(ctx context.Context, compound, building string) (bool, error)
	// ResidentStatus is a registry resident's area and status (NotFound
	// when there is no such resident).
	ResidentStatus(ctx context.Context, id string) (area, status string, err error)

	CreateTeam(ctx context.Context, t Team) (Team, error)
	Team(ctx context.Context, id string) (Team, error)
	Teams(ctx context.Context, scope access.Scope, limit int, cursor string) ([]Team, string, error)

	CreateVolunteer(ctx context.Context, v Volunteer) (Volunteer, error)
	UpdateVolunteer(ctx context.Context, v Volunteer, prevVersion int64) (Volunteer, error)
	Volunteer(ctx context.Context, id string) (Volunteer, error)
	VolunteerByUser(ctx context.Context, username string) (Volunteer, error)
	Volunteers(ctx context.Context, f VolunteerFilter) ([]Volunteer, string, error)
	VolunteersByID(ctx context.Context, ids []string) (map[string]Volunteer, error)

	// CreateShifts stores shifts in one transaction, refusing (Invalid on
	// "volunteers") any volunteer put on two shifts at once.
	CreateShifts(ctx context.Context, shifts []Shift) ([]Shift, error)
	Shift(ctx context.Context, id string) (Shift, error)
	Shifts(ctx context.Context, f ShiftFilter) ([]Shift, string, error)
	// UpdateShift reads the shift locked, lets decide change it, checks the
	// version and (when the volunteers changed) overlaps, and writes it.
	UpdateShift(ctx context.Context, id string, decide func(cur Shift) (Shift, error)) (Shift, error)
	// AddFinding writes a log entry in tx (its own transaction when tx is
	// nil), after check has accepted the shift as read locked in it.
	AddFinding(ctx context.Context, tx *sql.Tx, f Finding, check func(Shift) error) (Finding, error)
	Findings(ctx context.Context, shift string) ([]Finding, error)
	// FindingByEntry is the finding stored under a phone's entry_id on a
	// shift (NotFound when none).
	FindingByEntry(ctx context.Context, shift, entry string) (Finding, error)
	FindingPhoto(ctx context.Context, id string) (Finding, error)
	Busy(ctx context.Context, volunteers []string, from, to time.Time) ([]Busy, error)
	SlotsTaken(ctx context.Context, compounds []string, from, to time.Time) ([]Shift, error)
}

// OrderCreator creates a work order through the orders' own create path and
// runs after inside the order's transaction (the orders' service, adapted).
type OrderCreator interface {
	CreatePatrolOrder(ctx context.Context, u access.User, in order.NewOrder,
		after func(ctx context.Context, tx *sql.Tx, id, number string) error) (id, number string, err error)
}

// Compound is a compound with its area, for coverage.
type Compound struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Area string `json:"area"`
}

// VolunteerFilter narrows a volunteer list.
type VolunteerFilter struct {
	Scope  access.Scope
	Team   string
	Q      string
	Limit  int
	Cursor string
}

// ShiftFilter narrows a shift list.
type ShiftFilter struct {
	Scope     access.Scope
	Volunteer string // only this volunteer's shifts
	Compound  string
	From, To  *time.Time // shifts starting in [From, To)
	OnDuty    bool       // someone checked in and not out
	Limit     int
	Cursor    string
}

// Service is the module's application layer.
type Service struct {
	Store  Store
	Orders OrderCreator
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond) // what both databases keep
}

// Limit reads a list's limit: default 50, at most max.
func Limit(v string, max int) (int, error) {
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, apperr.Field("limit", "must be 1 to "+strconv.Itoa(max))
	}
	return n, nil
}

func (s *Service) checkArea(ctx context.Context, area string) error {
	kind, err := s.Store.AreaKind(ctx, area)
	if err != nil {
		return err
	}
	if kind != "committee" {
		return apperr.Field("area", "not a residential committee")
	}
	return nil
}

// CreateTeam adds a team to an area (the handler's own when not given).
func (s *Service) CreateTeam(ctx context.Context, u access.User, name, area string) (Team, error) {
	if area == "" && u.Role == access.RoleHandler {
		area = u.Unit
	}
	f := apperr.Fields{}
	name = strings.TrimSpace(name)
	checkText(f, "name", name, true, 50)
	checkText(f, "area", area, true, 64)
	if err := f.Err(); err != nil {
		return Team{}, err
	}
	if err := access.Require(access.EditsArea(u, area), "only the area's workers and admins add its teams"); err != nil {
		return Team{}, err
	}
	if err := s.checkArea(ctx, area); err != nil {
		return Team{}, err
	}
	t, err := s.Store.CreateTeam(ctx, Team{Name: name, Area: area, CreatedAt: s.now()})
	if apperr.Is(err, apperr.Conflict) {
		return Team{}, apperr.Field("name", "the area already has a team of this name")
	}
	return t, err
}

// Teams lists the teams u may see.
func (s *Service) Teams(ctx context.Context, u access.User, area string, limit int, cursor string) ([]Team, string, error) {
	sc, err := access.ListScope(u, area)
	if err != nil {
		return nil, "", err
	}
	return s.Store.Teams(ctx, sc, limit, cursor)
}

// CreateVolunteer adds a volunteer.
func (s *Service) CreateVolunteer(ctx context.Context, u access.User, in VolunteerInput) (Volunteer, error) {
	v, err := in.Apply(Volunteer{})
	if err != nil {
		return Volunteer{}, err
	}
	if v.Area == "" && v.Team == "" && u.Role == access.RoleHandler {
		v.Area = u.Unit // a team, when given, names the area
	}
	if err := s.resolve(ctx, u, &v, ""); err != nil {
		return Volunteer{}, err
	}
	if err := s.checkResident(ctx, v); err != nil {
		return Volunteer{}, err
	}
	now := s.now()
	v.Version, v.CreatedAt, v.UpdatedAt = 1, now, now
	v, err = s.Store.CreateVolunteer(ctx, v)
	if apperr.Is(err, apperr.Conflict) {
		return Volunteer{}, apperr.Field("user", "this login already belongs to another volunteer")
	}
	return v, err
}

// resolve checks a volunteer's area (and u's right to edit it), team and
// login against the store.
func (s *Service) resolve(ctx context.Context, u access.User, v *Volunteer, self string) error {
	if v.Team != "" {
		t, err := s.Store.Team(ctx, v.Team)
		if apperr.Is(err, apperr.NotFound) {
			return apperr.Field("team", "no such team")
		}
		if err != nil {
			return err
		}
		if v.Area == "" {
			v.Area = t.Area
		}
		if t.Area != v.Area {
			return apperr.Field("team", "the team belongs to another area")
		}
	}
	if v.Area == "" {
		return apperr.Field("area", "required (or a team)")
	}
	if err := access.Require(access.EditsArea(u, v.Area), "only the area's workers and admins manage its volunteers"); err != nil {
		return err
	}
	if err := s.checkArea(ctx, v.Area); err != nil {
		return err
	}
	if v.User != nil {
		role, err := s.Store.UserRole(ctx, *v.User)
		if apperr.Is(err, apperr.NotFound) {
			return apperr.Field("user", "no such login")
		}
		if err != nil {
			return err
		}
		if role != access.RoleVolunteer {
			return apperr.Field("user", "must be a volunteer login")
		}
		if other, err := s.Store.VolunteerByUser(ctx, *v.User); err == nil && other.ID != self {
			return apperr.Field("user", "this login already belongs to another volunteer")
		}
	}
	return nil
}

// checkResident checks a volunteer's link to the registry: the resident
// exists, is active (not moved out or deceased), and lives in the
// volunteer's area.
func (s *Service) checkResident(ctx context.Context, v Volunteer) error {
	if v.Resident == nil {
		return nil
	}
	area, status, err := s.Store.ResidentStatus(ctx, *v.Resident)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return apperr.Field("resident", "no such resident in the registry")
	case err != nil:
		return err
	case status != "active":
		return apperr.Field("resident", "the resident is "+status+", not active")
	case area != v.Area:
		return apperr.Field("resident", "the resident lives in another area")
	}
	return nil
}

// GetVolunteer returns a volunteer u may read: the area's readers, and the
// volunteer themselves.
func (s *Service) GetVolunteer(ctx context.Context, u access.User, id string) (Volunteer, error) {
	v, err := s.Store.Volunteer(ctx, id)
	if err != nil {
		return Volunteer{}, err
	}
	self := u.Role == access.RoleVolunteer && v.User != nil && *v.User == u.Username
	if !self && !access.ReadsArea(u, v.Area) {
		return Volunteer{}, apperr.New(apperr.Forbidden, "this volunteer belongs to another area")
	}
	return v, nil
}

// UpdateVolunteer changes what the input gives, at the version given.
func (s *Service) UpdateVolunteer(ctx context.Context, u access.User, id string, in VolunteerInput) (Volunteer, error) {
	if in.Version == nil {
		return Volunteer{}, apperr.Field("version", "required")
	}
	cur, err := s.Store.Volunteer(ctx, id)
	if err != nil {
		return Volunteer{}, err
	}
	if err := access.Require(access.EditsArea(u, cur.Area), "only the area's workers and admins manage its volunteers"); err != nil {
		return Volunteer{}, err
	}
	v, err := in.Apply(cur)
	if err != nil {
		return Volunteer{}, err
	}
	if *in.Version != cur.Version {
		return Volunteer{}, apperr.New(apperr.Conflict, "someone else changed this volunteer; reload it").Because(apperr.ReasonStale)
	}
	if err := s.resolve(ctx, u, &v, cur.ID); err != nil {
		return Volunteer{}, err
	}
	// A resident already linked is not checked again on an edit of
	// something else: moving out later does not make the volunteer's other
	// details uneditable.
	if in.Resident != nil || v.Area != cur.Area {
		if err := s.checkResident(ctx, v); err != nil {
			return Volunteer{}, err
		}
	}
	v.Version, v.UpdatedAt = cur.Version+1, s.now()
	return s.Store.UpdateVolunteer(ctx, v, cur.Version)
}

// Volunteers lists the volunteers u may see.
func (s *Service) Volunteers(ctx context.Context, u access.User, area string, f VolunteerFilter) ([]Volunteer, string, error) {
	sc, err := access.ListScope(u, area)
	if err != nil {
		return nil, "", err
	}
	f.Scope = sc
	if utf8.RuneCountInString(f.Q) > 50 {
		return nil, "", apperr.Field("q", "too long")
	}
	return s.Store.Volunteers(ctx, f)
}

// ShiftInput is the body of POST /api/v1/shifts.
type ShiftInput struct {
	Compound   string   `json:"compound"`
	Date       string   `json:"date"`
	Start      string   `json:"start"`
	End        string   `json:"end"`
	Volunteers []string `json:"volunteers"`
}

// build validates a shift and fills its times.
func (s *Service) build(ctx context.Context, u access.User, in ShiftInput) (Shift, error) {
	f := apperr.Fields{}
	day, err := ParseDate(in.Date)
	if err != nil {
		f.Add("date", "must be a date YYYY-MM-DD")
	}
	st, ok1 := ParseHM(in.Start)
	en, ok2 := ParseHM(in.End)
	if !ok1 {
		f.Add("start", "must be HH:MM")
	}
	if !ok2 {
		f.Add("end", "must be HH:MM")
	}
	if ok1 && ok2 && en <= st {
		f.Add("end", "must be after start")
	}
	if len(in.Volunteers) == 0 {
		f.Add("volunteers", "at least one")
	}
	if len(in.Volunteers) > 20 {
		f.Add("volunteers", "at most 20")
	}
	seen := map[string]bool{}
	for _, v := range in.Volunteers {
		if seen[v] {
			f.Add("volunteers", "a volunteer is listed twice")
		}
		seen[v] = true
	}
	checkText(f, "compound", in.Compound, true, 64)
	if err := f.Err(); err != nil {
		return Shift{}, err
	}
	area, err := s.Store.CompoundArea(ctx, in.Compound)
	if apperr.Is(err, apperr.NotFound) {
		return Shift{}, apperr.Field("compound", "no such compound")
	}
	if err != nil {
		return Shift{}, err
	}
	if err := access.Require(access.EditsArea(u, area), "only the area's workers and admins plan its patrols"); err != nil {
		return Shift{}, err
	}
	if err := s.checkVolunteers(ctx, area, in.Volunteers); err != nil {
		return Shift{}, err
	}
	w := Window{st, en}
	a, b := w.Span(day)
	now := s.now()
	sh := Shift{Area: area, Compound: in.Compound, Date: in.Date, Start: in.Start, End: in.End, StartsAt: a, EndsAt: b,
		Version: 1, CreatedAt: now, UpdatedAt: now}
	for _, v := range in.Volunteers {
		sh.Attendance = append(sh.Attendance, Attendance{Volunteer: v})
	}
	return sh, nil
}

func (s *Service) checkVolunteers(ctx context.Context, area string, ids []string) error {
	vs, err := s.Store.VolunteersByID(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		v, ok := vs[id]
		if !ok {
			return apperr.Field("volunteers", "no volunteer "+truncate(id, 40))
		}
		if v.Area != area {
			return apperr.Field("volunteers", "volunteer "+id+" belongs to another area")
		}
	}
	return nil
}

// CreateShift adds one shift.
func (s *Service) CreateShift(ctx context.Context, u access.User, in ShiftInput) (Shift, error) {
	sh, err := s.build(ctx, u, in)
	if err != nil {
		return Shift{}, err
	}
	out, err := s.Store.CreateShifts(ctx, []Shift{sh})
	if err != nil {
		return Shift{}, err
	}
	return out[0], nil
}

// PlanInput is the body of POST /api/v1/shifts/plan.
type PlanInput struct {
	Compounds []string `json:"compounds"`
	From      string   `json:"from"`
	To        string   `json:"to"`
	Windows   []string `json:"windows"`
	Team      string   `json:"team"`
	PerShift  int      `json:"per_shift"`
}

// PlanResult is the rota made.
type PlanResult struct {
	Shifts   []Shift
	Unfilled []Unfilled
}

// MaxPlanDays bounds one plan: a month and a bit.
const MaxPlanDays = 62

// PlanShifts makes a fair rota for a team over compounds, days and windows
// and stores it in one transaction.
func (s *Service) PlanShifts(ctx context.Context, u access.User, in PlanInput) (PlanResult, error) {
	f := apperr.Fields{}
	from, err1 := ParseDate(in.From)
	to, err2 := ParseDate(in.To)
	if err1 != nil {
		f.Add("from", "must be a date YYYY-MM-DD")
	}
	if err2 != nil {
		f.Add("to", "must be a date YYYY-MM-DD")
	}
	if err1 == nil && err2 == nil && (to.Before(from) || len(Dates(from, to)) > MaxPlanDays) {
		f.Add("to", "must be on or after from, at most 62 days")
	}
	if len(in.Compounds) == 0 || len(in.Compounds) > 50 {
		f.Add("compounds", "1 to 50 compounds")
	}
	if len(in.Windows) == 0 {
		in.Windows = []string{"08:00-10:00", "14:00-16:00"}
	}
	if len(in.Windows) > 12 {
		f.Add("windows", "at most 12")
	}
	var windows []Window
	for _, ws := range in.Windows {
		w, ok := ParseWindow(ws)
		if !ok {
			f.Add("windows", "each window is HH:MM-HH:MM with its end after its start")
		}
		windows = append(windows, w)
	}
	for i := range windows {
		for j := range i {
			if windows[i].Start < windows[j].End && windows[j].Start < windows[i].End {
				f.Add("windows", "windows overlap")
			}
		}
	}
	if in.PerShift == 0 {
		in.PerShift = 2
	}
	if in.PerShift < 1 || in.PerShift > 20 {
		f.Add("per_shift", "1 to 20")
	}
	checkText(f, "team", in.Team, true, 64)
	if err := f.Err(); err != nil {
		return PlanResult{}, err
	}
	team, err := s.Store.Team(ctx, in.Team)
	if apperr.Is(err, apperr.NotFound) {
		return PlanResult{}, apperr.Field("team", "no such team")
	}
	if err != nil {
		return PlanResult{}, err
	}
	if err := access.Require(access.EditsArea(u, team.Area), "only the area's workers and admins plan its patrols"); err != nil {
		return PlanResult{}, err
	}
	for _, c := range in.Compounds {
		area, err := s.Store.CompoundArea(ctx, c)
		if apperr.Is(err, apperr.NotFound) {
			return PlanResult{}, apperr.Field("compounds", "no compound "+truncate(c, 40))
		}
		if err != nil {
			return PlanResult{}, err
		}
		if area != team.Area {
			return PlanResult{}, apperr.Field("compounds", "compound "+c+" is in another area than the team")
		}
	}
	vols, err := s.teamVolunteers(ctx, team)
	if err != nil {
		return PlanResult{}, err
	}
	if len(vols) == 0 {
		return PlanResult{}, apperr.Field("team", "the team has no volunteers")
	}
	ids := make([]string, len(vols))
	for i, v := range vols {
		ids[i] = v.ID
	}
	end := to.AddDate(0, 0, 1)
	busy, err := s.Store.Busy(ctx, ids, from.UTC(), end.UTC())
	if err != nil {
		return PlanResult{}, err
	}
	taken, err := s.Store.SlotsTaken(ctx, in.Compounds, from.UTC(), end.UTC())
	if err != nil {
		return PlanResult{}, err
	}
	existing := map[string]bool{}
	for _, sh := range taken {
		st, _ := ParseHM(sh.Start)
		en, _ := ParseHM(sh.End)
		existing[SlotKey(sh.Compound, sh.Date, Window{st, en})] = true
	}
	planned, short := Plan(PlanRequest{Compounds: in.Compounds, Dates: Dates(from, to), Windows: windows, Volunteers: vols,
		PerShift: in.PerShift, Busy: busy, Existing: existing})
	now := s.now()
	shifts := make([]Shift, 0, len(planned))
	for _, p := range planned {
		day, _ := ParseDate(p.Date)
		a, b := p.Window.Span(day)
		sh := Shift{Area: team.Area, Compound: p.Compound, Date: p.Date, Start: HM(p.Window.Start), End: HM(p.Window.End),
			StartsAt: a, EndsAt: b, Version: 1, CreatedAt: now, UpdatedAt: now}
		for _, v := range p.Volunteers {
			sh.Attendance = append(sh.Attendance, Attendance{Volunteer: v})
		}
		shifts = append(shifts, sh)
	}
	if len(shifts) > 0 {
		if shifts, err = s.Store.CreateShifts(ctx, shifts); err != nil {
			return PlanResult{}, err
		}
	}
	if short == nil {
		short = []Unfilled{}
	}
	return PlanResult{Shifts: shifts, Unfilled: short}, nil
}

func (s *Service) teamVolunteers(ctx context.Context, team Team) ([]Volunteer, error) {
	var out []Volunteer
	cursor := ""
	for {
		vs, next, err := s.Store.Volunteers(ctx, VolunteerFilter{Scope: access.Scope{Area: team.Area}, Team: team.ID, Limit: 500, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

// ShiftPatch is the body of PATCH /api/v1/shifts/{id}: a swap of one
// volunteer for another, a new list of volunteers, or a cancellation.
type ShiftPatch struct {
	Version    *int64   `json:"version"`
	Cancel     bool     `json:"cancel"`
	Status     string   `json:"status"` // "cancelled" is the same as cancel
	Swap       *Swap    `json:"swap"`
	Volunteers []string `json:"volunteers"`
}

// Swap replaces one volunteer of a shift with another.
type Swap struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// PatchShift swaps volunteers or cancels a shift that has not started.
func (s *Service) PatchShift(ctx context.Context, u access.User, id string, p ShiftPatch) (Shift, error) {
	if p.Version == nil {
		return Shift{}, apperr.Field("version", "required")
	}
	if p.Status != "" && p.Status != Cancelled {
		return Shift{}, apperr.Field("status", "only cancelled may be set")
	}
	cancel := p.Cancel || p.Status == Cancelled
	if !cancel && p.Swap == nil && p.Volunteers == nil {
		return Shift{}, apperr.Field("body", "give swap, volunteers or cancel")
	}
	now := s.now()
	return s.Store.UpdateShift(ctx, id, func(cur Shift) (Shift, error) {
		if err := access.Require(access.EditsArea(u, cur.Area), "only the area's workers and admins change its rota"); err != nil {
			return Shift{}, err
		}
		if *p.Version != cur.Version {
			return Shift{}, apperr.New(apperr.Conflict, "someone else changed this shift; reload it").Because(apperr.ReasonStale)
		}
		if st := cur.Status(now); st != Planned {
			return Shift{}, apperr.New(apperr.Conflict, "the shift is %s; only a planned shift changes", st)
		}
		n := cur
		n.Version, n.UpdatedAt = cur.Version+1, now
		if cancel {
			n.Cancelled = true
			return n, nil
		}
		ids := cur.VolunteerIDs()
		if p.Volunteers != nil {
			ids = p.Volunteers
		}
		if sw := p.Swap; sw != nil {
			i := slices.Index(ids, sw.From)
			if i < 0 {
				return Shift{}, apperr.Field("swap.from", "not on this shift")
			}
			if slices.Contains(ids, sw.To) {
				return Shift{}, apperr.Field("swap.to", "already on this shift")
			}
			ids = slices.Clone(ids)
			ids[i] = sw.To
		}
		if len(ids) == 0 || len(ids) > 20 {
			return Shift{}, apperr.Field("volunteers", "1 to 20 volunteers")
		}
		seen := map[string]bool{}
		for _, v := range ids {
			if seen[v] {
				return Shift{}, apperr.Field("volunteers", "a volunteer is listed twice")
			}
			seen[v] = true
		}
		if err := s.checkVolunteers(ctx, cur.Area, ids); err != nil {
			return Shift{}, err
		}
		n.Attendance = nil
		for _, v := range ids {
			n.Attendance = append(n.Attendance, Attendance{Volunteer: v})
		}
		return n, nil
	})
}

// GetShift returns a shift u may see.
func (s *Service) GetShift(ctx context.Context, u access.User, id string) (Shift, error) {
	sh, err := s.Store.Shift(ctx, id)
	if err != nil {
		return Shift{}, err
	}
	if _, err := s.actingVolunteer(ctx, u, sh, ""); err != nil {
		if access.ReadsArea(u, sh.Area) {
			return sh, nil
		}
		return Shift{}, err
	}
	return sh, nil
}

// Shifts lists shifts: a volunteer's own, or those of the areas u reads.
func (s *Service) Shifts(ctx context.Context, u access.User, area string, f ShiftFilter) ([]Shift, string, error) {
	if u.Role == access.RoleVolunteer {
		v, err := s.Store.VolunteerByUser(ctx, u.Username)
		if apperr.Is(err, apperr.NotFound) {
			return []Shift{}, "", nil
		}
		if err != nil {
			return nil, "", err
		}
		f.Scope, f.Volunteer = access.Scope{All: true}, v.ID
		return s.Store.Shifts(ctx, f)
	}
	sc, err := access.ListScope(u, area)
	if err != nil {
		return nil, "", err
	}
	f.Scope = sc
	return s.Store.Shifts(ctx, f)
}

// actingVolunteer is the volunteer a check-in or finding is for: a
// volunteer login acts for itself and only on its own shifts; the area's
// workers and admins act for the volunteer named (or nobody, for a log
// entry of their own).
func (s *Service) actingVolunteer(ctx context.Context, u access.User, sh Shift, named string) (string, error) {
	if u.Role == access.RoleVolunteer {
		v, err := s.Store.VolunteerByUser(ctx, u.Username)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return "", err
		}
		if err != nil || !sh.Has(v.ID) {
			return "", apperr.New(apperr.Forbidden, "a volunteer acts only on their own shifts")
		}
		if named != "" && named != v.ID {
			return "", apperr.New(apperr.Forbidden, "a volunteer acts only for themselves")
		}
		return v.ID, nil
	}
	if !access.EditsArea(u, sh.Area) {
		return "", apperr.New(apperr.Forbidden, "this shift belongs to another area")
	}
	if named != "" && !sh.Has(named) {
		return "", apperr.Field("volunteer", "not on this shift")
	}
	return named, nil
}

// CheckInput is the body of check_in and check_out.
type CheckInput struct {
	Time      *time.Time `json:"time"`
	Position  *Position  `json:"position"`
	Volunteer string     `json:"volunteer"`
}

// Check records a check-in (in) or check-out of the acting volunteer.
func (s *Service) Check(ctx context.Context, u access.User, id string, in bool, ci CheckInput) (Shift, error) {
	if !ci.Position.Valid() {
		return Shift{}, apperr.Field("position", "lat -90..90, lng -180..180")
	}
	now := s.now()
	at := now
	if ci.Time != nil {
		at = ci.Time.UTC().Truncate(time.Microsecond)
		if at.After(now.Add(2 * time.Minute)) {
			return Shift{}, apperr.Field("time", "in the future")
		}
	}
	return s.Store.UpdateShift(ctx, id, func(cur Shift) (Shift, error) {
		vid, err := s.actingVolunteer(ctx, u, cur, ci.Volunteer)
		if err != nil {
			return Shift{}, err
		}
		if vid == "" {
			return Shift{}, apperr.Field("volunteer", "required: which volunteer")
		}
		if cur.Cancelled {
			return Shift{}, apperr.New(apperr.Conflict, "the shift is cancelled")
		}
		n := cur
		n.Attendance = slices.Clone(cur.Attendance)
		i := slices.IndexFunc(n.Attendance, func(a Attendance) bool { return a.Volunteer == vid })
		a := n.Attendance[i]
		if in {
			if a.CheckIn != nil {
				return Shift{}, apperr.New(apperr.Conflict, "already checked in")
			}
			if at.Before(cur.StartsAt.Add(-CheckInEarly)) || !at.Before(cur.EndsAt) {
				return Shift{}, apperr.Field("time", "a check-in is from 30 minutes before the shift's start until its end")
			}
			a.CheckIn, a.InPosition = &at, ci.Position
		} else {
			if a.CheckIn == nil {
				return Shift{}, apperr.New(apperr.Conflict, "not checked in")
			}
			if a.CheckOut != nil {
				return Shift{}, apperr.New(apperr.Conflict, "already checked out")
			}
			if at.Before(*a.CheckIn) {
				return Shift{}, apperr.Field("time", "before the check-in")
			}
			a.CheckOut, a.OutPosition = &at, ci.Position
		}
		n.Attendance[i] = a
		n.Version, n.UpdatedAt = cur.Version+1, now
		return n, nil
	})
}

// FindingInput is the body of POST /api/v1/shifts/{id}/findings.
type FindingInput struct {
	Text        string  `json:"text"`
	Photo       *string `json:"photo"`
	Building    *string `json:"building"`
	CreateOrder bool    `json:"create_order"`
	Volunteer   string  `json:"volunteer"`
	// EntryID is the id the phone made for the entry when it was written
	// (offline, perhaps): a second send of it stores nothing and answers
	// the first (community.md "Working in the field, offline").
	EntryID string `json:"entry_id"`
}

// MaxPhoto is the largest photo a finding keeps (after base64 decoding).
const MaxPhoto = 600 << 10

// AddFinding writes a patrol log entry; with create_order the finding
// becomes a work order (source patrol) in the same transaction.
func (s *Service) AddFinding(ctx context.Context, u access.User, shiftID string, in FindingInput) (Finding, error) {
	f := apperr.Fields{}
	in.Text = strings.TrimSpace(in.Text)
	checkText(f, "text", in.Text, true, 2000)
	var building *string
	if in.Building != nil && strings.TrimSpace(*in.Building) != "" {
		b := strings.TrimSpace(*in.Building)
		checkText(f, "building", b, false, 50)
		building = &b
	}
	var photo []byte
	var ptype string
	if in.Photo != nil && *in.Photo != "" {
		var err error
		if photo, ptype, err = DecodePhoto(*in.Photo); err != nil {
			f.Add("photo", err.Error())
		}
	}
	if in.EntryID != "" && !ValidEntryID(in.EntryID) {
		f.Add("entry_id", "8 to 64 letters, digits, '-' or '_'")
	}
	if err := f.Err(); err != nil {
		return Finding{}, err
	}
	sh, err := s.Store.Shift(ctx, shiftID)
	if err != nil {
		return Finding{}, err
	}
	vid, err := s.actingVolunteer(ctx, u, sh, in.Volunteer)
	if err != nil {
		return Finding{}, err
	}
	// A repeated send is answered before the shift's state is looked at: a
	// phone that wrote the entry on patrol and lost the answer may send it
	// again after the shift closed.
	if in.EntryID != "" {
		prev, err := s.replay(ctx, sh.ID, in, building, photo != nil)
		if err == nil || !apperr.Is(err, apperr.NotFound) {
			return prev, err
		}
	}
	now := s.now()
	check := func(cur Shift) error {
		if cur.Closed(now) {
			return apperr.New(apperr.Conflict, "the shift is %s: its log is closed", cur.Status(now))
		}
		return nil
	}
	if err := check(sh); err != nil {
		return Finding{}, err
	}
	if building != nil {
		ok, err := s.Store.BuildingKnown(ctx, sh.Compound, *building)
		if err != nil {
			return Finding{}, err
		}
		if !ok {
			return Finding{}, apperr.Field("building", "no such building in compound "+sh.Compound)
		}
	}
	fd := Finding{Shift: sh.ID, Actor: u.Username, Text: in.Text, Building: building, Photo: photo, PhotoType: ptype,
		HasPhoto: photo != nil, CreatedAt: now}
	if vid != "" {
		fd.Volunteer = &vid
	}
	if in.EntryID != "" {
		fd.EntryID = &in.EntryID
	}
	out, err := s.addFinding(ctx, u, sh, in, fd, check)
	if errors.Is(err, ErrEntryTaken) { // the same entry, sent twice at once: the other send stored it
		return s.replay(ctx, sh.ID, in, building, photo != nil)
	}
	return out, err
}

// replay answers a finding already stored under in.EntryID (NotFound when
// there is none); an entry_id reused for another text is a conflict.
func (s *Service) replay(ctx context.Context, shift string, in FindingInput, building *string, photo bool) (Finding, error) {
	prev, err := s.Store.FindingByEntry(ctx, shift, in.EntryID)
	if err != nil {
		return Finding{}, err
	}
	same := prev.Text == in.Text && (prev.Order != nil) == in.CreateOrder && prev.HasPhoto == photo &&
		((prev.Building == nil && building == nil) || (prev.Building != nil && building != nil && *prev.Building == *building))
	if !same {
		return Finding{}, apperr.New(apperr.Conflict, "this entry_id was already used for a different entry")
	}
	prev.Replayed = true
	return prev, nil
}

func (s *Service) addFinding(ctx context.Context, u access.User, sh Shift, in FindingInput, fd Finding, check func(Shift) error) (Finding, error) {
	building := fd.Building
	if !in.CreateOrder {
		return s.Store.AddFinding(ctx, nil, fd, check)
	}
	if s.Orders == nil {
		return Finding{}, apperr.New(apperr.Internal, "no order service configured")
	}
	title := []rune(in.Text)
	if len(title) > 40 {
		title = append(title[:40], '…')
	}
	no := order.NewOrder{Type: order.Report, Source: order.SourcePatrol, Title: "巡逻发现：" + string(title), Description: in.Text,
		Compound: sh.Compound}
	if building != nil {
		no.Building = *building
	}
	var out Finding
	_, _, err := s.Orders.CreatePatrolOrder(ctx, u, no, func(ctx context.Context, tx *sql.Tx, id, number string) error {
		fd.Order, fd.OrderNumber = &id, &number
		var err error
		out, err = s.Store.AddFinding(ctx, tx, fd, check)
		return err
	})
	if err != nil {
		return Finding{}, err
	}
	return out, nil
}

// Findings lists a shift's log.
func (s *Service) Findings(ctx context.Context, u access.User, shiftID string) ([]Finding, error) {
	if _, err := s.GetShift(ctx, u, shiftID); err != nil {
		return nil, err
	}
	return s.Store.Findings(ctx, shiftID)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// FindingPhoto returns a finding's photo to whoever may see its shift.
func (s *Service) FindingPhoto(ctx context.Context, u access.User, id string) (Finding, error) {
	f, err := s.Store.FindingPhoto(ctx, id)
	if err != nil {
		return Finding{}, err
	}
	if _, err := s.GetShift(ctx, u, f.Shift); err != nil {
		return Finding{}, err
	}
	if f.Photo == nil {
		return Finding{}, apperr.New(apperr.NotFound, "this finding has no photo")
	}
	return f, nil
}
