package patrol

import (
	"fmt"
	"testing"
	"time"
)

func vols(n int, unavailable map[int][]string) []Volunteer {
	out := make([]Volunteer, n)
	for i := range out {
		out[i] = Volunteer{ID: fmt.Sprint(i + 1), Unavailable: unavailable[i]}
	}
	return out
}

func TestPlan(t *testing.T) {
	am, pm := Window{8 * 60, 10 * 60}, Window{14 * 60, 16 * 60}
	long := Window{9 * 60, 15 * 60} // overlaps both
	week := Dates(mustDate("2026-12-07"), mustDate("2026-12-13"))
	month := Dates(mustDate("2026-12-01"), mustDate("2026-12-31"))
	six := []string{"a", "b", "c", "d", "e", "f"}
	day, _ := ParseDate("2026-12-07")
	b0, b1 := am.Span(day)
	cases := []struct {
		name       string
		req        PlanRequest
		shifts     int
		unfilled   int
		maxSpreadM int // max minus min minutes per volunteer
	}{
		{"month 6x2x60", PlanRequest{Compounds: six, Dates: month, Windows: []Window{am, pm}, Volunteers: vols(60, nil), PerShift: 2}, 6 * 2 * 31, 0, 120},
		{"week, one slot short", PlanRequest{Compounds: six, Dates: week, Windows: []Window{am}, Volunteers: vols(11, nil), PerShift: 2}, 6 * 7, 7, 120 * 7},
		{"unavailable on Sundays", PlanRequest{Compounds: []string{"a"}, Dates: week, Windows: []Window{am, pm}, Volunteers: vols(3, map[int][]string{0: {"sun"}, 1: {"2026-12-08"}}), PerShift: 1}, 14, 0, 240},
		{"existing shifts count", PlanRequest{Compounds: []string{"a"}, Dates: week[:1], Windows: []Window{pm}, Volunteers: vols(2, nil), PerShift: 1,
			Busy: []Busy{{Volunteer: "1", Start: b0, End: b1}}}, 1, 0, 0},
		{"slot already taken", PlanRequest{Compounds: []string{"a", "b"}, Dates: week[:1], Windows: []Window{am}, Volunteers: vols(4, nil), PerShift: 2,
			Existing: map[string]bool{SlotKey("a", week[0], am): true}}, 1, 0, 120},
		{"overlapping windows never double-book", PlanRequest{Compounds: []string{"a"}, Dates: week[:1], Windows: []Window{am, long}, Volunteers: vols(1, nil), PerShift: 1}, 1, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, short := Plan(c.req)
			if len(got) != c.shifts || len(short) != c.unfilled {
				t.Fatalf("%d shifts, %d unfilled; want %d, %d", len(got), len(short), c.shifts, c.unfilled)
			}
			minutes := map[string]int{}
			for _, b := range c.req.Busy {
				minutes[b.Volunteer] += int(b.End.Sub(b.Start) / time.Minute)
			}
			type span struct{ s, e time.Time }
			taken := map[string][]span{}
			for _, b := range c.req.Busy {
				taken[b.Volunteer] = append(taken[b.Volunteer], span{b.Start, b.End})
			}
			byID := map[string]Volunteer{}
			for _, v := range c.req.Volunteers {
				byID[v.ID] = v
			}
			for _, s := range got {
				d, _ := ParseDate(s.Date)
				a, b := s.Window.Span(d)
				for _, v := range s.Volunteers {
					if !byID[v].AvailableOn(s.Date) {
						t.Fatalf("volunteer %s planned on unavailable %s", v, s.Date)
					}
					for _, x := range taken[v] {
						if x.s.Before(b) && a.Before(x.e) {
							t.Fatalf("volunteer %s on two shifts at once on %s", v, s.Date)
						}
					}
					taken[v] = append(taken[v], span{a, b})
					minutes[v] += s.Window.Minutes()
				}
			}
			lo, hi := 1<<30, 0
			for _, v := range c.req.Volunteers {
				lo, hi = min(lo, minutes[v.ID]), max(hi, minutes[v.ID])
			}
			if hi-lo > c.maxSpreadM {
				t.Fatalf("hours spread %d min > %d: %v", hi-lo, c.maxSpreadM, minutes)
			}
		})
	}
}

func mustDate(s string) time.Time {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestShiftStatus(t *testing.T) {
	start := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	end := start.Add(2 * time.Hour)
	in, out := start.Add(time.Minute), start.Add(time.Hour)
	cases := []struct {
		name string
		s    Shift
		now  time.Time
		want string
	}{
		{"before", Shift{StartsAt: start, EndsAt: end, Attendance: []Attendance{{Volunteer: "1"}}}, start.Add(-time.Hour), Planned},
		{"running, nobody in", Shift{StartsAt: start, EndsAt: end, Attendance: []Attendance{{Volunteer: "1"}}}, start.Add(time.Hour), Planned},
		{"after, nobody in", Shift{StartsAt: start, EndsAt: end, Attendance: []Attendance{{Volunteer: "1"}}}, end, Missed},
		{"in", Shift{StartsAt: start, EndsAt: end, Attendance: []Attendance{{Volunteer: "1", CheckIn: &in}}}, end.Add(time.Hour), OnDuty},
		{"in and out", Shift{StartsAt: start, EndsAt: end, Attendance: []Attendance{{Volunteer: "1", CheckIn: &in, CheckOut: &out}, {Volunteer: "2"}}}, end, Done},
		{"cancelled", Shift{StartsAt: start, EndsAt: end, Cancelled: true}, end, Cancelled},
	}
	for _, c := range cases {
		if got := c.s.Status(c.now); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestParseWindow(t *testing.T) {
	for in, ok := range map[string]bool{"08:00-10:00": true, "14:00-16:00": true, "10:00-08:00": false, "8-10": false, "08:00-24:00": true,
		"08:00-24:01": false, "ab:cd-10:00": false, "08:00": false, "08:60-09:00": false} {
		if _, got := ParseWindow(in); got != ok {
			t.Errorf("ParseWindow(%q) ok=%v, want %v", in, got, ok)
		}
	}
	for p, ok := range map[string]bool{"13812345678": true, "021-64561234": true, "02164561234": true, "12345": false, "23812345678": false} {
		if ValidPhone(p) != ok {
			t.Errorf("ValidPhone(%q) != %v", p, ok)
		}
	}
}
