package apperr

import (
	"encoding/json"
	"testing"
)

// TestFieldProblems: collected problems become one Invalid error whose
// Fields are the English texts (the wire's `fields`, unchanged by codes)
// and whose coded problems keep their code and argument for the pages;
// the first problem per field wins, coded or not.
func TestFieldProblems(t *testing.T) {
	f := Fields{}
	if f.Err() != nil {
		t.Fatal("no problems must be no error")
	}
	f.AddProblem("title", TooLong(200))
	f.Add("title", "required") // second: ignored
	f.Add("description", "required")
	f.AddProblem("unit", UnknownUnit("nowhere"))
	f.AddProblem("kind", OneOf("a", "b"))
	e := As(f.Err())
	if e.Code != Invalid || e.Message != "invalid input" {
		t.Errorf("code %s message %q", e.Code, e.Message)
	}
	want := map[string]string{"title": "too long: at most 200 characters", "description": "required", "unit": "unknown unit nowhere", "kind": "must be one of a, b"}
	got, _ := json.Marshal(e.Fields)
	if w, _ := json.Marshal(want); string(got) != string(w) {
		t.Errorf("fields %s, want %s", got, w)
	}
	if p := e.Problem("title"); p.Code != ProblemTooLong || p.Arg != "200" {
		t.Errorf("title problem %+v", p)
	}
	if p := e.Problem("unit"); p.Code != ProblemUnknownUnit || p.Arg != "nowhere" {
		t.Errorf("unit problem %+v", p)
	}
	if p := e.Problem("description"); p != (Problem{Text: "required"}) {
		t.Errorf("an uncoded problem is its text alone: %+v", p)
	}
	if _, ok := e.Problems["description"]; ok {
		t.Error("Problems holds only coded problems")
	}

	one := FieldProblem("into", NoOrder("42"))
	if one.Message != "invalid into: no order 42" || one.Fields["into"] != "no order 42" || one.Problem("into").Code != ProblemNoOrder {
		t.Errorf("FieldProblem: %+v", one)
	}
	if plain := Field("q", "required"); plain.Message != "invalid q: required" || plain.Problem("q") != (Problem{Text: "required"}) || plain.Problems != nil {
		t.Errorf("Field: %+v", plain)
	}
	// An error made without the collector still answers Problem.
	lit := &Error{Code: Invalid, Fields: map[string]string{"x": "bad"}}
	if lit.Problem("x").Text != "bad" || lit.Problem("y") != (Problem{}) {
		t.Errorf("literal error's problems: %+v %+v", lit.Problem("x"), lit.Problem("y"))
	}
}
