package patrol

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"hotline/internal/access"
	"hotline/internal/apperr"
)

// DecodePhoto reads a photo sent as a data URL (data:image/jpeg;base64,…)
// or bare base64, and checks it is a JPEG, PNG or WebP image of at most
// MaxPhoto bytes.
func DecodePhoto(s string) ([]byte, string, error) {
	if i := strings.Index(s, ","); strings.HasPrefix(s, "data:") && i > 0 {
		s = s[i+1:]
	}
	if base64.StdEncoding.DecodedLen(len(s)) > MaxPhoto+3 {
		return nil, "", errors.New("too large: at most 600 kB")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, "", errors.New("must be a base64 image or a data URL")
	}
	if len(b) > MaxPhoto {
		return nil, "", errors.New("too large: at most 600 kB")
	}
	ct := http.DetectContentType(b)
	switch ct {
	case "image/jpeg", "image/png", "image/webp":
		return b, ct, nil
	}
	if bytes.HasPrefix(b, []byte("RIFF")) && len(b) > 12 && string(b[8:12]) == "WEBP" {
		return b, "image/webp", nil
	}
	return nil, "", errors.New("must be a JPEG, PNG or WebP image")
}

// Period reads from/to dates (YYYY-MM-DD, inclusive) with defaults and a
// bound on their span.
func Period(from, to string, maxDays int, defFrom, defTo time.Time) (time.Time, time.Time, error) {
	f := apperr.Fields{}
	a, b := defFrom, defTo
	var err error
	if from != "" {
		if a, err = ParseDate(from); err != nil {
			f.Add("from", "must be a date YYYY-MM-DD")
		}
	}
	if to != "" {
		if b, err = ParseDate(to); err != nil {
			f.Add("to", "must be a date YYYY-MM-DD")
		}
	}
	if err := f.Err(); err != nil {
		return a, b, err
	}
	if b.Before(a) {
		return a, b, apperr.Field("to", "before from")
	}
	if len(Dates(a, b)) > maxDays {
		return a, b, apperr.Field("to", "the period is too long")
	}
	return a, b, nil
}

// Coverage cell statuses: a window with a checked-in shift is covered; a
// shift nobody checked into by its end is missed; a window with no shift is
// unplanned; planned is a future (or running, not yet checked-in) shift.
const (
	Covered   = "covered"
	Unplanned = "unplanned"
)

// Cell is one compound × day × window of the coverage grid.
type Cell struct {
	Compound string `json:"compound"`
	Date     string `json:"date"`
	Window   string `json:"window"`
	Status   string `json:"status"`
	Shifts   int    `json:"shifts"`
}

// CoverageReport is the grid and its totals.
type CoverageReport struct {
	From      string         `json:"from"`
	To        string         `json:"to"`
	Windows   []string       `json:"windows"`
	Compounds []Compound     `json:"compounds"`
	Cells     []Cell         `json:"cells"`
	Totals    map[string]int `json:"totals"`
}

// BuildCoverage classifies every compound × day × window against the
// shifts of the period (pure; shifts may be in any order).
func BuildCoverage(compounds []Compound, dates []string, windows []Window, shifts []Shift, now time.Time) CoverageReport {
	type key struct{ c, d string }
	by := map[key][]Shift{}
	for _, s := range shifts {
		if s.Cancelled {
			continue
		}
		by[key{s.Compound, s.Date}] = append(by[key{s.Compound, s.Date}], s)
	}
	rep := CoverageReport{Compounds: compounds, Cells: make([]Cell, 0, len(compounds)*len(dates)*len(windows)),
		Totals: map[string]int{Covered: 0, Missed: 0, Unplanned: 0, Planned: 0}}
	if len(dates) > 0 {
		rep.From, rep.To = dates[0], dates[len(dates)-1]
	}
	for _, w := range windows {
		rep.Windows = append(rep.Windows, w.String())
	}
	for _, c := range compounds {
		for _, d := range dates {
			for _, w := range windows {
				cell := Cell{Compound: c.Code, Date: d, Window: w.String(), Status: Unplanned}
				rank := 0 // covered 3 > planned 2 > missed 1 > unplanned 0
				for _, s := range by[key{c.Code, d}] {
					st, _ := ParseHM(s.Start)
					en, _ := ParseHM(s.End)
					if st >= w.End || w.Start >= en {
						continue
					}
					cell.Shifts++
					r, name := 1, Missed
					switch s.Status(now) {
					case OnDuty, Done:
						r, name = 3, Covered
					case Planned:
						r, name = 2, Planned
					}
					if r > rank {
						rank, cell.Status = r, name
					}
				}
				rep.Totals[cell.Status]++
				rep.Cells = append(rep.Cells, cell)
			}
		}
	}
	return rep
}

// Coverage is GET /api/v1/patrols/coverage.
func (s *Service) Coverage(ctx context.Context, u access.User, area, from, to, windows string) (CoverageReport, error) {
	sc, err := access.ListScope(u, area)
	if err != nil {
		return CoverageReport{}, err
	}
	now := s.now()
	today, _ := ParseDate(now.In(shanghai()).Format("2006-01-02"))
	a, b, err := Period(from, to, 62, today.AddDate(0, 0, -6), today)
	if err != nil {
		return CoverageReport{}, err
	}
	if windows == "" {
		windows = "08:00-10:00,14:00-16:00"
	}
	var ws []Window
	for _, x := range strings.Split(windows, ",") {
		w, ok := ParseWindow(x)
		if !ok {
			return CoverageReport{}, apperr.Field("windows", "each window is HH:MM-HH:MM")
		}
		ws = append(ws, w)
	}
	if len(ws) > 12 {
		return CoverageReport{}, apperr.Field("windows", "at most 12")
	}
	compounds, err := s.Store.Compounds(ctx, sc)
	if err != nil {
		return CoverageReport{}, err
	}
	shifts, err := s.allShifts(ctx, ShiftFilter{Scope: sc, From: ptr(a.UTC()), To: ptr(b.AddDate(0, 0, 1).UTC())})
	if err != nil {
		return CoverageReport{}, err
	}
	return BuildCoverage(compounds, Dates(a, b), ws, shifts, now), nil
}

