package calendar

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hotline/internal/testenv"
)

// embeddedCal loads the embedded data once per test.
func embeddedCal(t testing.TB) *Calendar {
	t.Helper()
	c, err := Embedded()
	if err != nil {
		t.Fatalf("Embedded: %v", err)
	}
	return c
}

// at parses an RFC 3339 time for a table row.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

// TestAddWorkingDaysHolidays checks hand-worked deadlines around the Spring
// Festival and National Day weeks of 2024–2026, whose schedules (from the
// embedded data) are noted above each block. Dates in comments are
// Asia/Shanghai days; "W" marks a make-up working day (调休).
func TestAddWorkingDaysHolidays(t *testing.T) {
	c := embeddedCal(t)
	tests := []struct {
		name string
		from string
		n    int
		want string // deadline date; the time is always 23:59:59+08:00
	}{
		// 2024 春节: Sun 02-04 W, Sat 02-10 .. Sat 02-17 off, Sun 02-18 W.
		{"2024 SF: Thu before, n=1", "2024-02-08T10:00:00+08:00", 1, "2024-02-09"},
		{"2024 SF: Thu before, n=3", "2024-02-08T10:00:00+08:00", 3, "2024-02-19"},
		{"2024 SF: evening before holiday, n=1", "2024-02-09T20:00:00+08:00", 1, "2024-02-18"},
		{"2024 SF: evening before holiday, n=3", "2024-02-09T20:00:00+08:00", 3, "2024-02-20"},
		{"2024 SF: evening before holiday, n=5", "2024-02-09T20:00:00+08:00", 5, "2024-02-22"},
		{"2024 SF: first holiday day, n=1", "2024-02-10T10:00:00+08:00", 1, "2024-02-18"},
		{"2024 SF: last holiday day, n=1", "2024-02-17T23:59:59+08:00", 1, "2024-02-18"},
		{"2024 SF: on make-up Sunday 02-04, n=1", "2024-02-04T09:00:00+08:00", 1, "2024-02-05"},
		{"2024 SF: on make-up Sunday 02-04, n=3", "2024-02-04T09:00:00+08:00", 3, "2024-02-07"},
		{"2024 SF: on make-up Sunday 02-04, n=5", "2024-02-04T09:00:00+08:00", 5, "2024-02-09"},
		{"2024 SF: on make-up Sunday 02-18, n=1", "2024-02-18T16:00:00+08:00", 1, "2024-02-19"},
		{"2024 SF: Friday 23:59 before make-up Sunday, n=1", "2024-02-02T23:59:00+08:00", 1, "2024-02-04"},
		{"2024 SF: Friday 23:59 before make-up Sunday, n=5", "2024-02-02T23:59:00+08:00", 5, "2024-02-08"},
		{"2024 SF: Saturday 00:00 before make-up Sunday, n=1", "2024-02-03T00:00:00+08:00", 1, "2024-02-04"},

		// 2024 国庆: Sun 09-29 W, Tue 10-01 .. Mon 10-07 off, Sat 10-12 W.
		{"2024 ND: Friday 23:59 before make-up Sunday, n=1", "2024-09-27T23:59:00+08:00", 1, "2024-09-29"},
		{"2024 ND: Friday 23:59 before make-up Sunday, n=3", "2024-09-27T23:59:00+08:00", 3, "2024-10-08"},
		{"2024 ND: Saturday 00:00, n=1", "2024-09-28T00:00:00+08:00", 1, "2024-09-29"},
		{"2024 ND: on make-up Sunday, n=1", "2024-09-29T15:00:00+08:00", 1, "2024-09-30"},
		{"2024 ND: on make-up Sunday, n=3", "2024-09-29T15:00:00+08:00", 3, "2024-10-09"},
		{"2024 ND: on make-up Sunday, n=5", "2024-09-29T15:00:00+08:00", 5, "2024-10-11"},
		{"2024 ND: evening before holiday, n=1", "2024-09-30T20:00:00+08:00", 1, "2024-10-08"},
		{"2024 ND: evening before holiday, n=3", "2024-09-30T20:00:00+08:00", 3, "2024-10-10"},
		{"2024 ND: evening before holiday, n=5", "2024-09-30T20:00:00+08:00", 5, "2024-10-12"},
		{"2024 ND: first holiday day, n=1", "2024-10-01T09:00:00+08:00", 1, "2024-10-08"},
		{"2024 ND: Friday before make-up Saturday, n=1", "2024-10-11T18:00:00+08:00", 1, "2024-10-12"},
		{"2024 ND: Friday before make-up Saturday, n=3", "2024-10-11T18:00:00+08:00", 3, "2024-10-15"},

		// 2025 春节: Sun 01-26 W, Tue 01-28 .. Tue 02-04 off, Sat 02-08 W.
		{"2025 SF: Friday 23:59 before make-up Sunday, n=1", "2025-01-24T23:59:00+08:00", 1, "2025-01-26"},
		{"2025 SF: Friday 23:59 before make-up Sunday, n=5", "2025-01-24T23:59:00+08:00", 5, "2025-02-07"},
		{"2025 SF: Saturday 00:00, n=1", "2025-01-25T00:00:00+08:00", 1, "2025-01-26"},
		{"2025 SF: on make-up Sunday, n=1", "2025-01-26T10:00:00+08:00", 1, "2025-01-27"},
		{"2025 SF: on make-up Sunday, n=3", "2025-01-26T10:00:00+08:00", 3, "2025-02-06"},
		{"2025 SF: on make-up Sunday, n=5", "2025-01-26T10:00:00+08:00", 5, "2025-02-08"},
		{"2025 SF: evening before holiday, n=1", "2025-01-27T19:00:00+08:00", 1, "2025-02-05"},
		{"2025 SF: evening before holiday, n=3", "2025-01-27T19:00:00+08:00", 3, "2025-02-07"},
		{"2025 SF: evening before holiday, n=5", "2025-01-27T19:00:00+08:00", 5, "2025-02-10"},
		{"2025 SF: first holiday day, n=1", "2025-01-28T08:00:00+08:00", 1, "2025-02-05"},
		{"2025 SF: Friday before make-up Saturday, n=1", "2025-02-07T23:59:59+08:00", 1, "2025-02-08"},

		// 2025 国庆、中秋: Sun 09-28 W, Wed 10-01 .. Wed 10-08 off, Sat 10-11 W.
		{"2025 ND: Friday 23:59 before make-up Sunday, n=1", "2025-09-26T23:59:00+08:00", 1, "2025-09-28"},
		{"2025 ND: Saturday 00:00, n=1", "2025-09-27T00:00:00+08:00", 1, "2025-09-28"},
		{"2025 ND: Saturday 00:00, n=5", "2025-09-27T00:00:00+08:00", 5, "2025-10-10"},
		{"2025 ND: on make-up Sunday, n=1", "2025-09-28T14:00:00+08:00", 1, "2025-09-29"},
		{"2025 ND: on make-up Sunday, n=3", "2025-09-28T14:00:00+08:00", 3, "2025-10-09"},
		{"2025 ND: on make-up Sunday, n=5", "2025-09-28T14:00:00+08:00", 5, "2025-10-11"},
		{"2025 ND: evening before holiday, n=1", "2025-09-30T21:00:00+08:00", 1, "2025-10-09"},
		{"2025 ND: evening before holiday, n=3", "2025-09-30T21:00:00+08:00", 3, "2025-10-11"},
		{"2025 ND: evening before holiday, n=5", "2025-09-30T21:00:00+08:00", 5, "2025-10-14"},
		{"2025 ND: first holiday day, n=1", "2025-10-01T00:00:00+08:00", 1, "2025-10-09"},

		// 2026 春节: Sat 02-14 W, Sun 02-15 .. Mon 02-23 off, Sat 02-28 W.
		{"2026 SF: Friday 23:59 before make-up Saturday, n=1", "2026-02-13T23:59:00+08:00", 1, "2026-02-14"},
		{"2026 SF: Friday 23:59 before make-up Saturday, n=3", "2026-02-13T23:59:00+08:00", 3, "2026-02-25"},
		{"2026 SF: evening before holiday (make-up Saturday), n=1", "2026-02-14T20:00:00+08:00", 1, "2026-02-24"},
		{"2026 SF: evening before holiday (make-up Saturday), n=3", "2026-02-14T20:00:00+08:00", 3, "2026-02-26"},
		{"2026 SF: evening before holiday (make-up Saturday), n=5", "2026-02-14T20:00:00+08:00", 5, "2026-02-28"},
		{"2026 SF: first holiday day, n=1", "2026-02-15T10:00:00+08:00", 1, "2026-02-24"},
		{"2026 SF: Friday before make-up Saturday, n=1", "2026-02-27T12:00:00+08:00", 1, "2026-02-28"},
		{"2026 SF: Friday before make-up Saturday, n=5", "2026-02-27T12:00:00+08:00", 5, "2026-03-05"},

		// 2026 中秋/国庆: Sun 09-20 W, Fri 09-25 .. Sun 09-27 off,
		// Thu 10-01 .. Wed 10-07 off, Sat 10-10 W.
		{"2026 ND: Friday 23:59 before make-up Sunday, n=1", "2026-09-18T23:59:00+08:00", 1, "2026-09-20"},
		{"2026 ND: Saturday 00:00, n=1", "2026-09-19T00:00:00+08:00", 1, "2026-09-20"},
		{"2026 ND: on make-up Sunday, n=1", "2026-09-20T10:00:00+08:00", 1, "2026-09-21"},
		{"2026 ND: on make-up Sunday, n=3", "2026-09-20T10:00:00+08:00", 3, "2026-09-23"},
		{"2026 ND: on make-up Sunday, n=5", "2026-09-20T10:00:00+08:00", 5, "2026-09-28"},
		{"2026 ND: Thursday before 中秋, n=1", "2026-09-24T23:59:59+08:00", 1, "2026-09-28"},
		{"2026 ND: Tuesday 09-29, n=5", "2026-09-29T09:00:00+08:00", 5, "2026-10-12"},
		{"2026 ND: evening before holiday, n=1", "2026-09-30T20:00:00+08:00", 1, "2026-10-08"},
		{"2026 ND: evening before holiday, n=2", "2026-09-30T20:00:00+08:00", 2, "2026-10-09"},
		{"2026 ND: evening before holiday, n=3", "2026-09-30T20:00:00+08:00", 3, "2026-10-10"},
		{"2026 ND: evening before holiday, n=5", "2026-09-30T20:00:00+08:00", 5, "2026-10-13"},
		{"2026 ND: first holiday day, n=1", "2026-10-01T09:00:00+08:00", 1, "2026-10-08"},

		// Plain weeks (no special day nearby): weekends and the day boundary.
		{"plain Friday 23:59:59, n=1", "2026-03-06T23:59:59+08:00", 1, "2026-03-09"},
		{"plain Saturday 00:00, n=1", "2026-03-07T00:00:00+08:00", 1, "2026-03-09"},
		{"plain Saturday, n=5", "2026-03-07T10:00:00+08:00", 5, "2026-03-13"},
		{"plain Sunday 23:00, n=1", "2026-03-08T23:00:00+08:00", 1, "2026-03-09"},
		{"plain Monday 00:00, n=1", "2026-03-09T00:00:00+08:00", 1, "2026-03-10"},
		{"plain Monday, n=5", "2026-03-09T08:30:00+08:00", 5, "2026-03-16"},

		// Times given in other zones count by their day in Shanghai.
		{"UTC: 2026-01-01 17:00Z is 01:00 on Jan 2 (off), n=1", "2026-01-01T17:00:00Z", 1, "2026-01-04"},
		{"UTC: 2026-01-01 17:00Z is 01:00 on Jan 2 (off), n=2", "2026-01-01T17:00:00Z", 2, "2026-01-05"},
		{"UTC: 2026-01-03 16:30Z is Sunday Jan 4 (调休) in Shanghai", "2026-01-03T16:30:00Z", 1, "2026-01-05"},
		{"UTC: 2026-02-13 16:00Z is Saturday 02-14 00:00 (调休)", "2026-02-13T16:00:00Z", 1, "2026-02-24"},
		{"UTC: 2026-02-13 15:59:59Z is still Friday in Shanghai", "2026-02-13T15:59:59Z", 1, "2026-02-14"},
		{"-05:00: Friday evening is make-up Saturday in Shanghai", "2026-10-09T20:00:00-05:00", 1, "2026-10-12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.AddWorkingDays(at(t, tt.from), tt.n)
			want := tt.want + "T23:59:59+08:00"
			if s := got.Format(time.RFC3339Nano); s != want {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, s, want)
			}
			if got.Location() != Shanghai {
				t.Errorf("result location = %v, want Shanghai", got.Location())
			}
			if !c.IsWorkingDay(got) {
				t.Errorf("deadline %s is not a working day", got)
			}
			if n := c.WorkingDaysBetween(at(t, tt.from), got); n != tt.n {
				t.Errorf("WorkingDaysBetween(from, deadline) = %d, want %d", n, tt.n)
			}
		})
	}
}

