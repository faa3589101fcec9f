package order

import (
	"testing"
	"time"

	"hotline/internal/apperr"
)

func TestTestCal(t *testing.T) {
	// The test calendar itself follows the working-day rule.
	c := testCal{}
	for _, x := range []struct {
		at   time.Time
		n    int
		want time.Time
	}{
		{sh(2026, 3, 4, 10, 0), 1, eod(2026, 3, 5)},  // Wednesday → Thursday
		{sh(2026, 3, 4, 0, 0), 1, eod(2026, 3, 5)},   // midnight: the day itself never counts
		{sh(2026, 3, 4, 23, 59), 1, eod(2026, 3, 5)}, // late evening: same
		{sh(2026, 3, 6, 8, 0), 1, eod(2026, 3, 9)},   // Friday → Monday
		{sh(2026, 3, 7, 12, 0), 1, eod(2026, 3, 9)},  // Saturday → Monday
		{sh(2026, 3, 8, 23, 0), 1, eod(2026, 3, 9)},  // Sunday 23:00 → Monday
		{sh(2026, 3, 6, 8, 0), 5, eod(2026, 3, 13)},  // Friday + 5 → next Friday
		{sh(2026, 3, 4, 10, 0), 0, sh(2026, 3, 4, 10, 0)},
		// 2026-03-06 17:00 UTC is Saturday 01:00 in Shanghai: the day of t is Saturday.
		{time.Date(2026, 3, 6, 17, 0, 0, 0, time.UTC), 1, eod(2026, 3, 9)},
		// 2026-03-04 15:59:59 UTC is still Wednesday 23:59:59 in Shanghai.
		{time.Date(2026, 3, 4, 15, 59, 59, 0, time.UTC), 1, eod(2026, 3, 5)},
	} {
		if got := c.AddWorkingDays(x.at, x.n); !got.Equal(x.want) {
			t.Errorf("AddWorkingDays(%v, %d) = %v, want %v", x.at, x.n, got, x.want)
		}
	}
	if got := (testCal{off: map[string]bool{"2026-03-05": true}}).AddWorkingDays(sh(2026, 3, 4, 10, 0), 1); !got.Equal(eod(2026, 3, 6)) {
		t.Errorf("holiday not skipped: %v", got)
	}
}

// TestDeadlineTable checks every row of the deadline table of workflow.md.
func TestDeadlineTable(t *testing.T) {
	s := testSchedule()
	type limits struct {
		days    [3]int           // working days (sign, contact, due), or
		elapsed [3]time.Duration // plain elapsed time
	}
	days := func(a, b, c int) limits { return limits{days: [3]int{a, b, c}} }
	dur := func(a, b, c time.Duration) limits { return limits{elapsed: [3]time.Duration{a, b, c}} }
	want := func(u Urgency, ty Type, round int) limits {
		switch {
		case u == Emergency:
			return dur(15*time.Minute, time.Hour, 2*time.Hour)
		case u == Urgent:
			return dur(30*time.Minute, 2*time.Hour, 24*time.Hour)
		case round >= 2:
			return days(1, 1, 3)
		case ty == Consultation:
			return days(1, 1, 1)
		}
		return days(1, 1, 5)
	}
	starts := []time.Time{
		sh(2026, 3, 4, 10, 0),  // Wednesday
		sh(2026, 3, 6, 16, 30), // Friday afternoon
		sh(2026, 3, 8, 23, 0),  // Sunday night
		sh(2026, 3, 2, 0, 5),   // Monday just after midnight
	}
	n := 0
	for _, u := range Urgencies {
		for _, ty := range Types {
			for _, round := range []int{0, 1, 2, 3} {
				for _, at := range starts {
					o := &Order{Urgency: u, Type: ty, Round: round}
					sign, contact, due := s.Deadlines(o, at)
					l := want(u, ty, round)
					var w [3]time.Time
					for i := range 3 {
						if l.days[i] > 0 {
							w[i] = testCal{}.AddWorkingDays(at, l.days[i])
						} else {
							w[i] = at.Add(l.elapsed[i])
						}
					}
					got := [3]time.Time{sign, contact, due}
					for i := range 3 {
						if !got[i].Equal(w[i]) || got[i].Location() != time.UTC {
							t.Errorf("%s %s round %d from %v: deadline %d = %v, want %v (UTC)", u, ty, round, at, i, got[i], w[i].UTC())
						}
					}
					n++
				}
			}
		}
	}
	// Spot checks with literal dates, so the table above is not only
	// checked against itself.
	for _, c := range []struct {
		o                  Order
		at                 time.Time
		sign, contact, due time.Time
	}{
		{Order{Urgency: Normal, Type: Consultation, Round: 1}, sh(2026, 3, 6, 16, 30), eod(2026, 3, 9), eod(2026, 3, 9), eod(2026, 3, 9)},
		{Order{Urgency: Normal, Type: Help, Round: 1}, sh(2026, 3, 6, 16, 30), eod(2026, 3, 9), eod(2026, 3, 9), eod(2026, 3, 13)},
		{Order{Urgency: Normal, Type: Praise, Round: 1}, sh(2026, 3, 8, 23, 0), eod(2026, 3, 9), eod(2026, 3, 9), eod(2026, 3, 13)},
		{Order{Urgency: Normal, Type: Suggestion, Round: 2}, sh(2026, 3, 4, 10, 0), eod(2026, 3, 5), eod(2026, 3, 5), eod(2026, 3, 9)},
		{Order{Urgency: Normal, Type: Consultation, Round: 2}, sh(2026, 3, 4, 10, 0), eod(2026, 3, 5), eod(2026, 3, 5), eod(2026, 3, 9)},
		{Order{Urgency: Urgent, Type: Report, Round: 2}, sh(2026, 3, 6, 23, 50), sh(2026, 3, 7, 0, 20), sh(2026, 3, 7, 1, 50), sh(2026, 3, 7, 23, 50)},
		{Order{Urgency: Emergency, Type: Complaint, Round: 3}, sh(2026, 3, 7, 12, 0), sh(2026, 3, 7, 12, 15), sh(2026, 3, 7, 13, 0), sh(2026, 3, 7, 14, 0)},
	} {
		sign, contact, due := s.Deadlines(&c.o, c.at)
		if !sign.Equal(c.sign) || !contact.Equal(c.contact) || !due.Equal(c.due) {
			t.Errorf("%s %s round %d from %v: %v / %v / %v, want %v / %v / %v", c.o.Urgency, c.o.Type, c.o.Round, c.at,
				sign.In(shanghai), contact.In(shanghai), due.In(shanghai), c.sign, c.contact, c.due)
		}
	}
	t.Logf("%d deadline cases", n)
}

