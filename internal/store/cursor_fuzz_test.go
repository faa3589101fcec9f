package store

import (
	"testing"

	"hotline/internal/apperr"
)

// FuzzRankCursor: a ranked search's cursor comes back from clients, so any
// string must either be refused as a field error or parse into a cursor
// that prints back to a string parsing to the same cursor.
func FuzzRankCursor(f *testing.F) {
	for _, s := range []string{"r1.120.80.40.1099511627776.57", "r1.120.80.40.t.12", "r1.1.1.1.0.1", "r1..1.1.1.1",
		"r1.5.9.1.0.3", "r2.1.1.1.1.1", "r1.-1.1.1.1.1", "r1.9223372036854775807.0.0.t.9223372036854775807", "", "42"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseRankCursor(s)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("%q: refused with %v, want a field error", s, err)
			}
			return
		}
		back, err := parseRankCursor(c.String())
		if err != nil || back != c {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, c, c.String(), back, err)
		}
		if c.snap <= 0 || c.id <= 0 || c.any > c.snap || c.strong > c.any {
			t.Fatalf("%q accepted an inconsistent window %+v", s, c)
		}
	})
}
