package meeting

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
)

// FuzzMeetingBody feeds arbitrary JSON to what POST /api/v1/meetings and
// POST /api/v1/meetings/{id}/actions parse: a body either decodes and
// validates into a meeting whose every field is within the contract
// (known kind and status, a topic of valid UTF-8 without NUL, at most 200
// characters), or is refused with field errors — never a panic, never an
// invalid meeting accepted. An action's due is a time or a date, read the
// same way each time.
func FuzzMeetingBody(f *testing.F) {
	for _, s := range []string{
		`{"kind":"hearing","topic":"三江小区围挡","starts_at":"2026-12-01T09:00:00+08:00","compound":"sanjiang"}`,
		`{"kind":"party","topic":" ","compound":""}`, `{"participants":[{"name":"王","kind":"alien"}]}`,
		`{"kind":"review","topic":"x","starts_at":"2026-12-01T09:00:00Z","compound":"c","decisions":["", "同意"],"status":"held"}`,
		`{"orders":["1","1","2"],"minutes":"\u0000"}`, `[]`, `null`, `{"topic":"\ud800"}`,
	} {
		f.Add([]byte(s), "2026-12-31")
	}
	f.Fuzz(func(t *testing.T, body []byte, due string) {
		var in Input
		if err := json.Unmarshal(body, &in); err == nil {
			m, err := in.Apply(Meeting{})
			if err != nil {
				if e := apperr.As(err); e.Code != apperr.Invalid || len(e.Fields) == 0 {
					t.Fatalf("refused without fields: %v", err)
				}
			} else {
				if !slices.Contains(Kinds, m.Kind) || !slices.Contains(Statuses, m.Status) {
					t.Fatalf("accepted kind %q status %q", m.Kind, m.Status)
				}
				if m.Topic == "" || !utf8.ValidString(m.Topic) || utf8.RuneCountInString(m.Topic) > 200 {
					t.Fatalf("accepted topic %q", m.Topic)
				}
				if m.Participants == nil || m.Orders == nil || m.Decisions == nil {
					t.Fatal("an accepted meeting has a null list")
				}
				for i, o := range m.Orders {
					if slices.Contains(m.Orders[:i], o) {
						t.Fatalf("order %s listed twice", o)
					}
				}
			}
		}
		d1, ok1 := ParseDue(due, calendar.Shanghai)
		d2, ok2 := ParseDue(due, calendar.Shanghai)
		if ok1 != ok2 || !d1.Equal(d2) || (ok1 && d1.Location() != time.UTC) {
			t.Fatalf("due %q read as %v %v then %v %v", due, d1, ok1, d2, ok2)
		}
	})
}