// TestDispatchUsesTable: the deadlines Apply sets come from the Deadliner.
func TestDispatchUsesTable(t *testing.T) {
	for _, c := range []struct {
		u                  Urgency
		ty                 Type
		sign, contact, due time.Time
	}{
		{Normal, Consultation, eod(2026, 3, 5), eod(2026, 3, 5), eod(2026, 3, 5)},
		{Normal, Report, eod(2026, 3, 5), eod(2026, 3, 5), eod(2026, 3, 11)},
		{Urgent, Consultation, testNow.Add(30 * time.Minute), testNow.Add(2 * time.Hour), testNow.Add(24 * time.Hour)},
		{Emergency, Help, testNow.Add(15 * time.Minute), testNow.Add(time.Hour), testNow.Add(2 * time.Hour)},
	} {
		o := centerFixture(Received)
		o.Urgency, o.Type = c.u, c.ty
		res, err := Apply(o, dispActor, ActDispatch, Input{Version: ver(7), Unit: "u1"}, testEnv())
		if err != nil {
			t.Fatal(err)
		}
		wantDeadlines(t, res.Order, c.sign, c.contact, c.due)
	}
	// Without a Deadliner the deadlines are left alone (no panic).
	env := testEnv()
	env.Deadlines = nil
	res, err := Apply(centerFixture(Received), dispActor, ActDispatch, Input{Version: ver(7), Unit: "u1"}, env)
	if err != nil || res.Order.Due != nil {
		t.Errorf("no deadliner: %v, due %v", err, res.Order.Due)
	}
}

