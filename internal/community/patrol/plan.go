package patrol

import (
	"sort"
	"time"
)

// Busy is a time a volunteer is already taken (an existing shift).
type Busy struct {
	Volunteer  string
	Start, End time.Time
}

// PlanRequest is what the planner needs: the days, windows and compounds to
// cover, the volunteers to spread, how many per shift, what is already
// planned (existing shifts count towards hours and block their times), and
// which (compound, date, window start) slots already have a shift.
type PlanRequest struct {
	Compounds  []string
	Dates      []string // YYYY-MM-DD, in order
	Windows    []Window
	Volunteers []Volunteer
	PerShift   int
	Busy       []Busy
	Existing   map[string]bool // SlotKey(compound, date, window) already on the rota
}

// SlotKey names a (compound, date, window) slot.
func SlotKey(compound, date string, w Window) string {
	return compound + "|" + date + "|" + w.String()
}

// PlannedShift is one shift of a new rota.
type PlannedShift struct {
	Compound   string
	Date       string
	Window     Window
	Volunteers []string
}

// Unfilled is a slot the planner could not staff fully.
type Unfilled struct {
	Compound string `json:"compound"`
	Date     string `json:"date"`
	Window   string `json:"window"`
	Missing  int    `json:"missing"`
}

// Plan makes a fair rota: slot by slot in time order, each shift takes the
// available volunteers with the fewest minutes so far (existing shifts
// included; ties by fewest shifts, then id, so the result is
// deterministic). A volunteer is never put on two shifts that overlap (nor
// over an existing one), nor on a day marked unavailable. Greedy
// least-loaded assignment keeps everyone's hours within one shift's length
// of each other when all are equally available. Slots already on the rota
// are skipped.
func Plan(req PlanRequest) ([]PlannedShift, []Unfilled) {
	if req.PerShift <= 0 {
		req.PerShift = 2
	}
	minutes := map[string]int{}
	count := map[string]int{}
	busy := map[string][]Busy{}
	for _, b := range req.Busy {
		busy[b.Volunteer] = append(busy[b.Volunteer], b)
		minutes[b.Volunteer] += int(b.End.Sub(b.Start) / time.Minute)
		count[b.Volunteer]++
	}
	windows := append([]Window(nil), req.Windows...)
	sort.Slice(windows, func(i, j int) bool { return windows[i].Start < windows[j].Start })
	vols := append([]Volunteer(nil), req.Volunteers...)
	// Unavailable days as sets, read once: AvailableOn parses the date for
	// every question, which a month's plan would ask 20,000 times.
	off := make([]map[string]bool, len(vols))
	for i, v := range vols {
		off[i] = map[string]bool{}
		for _, u := range v.Unavailable {
			off[i][u] = true
		}
	}
	var out []PlannedShift
	var short []Unfilled
	for _, date := range req.Dates {
		day, err := ParseDate(date)
		if err != nil {
			continue
		}
		wd := weekdays[day.Weekday()]
		for _, w := range windows {
			start, end := w.Span(day)
			for _, c := range req.Compounds {
				if req.Existing[SlotKey(c, date, w)] {
					continue
				}
				var free []Volunteer
				for i, v := range vols {
					if off[i][date] || off[i][wd] || overlaps(busy[v.ID], start, end) {
						continue
					}
					free = append(free, v)
				}
				sort.Slice(free, func(i, j int) bool {
					a, b := free[i].ID, free[j].ID
					if minutes[a] != minutes[b] {
						return minutes[a] < minutes[b]
					}
					if count[a] != count[b] {
						return count[a] < count[b]
					}
					return idLess(a, b)
				})
				n := min(req.PerShift, len(free))
				ps := PlannedShift{Compound: c, Date: date, Window: w}
				for _, v := range free[:n] {
					ps.Volunteers = append(ps.Volunteers, v.ID)
					busy[v.ID] = append(busy[v.ID], Busy{Volunteer: v.ID, Start: start, End: end})
					minutes[v.ID] += w.Minutes()
					count[v.ID]++
				}
				if n < req.PerShift {
					short = append(short, Unfilled{Compound: c, Date: date, Window: w.String(), Missing: req.PerShift - n})
				}
				if n > 0 {
					out = append(out, ps)
				}
			}
		}
	}
	return out, short
}

func overlaps(bs []Busy, start, end time.Time) bool {
	for _, b := range bs {
		if b.Start.Before(end) && start.Before(b.End) {
			return true
		}
	}
	return false
}

// idLess orders numeric ids as numbers ("9" before "10").
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// Dates lists the dates from..to inclusive (YYYY-MM-DD).
func Dates(from, to time.Time) []string {
	var out []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format("2006-01-02"))
	}
	return out
}
