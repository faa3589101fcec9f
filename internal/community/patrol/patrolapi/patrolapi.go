// Package patrolapi is the HTTP door of the patrol module (community.md §2):
// handlers that only translate between HTTP and patrol.Service.
package patrolapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/community/patrol"
	"hotline/internal/httpx"
)

// Mount adds the module's routes.
func Mount(rt httpx.Routes, svc *patrol.Service) {
	h := handlers{svc: svc}
	for _, r := range h.routes() {
		rt.Authed(r.pattern, r.name, r.h)
	}
}

type route struct {
	pattern, name string
	h             httpx.HandlerFunc
}

// routes is the module's route table, shared by Mount and MountUnavailable
// so that both answer exactly the same paths.
func (h handlers) routes() []route {
	return []route{
		{"GET /api/v1/volunteer_teams", "patrol.teams", h.teams},
		{"POST /api/v1/volunteer_teams", "patrol.team_create", h.createTeam},
		{"GET /api/v1/volunteers", "patrol.volunteers", h.volunteers},
		{"POST /api/v1/volunteers", "patrol.volunteer_create", h.createVolunteer},
		{"GET /api/v1/volunteers/{id}", "patrol.volunteer", h.volunteer},
		{"PATCH /api/v1/volunteers/{id}", "patrol.volunteer_patch", h.patchVolunteer},
		{"GET /api/v1/volunteers/{id}/hours", "patrol.hours", h.hours},
		{"GET /api/v1/volunteer_hours.xlsx", "patrol.hours_export", h.hoursExport},
		{"POST /api/v1/shifts/plan", "patrol.plan", h.plan},
		{"GET /api/v1/shifts", "patrol.shifts", h.shifts},
		{"POST /api/v1/shifts", "patrol.shift_create", h.createShift},
		{"GET /api/v1/shifts/{id}", "patrol.shift", h.shift},
		{"PATCH /api/v1/shifts/{id}", "patrol.shift_patch", h.patchShift},
		{"POST /api/v1/shifts/{id}/check_in", "patrol.check_in", h.check(true)},
		{"POST /api/v1/shifts/{id}/check_out", "patrol.check_out", h.check(false)},
		{"GET /api/v1/shifts/{id}/findings", "patrol.findings", h.findings},
		{"POST /api/v1/shifts/{id}/findings", "patrol.finding_create", h.addFinding},
		{"GET /api/v1/findings/{id}/photo", "patrol.finding_photo", h.photo},
		{"GET /api/v1/patrols/coverage", "patrol.coverage", h.coverage},
	}
}

// NoKey is what the patrol routes answer when the server has no data key:
// volunteers' phones are sealed and never kept in plaintext, so the module
// is off (the registry's rule), and a client is told why and how to turn it
// on instead of getting a 404 or a module that works without phones.
const NoKey = "volunteers and patrols are off: they keep volunteers' phones sealed and this server has no data key; " +
	"start the server with --data-key-file FILE (made by `hotline keys generate`) or HOTLINE_DATA_KEY"

// MountUnavailable answers every patrol route with 503 unavailable and
// NoKey, after the usual authentication (an anonymous client learns
// nothing about the server's configuration).
func MountUnavailable(rt httpx.Routes) {
	off := func(http.ResponseWriter, *http.Request) error { return apperr.New(apperr.Unavailable, "%s", NoKey) }
	for _, r := range (handlers{}).routes() {
		rt.Authed(r.pattern, r.name, off)
	}
}

type handlers struct{ svc *patrol.Service }

func user(r *http.Request) access.User {
	u, _ := httpx.UserFrom(r.Context())
	return u
}