func ptr[T any](v T) *T { return &v }

func (s *Service) allShifts(ctx context.Context, f ShiftFilter) ([]Shift, error) {
	var out []Shift
	f.Limit = 1000
	for {
		page, next, err := s.Store.Shifts(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		f.Cursor = next
	}
}

// DayHours is a volunteer's time on one day.
type DayHours struct {
	Date    string  `json:"date"`
	Hours   float64 `json:"hours"`
	Planned float64 `json:"planned_hours"`
	Shifts  int     `json:"shifts"`
}

// Hours is a volunteer's patrol time over a period: hours actually served
// (check-in to check-out, within the shift's own times, so an early
// check-in or a forgotten check-out does not inflate them) and hours
// planned.
type Hours struct {
	Volunteer string     `json:"volunteer"`
	Name      string     `json:"name"`
	Team      string     `json:"team"`
	From      string     `json:"from"`
	To        string     `json:"to"`
	Hours     float64    `json:"hours"`
	Planned   float64    `json:"planned_hours"`
	Shifts    int        `json:"shifts"`
	Served    int        `json:"shifts_served"`
	Missed    int        `json:"shifts_missed"`
	Days      []DayHours `json:"days"`
}

// HoursOf sums a volunteer's shifts (pure).
func HoursOf(v Volunteer, shifts []Shift, from, to string, now time.Time) Hours {
	h := Hours{Volunteer: v.ID, Name: v.Name, Team: v.Team, From: from, To: to, Days: []DayHours{}}
	days := map[string]*DayHours{}
	var order []string
	for _, s := range shifts {
		if s.Cancelled {
			continue
		}
		var a *Attendance
		for i := range s.Attendance {
			if s.Attendance[i].Volunteer == v.ID {
				a = &s.Attendance[i]
			}
		}
		if a == nil {
			continue
		}
		d := days[s.Date]
		if d == nil {
			d = &DayHours{Date: s.Date}
			days[s.Date] = d
			order = append(order, s.Date)
		}
		planned := s.EndsAt.Sub(s.StartsAt).Hours()
		d.Planned += planned
		d.Shifts++
		h.Planned += planned
		h.Shifts++
		if a.CheckIn != nil && a.CheckOut != nil {
			in, out := *a.CheckIn, *a.CheckOut
			if in.Before(s.StartsAt) {
				in = s.StartsAt
			}
			if out.After(s.EndsAt) {
				out = s.EndsAt
			}
			if out.After(in) {
				served := out.Sub(in).Hours()
				d.Hours += served
				h.Hours += served
			}
			h.Served++
		} else if a.CheckIn == nil && !now.Before(s.EndsAt) {
			h.Missed++
		}
	}
	sort.Strings(order)
	for _, k := range order {
		d := days[k]
		d.Hours, d.Planned = round2(d.Hours), round2(d.Planned)
		h.Days = append(h.Days, *d)
	}
	h.Hours, h.Planned = round2(h.Hours), round2(h.Planned)
	return h
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// VolunteerHours is GET /api/v1/volunteers/{id}/hours.
func (s *Service) VolunteerHours(ctx context.Context, u access.User, id, from, to string) (Hours, error) {
	v, err := s.GetVolunteer(ctx, u, id)
	if err != nil {
		return Hours{}, err
	}
	now := s.now()
	today, _ := ParseDate(now.In(shanghai()).Format("2006-01-02"))
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, today.Location())
	a, b, err := Period(from, to, 400, first, first.AddDate(0, 1, -1))
	if err != nil {
		return Hours{}, err
	}
	shifts, err := s.allShifts(ctx, ShiftFilter{Scope: access.Scope{All: true}, Volunteer: v.ID, From: ptr(a.UTC()), To: ptr(b.AddDate(0, 0, 1).UTC())})
	if err != nil {
		return Hours{}, err
	}
	return HoursOf(v, shifts, a.Format("2006-01-02"), b.Format("2006-01-02"), now), nil
}

// MonthHours is every volunteer's hours in a month (YYYY-MM) of the areas
// u reads, for the monthly commendation's export.
func (s *Service) MonthHours(ctx context.Context, u access.User, area, month string) ([]Hours, string, error) {
	sc, err := access.ListScope(u, area)
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	if month == "" {
		month = now.In(shanghai()).Format("2006-01")
	}
	first, err := time.ParseInLocation("2006-01", month, shanghai())
	if err != nil {
		return nil, "", apperr.Field("month", "must be YYYY-MM")
	}
	last := first.AddDate(0, 1, -1)
	shifts, err := s.allShifts(ctx, ShiftFilter{Scope: sc, From: ptr(first.UTC()), To: ptr(last.AddDate(0, 0, 1).UTC())})
	if err != nil {
		return nil, "", err
	}
	var vols []Volunteer
	cursor := ""
	for {
		page, next, err := s.Store.Volunteers(ctx, VolunteerFilter{Scope: sc, Limit: 500, Cursor: cursor})
		if err != nil {
			return nil, "", err
		}
		vols = append(vols, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	out := make([]Hours, 0, len(vols))
	for _, v := range vols {
		out = append(out, HoursOf(v, shifts, first.Format("2006-01-02"), last.Format("2006-01-02"), now))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Hours > out[j].Hours })
	return out, month, nil
}