func TestIsWorkingDay(t *testing.T) {
	c := embeddedCal(t)
	tests := []struct {
		date string
		want bool
	}{
		{"2024-02-04", true},  // Sunday, 调休
		{"2024-02-09", true},  // Friday, 除夕 eve is not an off day in 2024
		{"2024-02-12", false}, // Monday, 春节
		{"2024-10-12", true},  // Saturday, 调休
		{"2025-01-28", false}, // Tuesday, 春节 (除夕 is off from 2025)
		{"2025-10-08", false}, // Wednesday, 国庆节、中秋节
		{"2026-01-04", true},  // Sunday, 调休
		{"2026-02-14", true},  // Saturday, 调休
		{"2026-02-23", false}, // Monday, 春节
		{"2026-03-07", false}, // plain Saturday
		{"2026-03-09", true},  // plain Monday
		{"2018-12-29", true},  // Saturday 调休 from 2019.json
		{"2018-12-31", false}, // Monday off from 2019.json
	}
	for _, tt := range tests {
		d := at(t, tt.date+"T12:00:00+08:00")
		if got := c.IsWorkingDay(d); got != tt.want {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.date, got, tt.want)
		}
	}
	// 2026-03-06T16:00:00Z is Saturday 00:00 in Shanghai, still Friday in UTC.
	if c.IsWorkingDay(at(t, "2026-03-06T16:00:00Z")) {
		t.Error("IsWorkingDay should use the Shanghai day (Saturday), not the UTC one (Friday)")
	}
}