func TestPolicyMostSpecificWins(t *testing.T) {
	p := DefaultPolicy()
	p.Rules = append(p.Rules,
		Rule{Urgency: Normal, Type: Complaint, Sign: Limit{WorkingDays: 2}, Contact: Limit{WorkingDays: 2}, Reply: Limit{WorkingDays: 7}},
		Rule{Urgency: Urgent, Type: Praise, Sign: Limit{Minutes: 60}, Contact: Limit{Minutes: 60}, Reply: Limit{Minutes: 60}},
	)
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	s := Schedule{Policy: p, Calendar: testCal{}}
	_, _, due := s.Deadlines(&Order{Urgency: Normal, Type: Complaint, Round: 1}, testNow)
	if !due.Equal(eod(2026, 3, 13)) {
		t.Errorf("edited complaint due %v, want 7 working days", due.In(shanghai))
	}
	_, _, due = s.Deadlines(&Order{Urgency: Normal, Type: Complaint, Round: 2}, testNow)
	if !due.Equal(eod(2026, 3, 9)) {
		t.Errorf("reopened complaint due %v: reopened beats type", due.In(shanghai))
	}
	_, _, due = s.Deadlines(&Order{Urgency: Urgent, Type: Praise, Round: 1}, testNow)
	if !due.Equal(testNow.Add(time.Hour)) {
		t.Errorf("urgent praise due %v", due)
	}
	// A policy that matches nothing falls back to the default table.
	s = Schedule{Policy: Policy{}, Calendar: testCal{}}
	_, _, due = s.Deadlines(&Order{Urgency: Normal, Type: Help, Round: 1}, testNow)
	if !due.Equal(eod(2026, 3, 11)) {
		t.Errorf("fallback due %v", due.In(shanghai))
	}
	// Schedule moves dates with its calendar.
	if got := s.AddWorkingDays(testNow, 2); !got.Equal(eod(2026, 3, 6)) {
		t.Errorf("Schedule.AddWorkingDays = %v", got)
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Fatalf("default policy: %v", err)
	}
	// A catch-all rule covers every urgency.
	all := Policy{Rules: []Rule{{Sign: Limit{Minutes: 10}, Contact: Limit{Minutes: 10}, Reply: Limit{WorkingDays: 1}}}}
	if err := all.Validate(); err != nil {
		t.Errorf("catch-all policy: %v", err)
	}
	without := func(u Urgency) Policy {
		p := DefaultPolicy()
		var rs []Rule
		for _, r := range p.Rules {
			if r.Urgency != u {
				rs = append(rs, r)
			}
		}
		p.Rules = rs
		return p
	}
	edit := func(f func(p *Policy)) Policy { p := DefaultPolicy(); f(&p); return p }
	for _, c := range []struct {
		name  string
		p     Policy
		field string
	}{
		{"no emergency rule", without(Emergency), "rules"},
		{"no urgent rule", without(Urgent), "rules"},
		{"no normal rule", without(Normal), "rules"},
		{"empty", Policy{}, "rules"},
		{"only normal consultations", edit(func(p *Policy) { p.Rules = p.Rules[1:2] }), "rules"},
		{"both days and minutes", edit(func(p *Policy) { p.Rules[0].Sign = Limit{WorkingDays: 1, Minutes: 30} }), "rules[0].sign"},
		{"neither days nor minutes", edit(func(p *Policy) { p.Rules[3].Reply = Limit{} }), "rules[3].reply"},
		{"negative minutes", edit(func(p *Policy) { p.Rules[4].Contact = Limit{Minutes: -5} }), "rules[4].contact"},
		{"days and negative minutes", edit(func(p *Policy) { p.Rules[0].Contact = Limit{WorkingDays: 2, Minutes: -5} }), "rules[0].contact"},
		{"minutes and negative days", edit(func(p *Policy) { p.Rules[3].Sign = Limit{WorkingDays: -1, Minutes: 30} }), "rules[3].sign"},
		{"too many days", edit(func(p *Policy) { p.Rules[0].Reply = Limit{WorkingDays: 61} }), "rules[0].reply"},
		{"too many minutes", edit(func(p *Policy) { p.Rules[3].Reply = Limit{Minutes: 60*24*30 + 1} }), "rules[3].reply"},
		{"unknown urgency", edit(func(p *Policy) { p.Rules[0].Urgency = "critical" }), "rules[0].urgency"},
		{"unknown type", edit(func(p *Policy) { p.Rules[1].Type = "rumour" }), "rules[1].type"},
	} {
		err := c.p.Validate()
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if codeOf(t, err) != apperr.Invalid || fieldsOf(err)[c.field] == "" {
			t.Errorf("%s: %v (fields %v), want invalid %s", c.name, err, fieldsOf(err), c.field)
		}
	}
	// Edges that are valid.
	ok := edit(func(p *Policy) {
		p.Rules[0].Reply = Limit{WorkingDays: 60}
		p.Rules[3].Reply = Limit{Minutes: 60 * 24 * 30}
	})
	if err := ok.Validate(); err != nil {
		t.Errorf("edge limits: %v", err)
	}
	if got := (Limit{WorkingDays: 3}).String() + ", " + (Limit{Minutes: 90}).String(); got != "3 working days, 90 minutes" {
		t.Errorf("Limit.String: %q", got)
	}
}
