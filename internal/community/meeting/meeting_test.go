package meeting

import (
	"errors"
	"testing"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
)

func TestApplyValidates(t *testing.T) {
	s := func(v string) *string { return &v }
	now := time.Now()
	cases := []struct {
		name  string
		in    Input
		field string
	}{
		{"unknown kind", Input{Kind: s("party"), Topic: s("t"), StartsAt: &now, Compound: s("c")}, "kind"},
		{"no topic", Input{Kind: s("hearing"), Topic: s(" "), StartsAt: &now, Compound: s("c")}, "topic"},
		{"no start", Input{Kind: s("hearing"), Topic: s("t"), Compound: s("c")}, "starts_at"},
		{"no compound", Input{Kind: s("hearing"), Topic: s("t"), StartsAt: &now}, "compound"},
		{"bad participant", Input{Kind: s("hearing"), Topic: s("t"), StartsAt: &now, Compound: s("c"), Participants: &[]Participant{{Name: "a", Kind: "alien"}}}, "participants"},
		{"bad status", Input{Kind: s("hearing"), Topic: s("t"), StartsAt: &now, Compound: s("c"), Status: s("done")}, "status"},
		{"NUL in minutes", Input{Kind: s("hearing"), Topic: s("t"), StartsAt: &now, Compound: s("c"), Minutes: s("a\x00b")}, "minutes"},
	}
	for _, c := range cases {
		_, err := c.in.Apply(Meeting{})
		if err == nil || !hasField(err, c.field) {
			t.Errorf("%s: %v, want a problem with %s", c.name, err, c.field)
		}
	}
	m, err := Input{Kind: s("hearing"), Topic: s(" 听证会 "), StartsAt: &now, Compound: s("c"), Orders: &[]string{"1", "1", "2"}}.Apply(Meeting{})
	if err != nil || m.Topic != "听证会" || len(m.Orders) != 2 || m.Status != "planned" {
		t.Fatalf("%+v %v", m, err)
	}
	m.ID = "1"
	if _, err := (Input{Compound: s("c"), Topic: s("新议题")}).Apply(m); err != nil {
		t.Fatalf("an edit of an existing meeting: %v", err)
	}
	if _, err := (Input{Compound: s("other")}).Apply(m); err == nil {
		t.Fatal("a meeting moved to another compound")
	}
}

func hasField(err error, f string) bool {
	var e *apperr.Error
	return errors.As(err, &e) && e.Fields[f] != ""
}

func TestParseDue(t *testing.T) {
	d, ok := ParseDue("2026-12-07", calendar.Shanghai)
	if !ok || d.Format(time.RFC3339) != "2026-12-07T15:59:59Z" {
		t.Fatalf("date due %v", d)
	}
	if _, ok := ParseDue("2026-12-07T10:00:00+08:00", calendar.Shanghai); !ok {
		t.Fatal("RFC 3339")
	}
	for _, bad := range []string{"", "tomorrow", "2026-13-01", "2026-12-7"} {
		if _, ok := ParseDue(bad, calendar.Shanghai); ok {
			t.Errorf("ParseDue(%q) accepted", bad)
		}
	}
}

func TestThreadOrder(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := []Meeting{
		{ID: "2", StartsAt: t0.Add(48 * time.Hour), Topic: "b", Decisions: []string{"d2"}},
		{ID: "1", StartsAt: t0, Topic: "a", Decisions: []string{"d1"}, Actions: []Action{
			{ID: "9", Status: "open", Due: t0.Add(24 * time.Hour)}, {ID: "8", Status: "done", Due: t0.Add(time.Hour)}}},
	}
	got := Thread(ms, t0.Add(30*time.Hour))
	want := []string{"meeting1", "decision1", "action1", "meeting2", "decision2"}
	if len(got) != len(want) {
		t.Fatalf("%d items: %+v", len(got), got)
	}
	for i, it := range got {
		if it.Kind+it.Meeting != want[i] {
			t.Fatalf("item %d = %s%s, want %s", i, it.Kind, it.Meeting, want[i])
		}
	}
	if !got[2].Overdue {
		t.Fatal("open action past due not marked overdue")
	}
}