// naiveAdd is the rule spelled out day by day, the reference for the
// arithmetic in AddWorkingDays.
func naiveAdd(c *Calendar, t time.Time, n int) time.Time {
	y, m, d := t.In(Shanghai).Date()
	day := time.Date(y, m, d, 12, 0, 0, 0, Shanghai)
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if c.IsWorkingDay(day) {
			n--
		}
	}
	y, m, d = day.Date()
	return time.Date(y, m, d, 23, 59, 59, 0, Shanghai)
}

// TestAddWorkingDaysMatchesDayLoop compares AddWorkingDays with the
// day-by-day rule for every start day of the embedded data range (and an
// empty calendar), for short and long n.
func TestAddWorkingDaysMatchesDayLoop(t *testing.T) {
	testenv.SkipUnderRace(t, "working days checked against the day loop")
	cals := map[string]*Calendar{"embedded": embeddedCal(t), "empty": New()}
	ns := []int{1, 2, 3, 4, 5, 6, 7, 10, 15, 30, 366}
	for name, c := range cals {
		start := time.Date(2006, 12, 1, 9, 0, 0, 0, Shanghai)
		end := time.Date(2028, 1, 31, 0, 0, 0, 0, Shanghai)
		for d := start; d.Before(end); d = d.AddDate(0, 0, 1) {
			for _, n := range ns {
				if n == 366 && d.Day() != 1 {
					continue // the long case once a month keeps the test fast
				}
				got, want := c.AddWorkingDays(d, n), naiveAdd(c, d, n)
				if !got.Equal(want) {
					t.Fatalf("%s: AddWorkingDays(%s, %d) = %s, day loop says %s", name, d.Format(time.DateOnly), n, got, want)
				}
				if between := c.WorkingDaysBetween(d, got.AddDate(0, 0, -1)); between != n-1 {
					t.Fatalf("%s: WorkingDaysBetween(%s, day before deadline) = %d, want %d", name, d.Format(time.DateOnly), between, n-1)
				}
			}
		}
	}
}

