package web

import (
	"strings"
	"testing"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/community/meeting"
	"hotline/internal/order"
)

// TestProblemWords checks the one mapping from a field problem to a page's
// words, with the problems the domain really returns: each coded problem
// is worded by its code, with its argument, in both languages, and the API
// keeps its English text; a problem's English text alone is no longer
// read for a pattern, so a validator that forgot its code shows its text
// as it is, not a wrong translation.
func TestProblemWords(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	w := &Web{catalog: cat}
	v := int64(1)
	disp := order.Actor{Role: order.RoleDispatcher}
	known := func(string) bool { return false }
	newOrder := func(in order.NewOrder) error {
		_, _, err := in.Build(order.Actor{Role: order.RoleOperator}, order.CreateEnv{Now: time.Now(), CategoryKnown: known, CompoundKnown: known})
		return err
	}
	apply := func(act order.Action, in order.Input) error {
		in.Version = &v
		_, err := order.Apply(order.Order{Status: order.Received, Version: 1}, disp, act, in, order.Env{Now: time.Now(), UnitKnown: known})
		return err
	}
	cases := []struct {
		name, field string
		err         error
		text        string // the wire's English
		zh, en      string
	}{
		{"title too long", "title", newOrder(order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Title: strings.Repeat("长", 201), Description: "x"}),
			"too long: at most 200 characters", "太长：最多 200 个字", "Too long: at most 200 characters"},
		{"unknown category", "category", newOrder(order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Title: "t", Description: "d", Category: "no.such"}),
			"unknown category no.such", "未知分类 no.such", "Unknown category no.such"},
		{"unknown compound", "compound", newOrder(order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Title: "t", Description: "d", Compound: "atlantis"}),
			"unknown compound atlantis", "未知小区 atlantis", "Unknown compound atlantis"},
		{"type not in the list", "type", newOrder(order.NewOrder{Type: "rant", Source: order.SourceHotline, Title: "t", Description: "d"}),
			"must be one of consultation, help, complaint, report, suggestion, praise", "请从列表中选择", "Choose one of the options"},
		{"unknown unit", "unit", apply(order.ActDispatch, order.Input{Unit: "nowhere"}),
			"unknown unit nowhere", "未知单位 nowhere", "Unknown unit nowhere"},
		{"note kind", "kind", apply(order.ActNote, order.Input{Kind: "gossip", Text: "x"}),
			"must be one of " + strings.Join(order.NoteKinds, ", "), "请从列表中选择", "Choose one of the options"},
		{"merge target", "into", func() error {
			_, _, err := order.MergeInto(order.Order{Status: order.Closed}, order.Order{}, disp, time.Now())
			return err
		}(), "the order to merge into must be open; it is closed", "目标工单必须是未办结且未被并单的工单", "The target must be an open order that is not itself merged"},
		{"meeting kind", "kind", func() error {
			party := "party"
			_, err := meeting.Input{Kind: &party}.Apply(meeting.Meeting{})
			return err
		}(), "must be one of hearing, coordination, review, other", "请从列表中选择", "Choose one of the options"},
		{"an empty co-unit", "co_units", apply(order.ActDispatch, order.Input{Unit: "nowhere", CoUnits: []string{" "}}),
			"unknown unit ", "未知单位 ", "Unknown unit "},
		{"no order", "orders", apperr.FieldProblem("orders", apperr.NoOrder("20261206-0001")), "no order 20261206-0001", "找不到该工单", "No such order"},
		// A problem without a code: its fixed wording is the catalogue's.
		{"required", "title", newOrder(order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Description: "d"}),
			"required", "必填", "Required"},
		// Coded wording is not found by the text: an uncoded "too long" is shown as it is.
		{"text alone is not a code", "q", apperr.Field("q", "too long: at most 7 characters"),
			"too long: at most 7 characters", "输入有误：too long: at most 7 characters", "too long: at most 7 characters"},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Errorf("%s: the domain returned no error", c.name)
			continue
		}
		e := apperr.As(c.err)
		if got := e.Fields[c.field]; got != c.text {
			t.Errorf("%s: wire text %q, want %q (fields %v)", c.name, got, c.text, e.Fields)
		}
		p := e.Problem(c.field)
		if got := w.problem("zh", p); got != c.zh {
			t.Errorf("%s (%+v): zh %q, want %q", c.name, p, got, c.zh)
		}
		if got := w.problem("en", p); got != c.en {
			t.Errorf("%s (%+v): en %q, want %q", c.name, p, got, c.en)
		}
	}
	// Every code has its wording in both catalogues.
	for code, k := range problemKeys {
		for _, lang := range Languages {
			if s, ok := cat[lang][k.key]; !ok || strings.Contains(s, "%") != k.withArg {
				t.Errorf("catalogue %s: %s (code %s) is %q; a place for the argument: %v", lang, k.key, code, s, k.withArg)
			}
		}
	}
}
