package patrol

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// FuzzRotaWindows feeds the rota's windows (the "windows" of POST
// /api/v1/shifts/plan) to the parser and then to the planner: ParseWindow
// never panics, a window it accepts lies within the day with its end after
// its start and prints back to itself, and a plan over the accepted,
// non-overlapping windows never puts a volunteer on two overlapping shifts
// of a day nor on a day they are unavailable.
func FuzzRotaWindows(f *testing.F) {
	for _, s := range []string{"08:00-10:00,14:00-16:00", "8-10", "24:00-24:00", "23:59-24:00", " 07:30 - 09:00 ", "10:00-09:00",
		"00:00-24:00", "08:00-10:00,09:00-11:00", "٠٨:٠٠-١٠:٠٠", "08:00-10:00-12:00", "99:99-99:99", ""} {
		f.Add(s, 3, 2)
	}
	f.Fuzz(func(t *testing.T, list string, nvol, per int) {
		var windows []Window
		for _, s := range strings.Split(list, ",") {
			w, ok := ParseWindow(s)
			if !ok {
				continue
			}
			if w.Start < 0 || w.End > 24*60 || w.End <= w.Start {
				t.Fatalf("%q accepted as %+v", s, w)
			}
			if back, ok := ParseWindow(w.String()); !ok || back != w {
				t.Fatalf("%q: %v prints as %q, read back %+v %v", s, w, w.String(), back, ok)
			}
			overlaps := false
			for _, x := range windows {
				overlaps = overlaps || (w.Start < x.End && x.Start < w.End)
			}
			if !overlaps && len(windows) < 12 {
				windows = append(windows, w)
			}
		}
		nvol, per = 1+abs(nvol)%8, 1+abs(per)%4
		var vols []Volunteer
		for i := range nvol {
			v := Volunteer{ID: fmt.Sprint(i + 1)}
			if i == 0 {
				v.Unavailable = []string{"sun"}
			}
			vols = append(vols, v)
		}
		day, _ := ParseDate("2026-12-05") // a Saturday, then a Sunday
		dates := Dates(day, day.AddDate(0, 0, 1))
		shifts, _ := Plan(PlanRequest{Compounds: []string{"a", "b"}, Dates: dates, Windows: windows, Volunteers: vols, PerShift: per})
		type span struct{ start, end time.Time }
		taken := map[string][]span{}
		for _, sh := range shifts {
			d, _ := ParseDate(sh.Date)
			a, b := sh.Window.Span(d)
			if len(sh.Volunteers) > per {
				t.Fatalf("%d volunteers on a shift of %d", len(sh.Volunteers), per)
			}
			for _, v := range sh.Volunteers {
				if v == "1" && d.Weekday() == time.Sunday {
					t.Fatalf("volunteer 1 planned on their unavailable Sunday")
				}
				for _, x := range taken[v] {
					if a.Before(x.end) && x.start.Before(b) {
						t.Fatalf("volunteer %s on two overlapping shifts (%v)", v, windows)
					}
				}
				taken[v] = append(taken[v], span{a, b})
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if n == -n { // the smallest int
			return 0
		}
		return -n
	}
	return n
}