// VolunteerJSON is a volunteer as the API shows it: the phone masked.
type VolunteerJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Phone       string    `json:"phone"`
	PartyMember bool      `json:"party_member"`
	Skills      []string  `json:"skills"`
	Team        *string   `json:"team"`
	Area        string    `json:"area"`
	Resident    *string   `json:"resident"`
	User        *string   `json:"user"`
	Unavailable []string  `json:"unavailable"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// VolunteerOut renders a volunteer (its Phone already holds the masked
// form the store keeps: the API never opens a ciphertext).
func VolunteerOut(v patrol.Volunteer) VolunteerJSON {
	var team *string
	if v.Team != "" {
		team = &v.Team
	}
	return VolunteerJSON{ID: v.ID, Name: v.Name, Phone: v.Phone.Reveal(), PartyMember: v.PartyMember, Skills: v.Skills, Team: team,
		Area: v.Area, Resident: v.Resident, User: v.User, Unavailable: v.Unavailable, Version: v.Version, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
}

// ShiftJSON is a shift as the API shows it.
type ShiftJSON struct {
	ID         string              `json:"id"`
	Area       string              `json:"area"`
	Compound   string              `json:"compound"`
	Date       string              `json:"date"`
	Start      string              `json:"start"`
	End        string              `json:"end"`
	Volunteers []string            `json:"volunteers"`
	Status     string              `json:"status"`
	CheckIns   []patrol.Attendance `json:"check_ins"`
	Version    int64               `json:"version"`
	CreatedAt  time.Time           `json:"created_at"`
	UpdatedAt  time.Time           `json:"updated_at"`
}

// ShiftOut renders a shift with its status at now.
func ShiftOut(s patrol.Shift, now time.Time) ShiftJSON {
	att := s.Attendance
	if att == nil {
		att = []patrol.Attendance{}
	}
	return ShiftJSON{ID: s.ID, Area: s.Area, Compound: s.Compound, Date: s.Date, Start: s.Start, End: s.End, Volunteers: s.VolunteerIDs(),
		Status: s.Status(now), CheckIns: att, Version: s.Version, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

func shiftsOut(ss []patrol.Shift) []ShiftJSON {
	now := time.Now()
	out := make([]ShiftJSON, len(ss))
	for i, s := range ss {
		out[i] = ShiftOut(s, now)
	}
	return out
}

func (h handlers) teams(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := patrol.Limit(q.Get("limit"), 500)
	if err != nil {
		return err
	}
	ts, next, err := h.svc.Teams(r.Context(), user(r), q.Get("area"), limit, q.Get("cursor"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, map[string]any{"teams": ts, "next_cursor": next})
	return nil
}

func (h handlers) createTeam(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name string `json:"name"`
		Area string `json:"area"`
	}
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	t, err := h.svc.CreateTeam(r.Context(), user(r), in.Name, in.Area)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 201, t)
	return nil
}

func (h handlers) volunteers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := patrol.Limit(q.Get("limit"), 500)
	if err != nil {
		return err
	}
	vs, next, err := h.svc.Volunteers(r.Context(), user(r), q.Get("area"),
		patrol.VolunteerFilter{Team: q.Get("team"), Q: q.Get("q"), Limit: limit, Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	out := make([]VolunteerJSON, len(vs))
	for i, v := range vs {
		out[i] = VolunteerOut(v)
	}
	httpx.WriteJSON(w, 200, map[string]any{"volunteers": out, "next_cursor": next})
	return nil
}

func (h handlers) createVolunteer(w http.ResponseWriter, r *http.Request) error {
	var in patrol.VolunteerInput
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	v, err := h.svc.CreateVolunteer(r.Context(), user(r), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 201, VolunteerOut(v))
	return nil
}

func (h handlers) volunteer(w http.ResponseWriter, r *http.Request) error {
	v, err := h.svc.GetVolunteer(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, VolunteerOut(v))
	return nil
}

func (h handlers) patchVolunteer(w http.ResponseWriter, r *http.Request) error {
	var in patrol.VolunteerInput
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	v, err := h.svc.UpdateVolunteer(r.Context(), user(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, VolunteerOut(v))
	return nil
}

func (h handlers) hours(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	hs, err := h.svc.VolunteerHours(r.Context(), user(r), r.PathValue("id"), q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, hs)
	return nil
}

// hoursExport is the month's hours of every volunteer as a workbook, for
// the monthly commendation: name, team, shifts, served, missed, hours.
func (h handlers) hoursExport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	hs, month, err := h.svc.MonthHours(r.Context(), user(r), q.Get("area"), q.Get("month"))
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := "志愿时长 Hours"
	f.SetSheetName("Sheet1", sheet)
	head := []any{"志愿者 Volunteer", "编号 ID", "队伍 Team", "排班 Shifts", "到岗 Served", "缺勤 Missed", "计划时长 Planned h", "服务时长 Hours"}
	_ = f.SetSheetRow(sheet, "A1", &head)
	for i, x := range hs {
		row := []any{x.Name, x.Volunteer, x.Team, x.Shifts, x.Served, x.Missed, x.Planned, x.Hours}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		_ = f.SetSheetRow(sheet, cell, &row)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return apperr.Wrap(err, "write the workbook")
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="volunteer-hours-`+month+`.xlsx"`)
	w.WriteHeader(200)
	_, _ = w.Write(buf.Bytes())
	return nil
}