func TestAddWorkingDaysEdges(t *testing.T) {
	c := embeddedCal(t)
	from := at(t, "2026-09-30T20:00:00Z")
	for _, n := range []int{0, -1, -1000} {
		if got := c.AddWorkingDays(from, n); !got.Equal(from) || got.Location() != from.Location() {
			t.Errorf("AddWorkingDays(t, %d) = %v, want t unchanged", n, got)
		}
	}
	// Five years of working days: must agree with the day loop and be quick.
	n := 366 * 5
	got, want := c.AddWorkingDays(from, n), naiveAdd(c, from, n)
	if !got.Equal(want) {
		t.Errorf("AddWorkingDays(t, %d) = %v, want %v", n, got, want)
	}
	// Huge n and times far from the data must not panic or go backwards.
	for _, f := range []time.Time{{}, time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), from} {
		if got := c.AddWorkingDays(f, 1<<62); !got.After(f) {
			t.Errorf("AddWorkingDays(%v, 1<<62) = %v, not after the start", f, got)
		}
	}
	// Before 1970 the day arithmetic uses negative day numbers.
	if got := New().AddWorkingDays(at(t, "1969-12-26T10:00:00+08:00"), 1); got.Format(time.DateOnly) != "1969-12-29" {
		t.Errorf("Friday 1969-12-26 + 1 = %v, want Monday 1969-12-29", got)
	}
	if got := c.WorkingDaysBetween(from, from.Add(-time.Hour)); got != 0 {
		t.Errorf("WorkingDaysBetween backwards = %d, want 0", got)
	}
	if got := c.WorkingDaysBetween(from, from.Add(time.Hour)); got != 0 {
		t.Errorf("WorkingDaysBetween same day = %d, want 0", got)
	}
	// 2026: 365 days, 261 Monday–Fridays, minus weekday off days, plus 调休.
	y0, y1 := at(t, "2025-12-31T12:00:00+08:00"), at(t, "2026-12-31T12:00:00+08:00")
	if got := c.WorkingDaysBetween(y0, y1); got != naiveBetween(c, y0, y1) {
		t.Errorf("working days in 2026 = %d, day loop says %d", got, naiveBetween(c, y0, y1))
	}
}

