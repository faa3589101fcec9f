package emergency

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
)

// FuzzCheckUpdate: any check update body is accepted or refused as the
// contract's 400 with fields, never a panic; an accepted one has a known
// status other than unchecked, an op_id, a note of valid UTF-8 within its
// length, and a time neither in the future nor over a year ago.
func FuzzCheckUpdate(f *testing.F) {
	f.Add([]byte(`{"status":"evacuated","note":"转移到街道避难点","op_id":"op-1","at":"2026-12-06T10:00:00Z"}`))
	f.Add([]byte(`{"status":"safe","op_id":"x","version":3}`))
	f.Add([]byte(`{"status":"exploded","op_id":""}`))
	f.Add([]byte(`{"status":"needs_help","op_id":"a","note":"\u0000","at":"2999-01-01T00:00:00Z"}`))
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		var c CheckUpdate
		if json.Unmarshal(body, &c) != nil {
			return
		}
		err := c.Validate(now)
		if err != nil {
			if e := apperr.As(err); e == nil || e.Code != apperr.Invalid || len(e.Fields) == 0 {
				t.Fatalf("refusal is not a 400 with fields: %#v", err)
			}
			return
		}
		if !CanMove(Unchecked, c.Status) || c.OpID == "" ||
			!utf8.ValidString(c.Note) || utf8.RuneCountInString(c.Note) > 500 || !utf8.ValidString(c.OpID) {
			t.Fatalf("accepted %+v", c)
		}
		if c.At != nil && (c.At.After(now.Add(5*time.Minute)) || c.At.Before(now.AddDate(-1, 0, 0))) {
			t.Fatalf("accepted a check made at %v (now %v)", c.At, now)
		}
	})
}