func (h handlers) plan(w http.ResponseWriter, r *http.Request) error {
	var in patrol.PlanInput
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	res, err := h.svc.PlanShifts(r.Context(), user(r), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 201, map[string]any{"shifts": shiftsOut(res.Shifts), "unfilled": res.Unfilled})
	return nil
}

func (h handlers) shifts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := patrol.Limit(q.Get("limit"), 1000)
	if err != nil {
		return err
	}
	f := patrol.ShiftFilter{Compound: q.Get("compound"), Limit: limit, Cursor: q.Get("cursor")}
	switch q.Get("on_duty") {
	case "", "false":
	case "true":
		f.OnDuty = true
	default:
		return apperr.Field("on_duty", "true or false")
	}
	if d := q.Get("date"); d != "" {
		if q.Get("from") != "" || q.Get("to") != "" {
			return apperr.Field("date", "give date or from/to, not both")
		}
		day, err := patrol.ParseDate(d)
		if err != nil {
			return apperr.Field("date", "must be a date YYYY-MM-DD")
		}
		a, b := day.UTC(), day.AddDate(0, 0, 1).UTC()
		f.From, f.To = &a, &b
	}
	if s := q.Get("from"); s != "" {
		day, err := patrol.ParseDate(s)
		if err != nil {
			return apperr.Field("from", "must be a date YYYY-MM-DD")
		}
		a := day.UTC()
		f.From = &a
	}
	if s := q.Get("to"); s != "" {
		day, err := patrol.ParseDate(s)
		if err != nil {
			return apperr.Field("to", "must be a date YYYY-MM-DD")
		}
		b := day.AddDate(0, 0, 1).UTC()
		f.To = &b
	}
	ss, next, err := h.svc.Shifts(r.Context(), user(r), q.Get("area"), f)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, map[string]any{"shifts": shiftsOut(ss), "next_cursor": next})
	return nil
}

func (h handlers) createShift(w http.ResponseWriter, r *http.Request) error {
	var in patrol.ShiftInput
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	s, err := h.svc.CreateShift(r.Context(), user(r), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 201, ShiftOut(s, time.Now()))
	return nil
}

func (h handlers) shift(w http.ResponseWriter, r *http.Request) error {
	s, err := h.svc.GetShift(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, ShiftOut(s, time.Now()))
	return nil
}

func (h handlers) patchShift(w http.ResponseWriter, r *http.Request) error {
	var in patrol.ShiftPatch
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	s, err := h.svc.PatchShift(r.Context(), user(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, ShiftOut(s, time.Now()))
	return nil
}

func (h handlers) check(in bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var ci patrol.CheckInput
		if r.ContentLength != 0 {
			if err := httpx.DecodeJSON(r.Body, &ci); err != nil {
				return err
			}
		}
		s, err := h.svc.Check(r.Context(), user(r), r.PathValue("id"), in, ci)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, 200, ShiftOut(s, time.Now()))
		return nil
	}
}

func (h handlers) findings(w http.ResponseWriter, r *http.Request) error {
	fs, err := h.svc.Findings(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, map[string]any{"findings": fs, "next_cursor": ""})
	return nil
}

func (h handlers) addFinding(w http.ResponseWriter, r *http.Request) error {
	var in patrol.FindingInput
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	f, err := h.svc.AddFinding(r.Context(), user(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	status := 201
	if f.Replayed { // the phone sent an entry_id already stored: the same finding, nothing new
		status = 200
	}
	httpx.WriteJSON(w, status, f)
	return nil
}

func (h handlers) photo(w http.ResponseWriter, r *http.Request) error {
	f, err := h.svc.FindingPhoto(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", f.PhotoType)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Photo)))
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = w.Write(f.Photo)
	return nil
}

func (h handlers) coverage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	rep, err := h.svc.Coverage(r.Context(), user(r), q.Get("area"), q.Get("from"), q.Get("to"), strings.TrimSpace(q.Get("windows")))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, rep)
	return nil
}