func naiveBetween(c *Calendar, from, to time.Time) int {
	n := 0
	y, m, d := from.In(Shanghai).Date()
	ty, tm, td := to.In(Shanghai).Date()
	end := time.Date(ty, tm, td, 12, 0, 0, 0, Shanghai)
	for day := time.Date(y, m, d, 12, 0, 0, 0, Shanghai).AddDate(0, 0, 1); !day.After(end); day = day.AddDate(0, 0, 1) {
		if c.IsWorkingDay(day) {
			n++
		}
	}
	return n
}

func TestShanghai(t *testing.T) {
	if Shanghai == nil {
		t.Fatal("Shanghai is nil")
	}
	if Shanghai.String() != "Asia/Shanghai" {
		t.Errorf("Shanghai = %q, want the Asia/Shanghai zone (time/tzdata is linked in)", Shanghai)
	}
	if _, off := time.Date(2026, 7, 1, 0, 0, 0, 0, Shanghai).Zone(); off != 8*3600 {
		t.Errorf("offset = %d, want +8h", off)
	}
}

// readEmbedded returns the embedded year files, keyed by file name.
func readEmbedded(t testing.TB) map[string][]byte {
	t.Helper()
	names, err := fs.Glob(embedded, "holidays/*.json")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, name := range names {
		if !yearFile.MatchString(path.Base(name)) {
			continue
		}
		b, err := fs.ReadFile(embedded, name)
		if err != nil {
			t.Fatal(err)
		}
		files[path.Base(name)] = b
	}
	if len(files) < 20 {
		t.Fatalf("only %d embedded year files", len(files))
	}
	return files
}

