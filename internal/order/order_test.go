package order

import (
	"testing"
	"time"
)

func TestOverdue(t *testing.T) {
	sign, contact, due := eod(2026, 3, 4), eod(2026, 3, 5), eod(2026, 3, 10)
	type moment struct {
		name string
		now  time.Time
		// which deadlines have passed
		sign, contact, due bool
	}
	moments := []moment{
		{"before all", sh(2026, 3, 4, 10, 0), false, false, false},
		{"exactly at sign_due", sign, false, false, false},
		{"after sign_due", sign.Add(time.Second), true, false, false},
		{"after contact_due", contact.Add(time.Second), true, true, false},
		{"exactly at due", due, true, true, false},
		{"after due", due.Add(time.Second), true, true, true},
	}
	// The steps not yet done in each state (workflow.md: overdue = the step's
	// deadline has passed and the step is not done).
	pending := func(st Status) (s, c, d bool) {
		switch st {
		case Dispatched:
			return true, true, true
		case Accepted:
			return false, true, true
		case InProgress:
			return false, false, true
		}
		return false, false, false
	}
	for _, st := range Statuses {
		froms := []Status{""}
		if st == ReturnRequested {
			froms = []Status{Dispatched, Accepted, InProgress}
		}
		for _, from := range froms {
			for _, m := range moments {
				o := fixture(st)
				o.SignDue, o.ContactDue, o.Due = ptr(sign), ptr(contact), ptr(due)
				ps, pc, pd := pending(st)
				if st == ReturnRequested {
					// The clock keeps running while the center decides on the return.
					o.ReturnFrom = from
					ps, pc, pd = pending(from)
				}
				want := (ps && m.sign) || (pc && m.contact) || (pd && m.due)
				if got := o.Overdue(m.now); got != want {
					t.Errorf("%s (from %q) %s: overdue %v, want %v", st, from, m.name, got, want)
				}
				// Without deadlines nothing is overdue.
				o.SignDue, o.ContactDue, o.Due = nil, nil, nil
				if o.Overdue(m.now.Add(365 * 24 * time.Hour)) {
					t.Errorf("%s without deadlines is overdue", st)
				}
			}
		}
	}
	// An approved extension moves due, and the order is on time again.
	o := fixture(InProgress)
	late := o.Due.Add(time.Hour)
	if !o.Overdue(late) {
		t.Fatalf("not overdue after due")
	}
	o.Due = ptr(testCal{}.AddWorkingDays(*o.Due, 2))
	if o.Overdue(late) {
		t.Errorf("still overdue after the extension")
	}
}

func TestVisible(t *testing.T) {
	held := fixture(InProgress) // unit u1, co-unit u2
	center := centerFixture(Received)
	for _, c := range []struct {
		a            Actor
		held, center bool
	}{
		{opActor, true, true},
		{dispActor, true, true},
		{leaderActor, true, true},
		{adminActor, true, true},
		{volActor, false, false},
		{Actor{Role: RoleVolunteer, Unit: "u1"}, false, false},
		{ownActor, true, false},
		{coActor, true, false},
		{otherActor, false, false},
		{unitlessHandl, false, false},
		{Actor{Role: "ghost"}, false, false}, // unknown roles read nothing (ScopeOf denies by default); Check refuses them every action
	} {
		if got := held.Visible(c.a); got != c.held {
			t.Errorf("%+v on a held order: %v, want %v", c.a, got, c.held)
		}
		if got := center.Visible(c.a); got != c.center {
			t.Errorf("%+v on a center order: %v, want %v", c.a, got, c.center)
		}
	}
	for _, act := range Actions {
		if err := Check(&held, Actor{Role: "ghost"}, act); err == nil {
			t.Errorf("an unknown role may %s", act)
		}
	}
}

// TestScopeOf: the one visibility rule, as the store's list filter reads it
// (All, or the unit whose held and co-handled orders are seen, or none).
func TestScopeOf(t *testing.T) {
	for _, c := range []struct {
		a    Actor
		want Scope
		none bool
	}{
		{opActor, Scope{All: true}, false},
		{leaderActor, Scope{All: true}, false},
		{ownActor, Scope{Unit: ownActor.Unit}, false},
		{unitlessHandl, Scope{}, true},
		{volActor, Scope{}, true},
		{Actor{Role: "ghost", Unit: "u1"}, Scope{}, true},
	} {
		if got := ScopeOf(c.a); got != c.want || got.None() != c.none {
			t.Errorf("ScopeOf(%+v) = %+v (none %v), want %+v (none %v)", c.a, got, got.None(), c.want, c.none)
		}
	}
}
