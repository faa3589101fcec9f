package order

import (
	"fmt"
	"time"

	"hotline/internal/apperr"
)

// WorkingDays is the calendar arithmetic deadlines need (internal/calendar).
type WorkingDays interface {
	AddWorkingDays(t time.Time, n int) time.Time
}

// Deadliner computes the three deadlines of a round and moves a deadline by
// working days (extensions).
type Deadliner interface {
	WorkingDays
	Deadlines(o *Order, at time.Time) (sign, contact, due time.Time)
}

// Limit is one time limit: either whole working days or elapsed minutes.
type Limit struct {
	WorkingDays int `json:"working_days,omitempty"`
	Minutes     int `json:"minutes,omitempty"`
}

func (l Limit) valid() bool {
	return (l.WorkingDays > 0) != (l.Minutes > 0) && l.WorkingDays >= 0 && l.Minutes >= 0 &&
		l.WorkingDays <= 60 && l.Minutes <= 60*24*30
}

func (l Limit) String() string {
	if l.WorkingDays > 0 {
		return fmt.Sprintf("%d working days", l.WorkingDays)
	}
	return fmt.Sprintf("%d minutes", l.Minutes)
}

// Rule is one row of the time-limit policy. Urgency and Type may be "" for
// "any"; Reopened selects round ≥ 2. The most specific matching row wins.
type Rule struct {
	Urgency  Urgency `json:"urgency,omitempty"`
	Type     Type    `json:"type,omitempty"`
	Reopened bool    `json:"reopened,omitempty"`
	Sign     Limit   `json:"sign"`
	Contact  Limit   `json:"contact"`
	Reply    Limit   `json:"reply"`
}

// Policy is the admin-editable time-limit table (时限).
type Policy struct {
	Rules []Rule `json:"rules"`
}

// DefaultPolicy is the table of workflow.md.
func DefaultPolicy() Policy {
	day := func(n int) Limit { return Limit{WorkingDays: n} }
	min := func(n int) Limit { return Limit{Minutes: n} }
	return Policy{Rules: []Rule{
		{Urgency: Normal, Sign: day(1), Contact: day(1), Reply: day(5)},
		{Urgency: Normal, Type: Consultation, Sign: day(1), Contact: day(1), Reply: day(1)},
		{Urgency: Normal, Reopened: true, Sign: day(1), Contact: day(1), Reply: day(3)},
		{Urgency: Urgent, Sign: min(30), Contact: min(120), Reply: min(24 * 60)},
		{Urgency: Emergency, Sign: min(15), Contact: min(60), Reply: min(120)},
	}}
}

// Validate checks an edited policy: every limit set and sane, and every
// urgency covered so that no order is left without deadlines.
func (p Policy) Validate() error {
	f := apperr.Fields{}
	for i, r := range p.Rules {
		if r.Urgency != "" && !oneOf(r.Urgency, Urgencies) {
			f.Add(fmt.Sprintf("rules[%d].urgency", i), "unknown urgency")
		}
		if r.Type != "" && !oneOf(r.Type, Types) {
			f.Add(fmt.Sprintf("rules[%d].type", i), "unknown type")
		}
		for name, l := range map[string]Limit{"sign": r.Sign, "contact": r.Contact, "reply": r.Reply} {
			if !l.valid() {
				f.Add(fmt.Sprintf("rules[%d].%s", i, name), "set exactly one of working_days (1-60) or minutes (1-43200)")
			}
		}
	}
	for _, u := range Urgencies {
		for _, t := range Types {
			if _, ok := p.match(u, t, false); !ok {
				f.Add("rules", fmt.Sprintf("no rule covers %s %s orders", u, t))
			}
		}
	}
	return f.Err()
}

func (p Policy) match(u Urgency, t Type, reopened bool) (Rule, bool) {
	best, score := Rule{}, -1
	for _, r := range p.Rules {
		if (r.Urgency != "" && r.Urgency != u) || (r.Type != "" && r.Type != t) || (r.Reopened && !reopened) {
			continue
		}
		s := 0
		if r.Urgency != "" {
			s += 4
		}
		if r.Reopened {
			s += 2
		}
		if r.Type != "" {
			s++
		}
		if s > score {
			best, score = r, s
		}
	}
	return best, score >= 0
}

// Schedule applies a policy on a working-day calendar.
type Schedule struct {
	Policy   Policy
	Calendar WorkingDays
}

// AddWorkingDays delegates to the calendar.
func (s Schedule) AddWorkingDays(t time.Time, n int) time.Time {
	return s.Calendar.AddWorkingDays(t, n)
}

// Deadlines returns sign_due, contact_due and due for a round starting at
// `at`. Working-day limits end at 23:59:59 of the N-th working day after the
// day of `at` (Asia/Shanghai); minute limits are plain elapsed time.
func (s Schedule) Deadlines(o *Order, at time.Time) (sign, contact, due time.Time) {
	r, ok := s.Policy.match(o.Urgency, o.Type, o.Round >= 2)
	if !ok {
		r, _ = DefaultPolicy().match(o.Urgency, o.Type, o.Round >= 2)
	}
	at2 := func(l Limit) time.Time {
		if l.Minutes > 0 {
			return at.Add(time.Duration(l.Minutes) * time.Minute).UTC()
		}
		return s.Calendar.AddWorkingDays(at, l.WorkingDays).UTC()
	}
	return at2(r.Sign), at2(r.Contact), at2(r.Reply)
}

func oneOf[T comparable](v T, list []T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