func TestEmbedded(t *testing.T) {
	c := embeddedCal(t)
	for y := 2007; y <= 2026; y++ {
		if len(c.Days(y)) == 0 {
			t.Errorf("no days for %d", y)
		}
	}
	if got := c.Days(2027); len(got) != 0 {
		t.Errorf("2027 is not published in the embedded data, got %v", got)
	}
	days := c.Days(2026)
	if !slices.IsSortedFunc(days, func(a, b Day) int { return strings.Compare(a.Date, b.Date) }) {
		t.Error("Days(2026) not sorted")
	}
	if days[0] != (Day{Date: "2026-01-01", Name: "元旦", OffDay: true}) {
		t.Errorf("first 2026 day = %+v", days[0])
	}
	for _, name := range []string{"holidays/LICENSE", "holidays/UPSTREAM_COMMIT"} {
		if b, err := fs.ReadFile(embedded, name); err != nil || len(b) == 0 {
			t.Errorf("%s not embedded: %v", name, err)
		}
	}
}

// TestMergeByDate checks that 2019.json's 2018-12-29..31 land in 2018 and
// that loading 2018.json after it does not drop them.
func TestMergeByDate(t *testing.T) {
	files := readEmbedded(t)
	c := New()
	n, err := c.LoadYear(bytes.NewReader(files["2019.json"]))
	if err != nil {
		t.Fatal(err)
	}
	if n != len(c.Days(2018))+len(c.Days(2019)) {
		t.Errorf("LoadYear returned %d", n)
	}
	want := []Day{
		{Date: "2018-12-29", Name: "元旦", OffDay: false},
		{Date: "2018-12-30", Name: "元旦", OffDay: true},
		{Date: "2018-12-31", Name: "元旦", OffDay: true},
	}
	if got := c.Days(2018); !slices.Equal(got, want) {
		t.Errorf("Days(2018) after 2019.json = %+v, want %+v", got, want)
	}
	if _, err := c.LoadYear(bytes.NewReader(files["2018.json"])); err != nil {
		t.Fatal(err)
	}
	got := c.Days(2018)
	if len(got) <= 3 || !slices.Equal(got[len(got)-3:], want) {
		t.Errorf("2018.json dropped the 2019.json days: %+v", got)
	}
	// Saturday 2018-12-29 is a 调休 working day; then three days off.
	if d := c.AddWorkingDays(at(t, "2018-12-28T18:00:00+08:00"), 1); d.Format(time.DateOnly) != "2018-12-29" {
		t.Errorf("Fri 2018-12-28 + 1 = %s, want the make-up Saturday", d.Format(time.DateOnly))
	}
	if d := c.AddWorkingDays(at(t, "2018-12-29T18:00:00+08:00"), 1); d.Format(time.DateOnly) != "2019-01-02" {
		t.Errorf("Sat 2018-12-29 + 1 = %s, want 2019-01-02", d.Format(time.DateOnly))
	}
}

func TestLoadYearBadDocumentChangesNothing(t *testing.T) {
	bad := map[string]string{
		"empty":            ``,
		"not json":         `holiday`,
		"truncated":        `{"year": 2027, "papers": [], "days": [{"name": "元旦", "date": "2027-01-01"`,
		"array":            `[]`,
		"missing year":     `{"papers": [], "days": []}`,
		"missing days":     `{"year": 2027, "papers": []}`,
		"days not array":   `{"year": 2027, "days": {}}`,
		"missing isOffDay": `{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01"}]}`,
		"missing date":     `{"year": 2027, "days": [{"name": "元旦", "isOffDay": true}]}`,
		"missing name":     `{"year": 2027, "days": [{"date": "2027-01-01", "isOffDay": true}]}`,
		"isOffDay string":  `{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": "true"}]}`,
		"short date":       `{"year": 2027, "days": [{"name": "元旦", "date": "2027-1-1", "isOffDay": true}]}`,
		"impossible date":  `{"year": 2027, "days": [{"name": "春节", "date": "2027-02-30", "isOffDay": true}]}`,
		"date with time":   `{"year": 2027, "days": [{"name": "春节", "date": "2027-02-06T00:00:00Z", "isOffDay": true}]}`,
		"second day bad": `{"year": 2026, "days": [
			{"name": "X", "date": "2026-03-09", "isOffDay": true},
			{"name": "X", "date": "2026-13-01", "isOffDay": true}]}`,
		"trailing garbage": `{"year": 2027, "days": []} {`,
	}
	c := embeddedCal(t)
	before := map[int][]Day{}
	for y := 2006; y <= 2027; y++ {
		before[y] = c.Days(y)
	}
	for name, doc := range bad {
		n, err := c.LoadYear(strings.NewReader(doc))
		if err == nil {
			t.Errorf("%s: LoadYear succeeded", name)
		}
		if n != 0 {
			t.Errorf("%s: LoadYear returned %d days", name, n)
		}
	}
	for y, want := range before {
		if got := c.Days(y); !slices.Equal(got, want) {
			t.Errorf("Days(%d) changed after bad documents", y)
		}
	}
	if !c.IsWorkingDay(at(t, "2026-03-09T12:00:00+08:00")) {
		t.Error("the good first day of a bad document was applied")
	}

	// A good new year file is taken without a rebuild.
	n, err := c.LoadYear(strings.NewReader(`{"year": 2027, "papers": [], "days": [
		{"name": "元旦", "date": "2027-01-01", "isOffDay": true},
		{"name": "春节", "date": "2027-02-06", "isOffDay": true},
		{"name": "春节", "date": "2027-02-06", "isOffDay": true}]}`))
	if err != nil || n != 2 {
		t.Fatalf("LoadYear(2027) = %d, %v; want 2 distinct dates", n, err)
	}
	if got := len(c.Days(2027)); got != 2 {
		t.Errorf("Days(2027) has %d days, want 2", got)
	}
}

