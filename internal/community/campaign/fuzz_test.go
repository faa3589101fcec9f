package campaign

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
)

// refusal fails unless err is nil or the contract's 400: invalid, with the
// fields at fault.
func refusal(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	e := apperr.As(err)
	if e == nil || e.Code != apperr.Invalid || len(e.Fields) == 0 {
		t.Fatalf("refusal is not a 400 with fields: %#v", err)
	}
}

// FuzzForm: any campaign body is accepted or refused with fields, never a
// panic; an accepted form has fields with unique valid codes, a known
// type, and choices exactly for the choice types.
func FuzzForm(f *testing.F) {
	f.Add([]byte(`{"name":"普查","form":{"fields":[{"code":"people","label":"人数","type":"number","required":true},{"code":"h","label":"房","type":"choice","choices":["自有","租赁"]}]},"scope":{"compounds":["a"]}}`), true)
	f.Add([]byte(`{"form":{"fields":[{"code":"x","label":"x","type":"multi","choices":["a","a"]}]},"version":2}`), false)
	f.Add([]byte(`{"name":"x","form":{"fields":[]},"scope":{},"starts":"2026-02-30"}`), true)
	f.Fuzz(func(t *testing.T, body []byte, creating bool) {
		var in Input
		if json.Unmarshal(body, &in) != nil {
			return
		}
		err := in.Validate(creating)
		refusal(t, err)
		if err != nil || in.Form == nil {
			return
		}
		seen := map[string]bool{}
		for _, fd := range in.Form.Fields {
			if !validCode(fd.Code) || seen[fd.Code] || !utf8.ValidString(fd.Label) {
				t.Fatalf("accepted field %+v", fd)
			}
			seen[fd.Code] = true
			choice := fd.Type == "choice" || fd.Type == "multi"
			if choice != (len(fd.Choices) > 0) {
				t.Fatalf("accepted field %+v: choices do not match its type", fd)
			}
		}
	})
}

// FuzzAnswers: any submission against a form of every type is accepted or
// refused with fields, never a panic; an accepted done visit answers every
// required field, and every accepted answer names a field of the form.
func FuzzAnswers(f *testing.F) {
	form := Form{Fields: []Field{
		{Code: "people", Label: "人数", Type: "number", Required: true}, {Code: "note", Label: "说明", Type: "text"},
		{Code: "moved_in", Label: "迁入", Type: "date"}, {Code: "housing", Label: "住房", Type: "choice", Required: true, Choices: []string{"自有", "租赁"}},
		{Code: "needs", Label: "需要", Type: "multi", Choices: []string{"助餐", "就医"}}, {Code: "pets", Label: "宠物", Type: "bool"},
	}}
	f.Add([]byte(`{"submission_id":"a1","household":"12","outcome":"done","answers":{"people":3,"housing":"自有","needs":["助餐"],"pets":false,"moved_in":"2001-05-01"}}`))
	f.Add([]byte(`{"submission_id":"a2","household":"12","outcome":"absent"}`))
	f.Add([]byte(`{"submission_id":"a3","household":"12","outcome":"done","answers":{"people":1e400,"housing":"宿舍","needs":["助餐","助餐"]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var s Submission
		if json.Unmarshal(body, &s) != nil {
			return
		}
		err := s.Validate(form, time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
		refusal(t, err)
		if err != nil {
			return
		}
		known := map[string]Field{}
		for _, fd := range form.Fields {
			known[fd.Code] = fd
		}
		for code := range s.Answers {
			if _, ok := known[code]; !ok {
				t.Fatalf("accepted an answer to %q, not a field of the form", code)
			}
		}
		if s.Outcome == Done {
			for _, fd := range form.Fields {
				if fd.Required && isEmpty(s.Answers[fd.Code]) {
					t.Fatalf("accepted a done visit without the required %q", fd.Code)
				}
			}
		}
	})
}
