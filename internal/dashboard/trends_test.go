package dashboard

import (
	"testing"
	"time"

	"hotline/internal/calendar"
	"hotline/internal/store"
)

// weeksEnding gives Monday-to-Sunday weeks, oldest first, the last holding
// the day asked for, whatever weekday it is.
func TestWeeksEnding(t *testing.T) {
	for _, c := range []struct {
		day          string
		n            int
		first, last0 string
	}{
		{"2026-03-20", 2, "2026-03-09", "2026-03-16"}, // a Friday
		{"2026-03-16", 3, "2026-03-02", "2026-03-16"}, // a Monday
		{"2026-03-22", 2, "2026-03-09", "2026-03-16"}, // a Sunday
		{"2027-01-01", 8, "2026-11-09", "2026-12-28"}, // across a year
	} {
		d, err := time.ParseInLocation("2006-01-02", c.day, calendar.Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		ws := weeksEnding(store.DayOf(d), c.n)
		if len(ws) != c.n || ws[0].From != c.first || ws[c.n-1].From != c.last0 {
			t.Fatalf("weeksEnding(%s, %d) = %+v, want %d weeks from %s, the last from %s", c.day, c.n, ws, c.n, c.first, c.last0)
		}
		for i, w := range ws {
			from, _ := time.ParseInLocation("2006-01-02", w.From, calendar.Shanghai)
			if w.Days != 7 || from.Weekday() != time.Monday || (i > 0 && w.FromDay != ws[i-1].ToDay) {
				t.Errorf("week %d of %s: %+v", i, c.day, w)
			}
		}
	}
}