func TestSetRemove(t *testing.T) {
	c := New()
	mon := at(t, "2026-03-09T10:00:00+08:00")
	sat := at(t, "2026-03-14T10:00:00+08:00")

	if err := c.Set(Day{Date: "2026-03-09", Name: "local holiday", OffDay: true}); err != nil {
		t.Fatal(err)
	}
	if c.IsWorkingDay(mon) {
		t.Error("Monday set off is still a working day")
	}
	if err := c.Set(Day{Date: "2026-03-14", Name: "调休", OffDay: false}); err != nil {
		t.Fatal(err)
	}
	if !c.IsWorkingDay(sat) {
		t.Error("Saturday set as make-up working day is not a working day")
	}
	// Friday 03-06 + 1: Monday is off now, so Tuesday.
	if d := c.AddWorkingDays(at(t, "2026-03-06T10:00:00+08:00"), 1); d.Format(time.DateOnly) != "2026-03-10" {
		t.Errorf("deadline = %s, want 2026-03-10", d.Format(time.DateOnly))
	}
	// Correct the Monday back to a working day by overriding it.
	if err := c.Set(Day{Date: "2026-03-09", Name: "corrected", OffDay: false}); err != nil {
		t.Fatal(err)
	}
	want := []Day{{Date: "2026-03-09", Name: "corrected"}, {Date: "2026-03-14", Name: "调休"}}
	if got := c.Days(2026); !slices.Equal(got, want) {
		t.Errorf("Days = %+v, want %+v", got, want)
	}
	if err := c.Remove("2026-03-14"); err != nil {
		t.Fatal(err)
	}
	if c.IsWorkingDay(sat) {
		t.Error("removed make-up Saturday is still a working day")
	}
	if err := c.Remove("2026-03-14"); err != nil {
		t.Errorf("removing a plain day: %v", err)
	}
	for _, bad := range []string{"", "2026-3-9", "2026-02-29", "09/03/2026", "2026-03-09 "} {
		if err := c.Set(Day{Date: bad, OffDay: true}); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
		if err := c.Remove(bad); err == nil {
			t.Errorf("Remove(%q) accepted", bad)
		}
	}
	if got := len(c.Days(2026)); got != 1 {
		t.Errorf("bad Set/Remove changed the calendar: %d days", got)
	}

	// An override on the embedded data, and a year file loaded later wins.
	e := embeddedCal(t)
	if err := e.Set(Day{Date: "2026-10-08", Name: "extended", OffDay: true}); err != nil {
		t.Fatal(err)
	}
	if d := e.AddWorkingDays(at(t, "2026-09-30T20:00:00+08:00"), 1); d.Format(time.DateOnly) != "2026-10-09" {
		t.Errorf("with 10-08 off, deadline = %s, want 2026-10-09", d.Format(time.DateOnly))
	}
	if err := e.Remove("2026-10-01"); err != nil {
		t.Fatal(err)
	}
	if !e.IsWorkingDay(at(t, "2026-10-01T12:00:00+08:00")) {
		t.Error("removed holiday Thursday should be a plain working day")
	}
}

// TestConcurrent runs readers against a writer; run with -race.
func TestConcurrent(t *testing.T) {
	c := embeddedCal(t)
	files := readEmbedded(t)
	from := at(t, "2026-09-30T20:00:00+08:00")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				d := c.AddWorkingDays(from, 5)
				if d.Before(from) {
					t.Error("deadline before start")
					return
				}
				c.IsWorkingDay(d)
				c.WorkingDaysBetween(from, d)
				_ = c.Days(2026)
			}
		}()
	}
	for i := range 200 {
		if err := c.Set(Day{Date: "2026-10-08", Name: "x", OffDay: i%2 == 0}); err != nil {
			t.Error(err)
		}
		if err := c.Remove("2026-10-09"); err != nil {
			t.Error(err)
		}
		if _, err := c.LoadYear(bytes.NewReader(files["2026.json"])); err != nil {
			t.Error(err)
		}
		if _, err := c.LoadYear(strings.NewReader(`{"year":`)); err == nil {
			t.Error("bad document accepted")
		}
	}
	close(stop)
	wg.Wait()
}

func FuzzLoadYear(f *testing.F) {
	for _, b := range readEmbedded(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"year": 2027, "papers": [], "days": [{"name": "x", "date": "9999-12-31", "isOffDay": false}]}`))
	f.Add([]byte(`{"year": 0, "days": [{"name": "", "date": "0000-01-01", "isOffDay": true}]}`))
	f.Add([]byte(`{"year": 2027, "days": [{"name": "x", "date": "2027-02-29", "isOffDay": true}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := New()
		sentinel := Day{Date: "2000-01-03", Name: "sentinel", OffDay: true}
		if err := c.Set(sentinel); err != nil {
			t.Fatal(err)
		}
		n, err := c.LoadYear(bytes.NewReader(data))
		if err != nil {
			if n != 0 {
				t.Errorf("error with %d days", n)
			}
			if got := c.Days(2000); !slices.Equal(got, []Day{sentinel}) {
				t.Errorf("failed load changed the calendar: %+v", got)
			}
			return
		}
		if n < 0 {
			t.Errorf("negative count %d", n)
		}
		// Whatever was loaded, the rule still works.
		from := time.Date(2000, 1, 1, 12, 0, 0, 0, Shanghai)
		d := c.AddWorkingDays(from, 3)
		if !d.After(from) || c.WorkingDaysBetween(from, d) != 3 {
			t.Errorf("AddWorkingDays after load = %v", d)
		}
	})
}

// benchStarts are order times spread over two years, holidays included.
func benchStarts() []time.Time {
	starts := make([]time.Time, 0, 730)
	t := time.Date(2025, 1, 1, 9, 30, 0, 0, Shanghai)
	for i := range 730 {
		starts = append(starts, t.AddDate(0, 0, i))
	}
	return starts
}

// BenchmarkAddWorkingDays measures the deadline computation on the embedded
// calendar; the AddDate sub-benchmarks are the cost of plain date arithmetic
// for comparison.
func BenchmarkAddWorkingDays(b *testing.B) {
	c := embeddedCal(b)
	starts := benchStarts()
	for _, n := range []int{5, 30} {
		b.Run(fmt.Sprintf("calendar/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				_ = c.AddWorkingDays(starts[i%len(starts)], n)
				i++
			}
		})
		b.Run(fmt.Sprintf("AddDate/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				_ = starts[i%len(starts)].AddDate(0, 0, n)
				i++
			}
		})
	}
}

func ExampleCalendar_AddWorkingDays() {
	c, err := Embedded()
	if err != nil {
		panic(err)
	}
	// Received the evening before the 2026 National Day holiday (Oct 1–7);
	// Saturday Oct 10 is a make-up working day (调休).
	received := time.Date(2026, 9, 30, 20, 0, 0, 0, Shanghai)
	for _, n := range []int{1, 3, 5} {
		fmt.Println(n, c.AddWorkingDays(received, n).Format(time.RFC3339))
	}
	// Output:
	// 1 2026-10-08T23:59:59+08:00
	// 3 2026-10-10T23:59:59+08:00
	// 5 2026-10-13T23:59:59+08:00
}
