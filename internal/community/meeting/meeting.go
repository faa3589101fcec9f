// Package meeting is the consultation meetings module (community.md §3):
// hearings, coordination and review meetings (听证会 / 协调会 / 评议会) about a
// compound and its work orders, with minutes, decisions and follow-up
// actions, and the thread that reads twenty meetings about one issue as
// one story.
//
// Linking a meeting to an order writes a `note` event of kind `meeting`
// with the meeting's id into the order's own hash chain, in the same
// transaction as the meeting (through the orders' service: OrderNoter). An
// action past its due date notifies its owner once: Sweep stores each
// notice under a unique key (action, kind, target, deadline) with ON
// CONFLICT DO NOTHING, the deadline sweeper's rule, so any number of
// instances may sweep.
//
// The package is pure of SQL: Store is its storage (meetingdb).
package meeting

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
)

// Kinds of meetings.
var Kinds = []string{"hearing", "coordination", "review", "other"}

// Statuses of meetings.
var Statuses = []string{"planned", "held", "cancelled"}

// ParticipantKinds are who takes part.
var ParticipantKinds = []string{"resident", "unit", "company", "official"}

// Participant is one person or party at a meeting.
type Participant struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	Unit string `json:"unit,omitempty"`
}

// Action is a follow-up a meeting decided, owned by a user or a unit.
type Action struct {
	ID        string     `json:"id"`
	Meeting   string     `json:"meeting"`
	Text      string     `json:"text"`
	Owner     string     `json:"owner"`
	Due       time.Time  `json:"due"`
	Status    string     `json:"status"`
	DoneAt    *time.Time `json:"done_at"`
	DoneBy    string     `json:"done_by,omitempty"`
	Overdue   bool       `json:"overdue"`
	CreatedAt time.Time  `json:"created_at"`
}

// Meeting is one consultation meeting.
type Meeting struct {
	ID           string        `json:"id"`
	Kind         string        `json:"kind"`
	Topic        string        `json:"topic"`
	StartsAt     time.Time     `json:"starts_at"`
	Place        string        `json:"place"`
	Compound     string        `json:"compound"`
	Area         string        `json:"area"`
	Participants []Participant `json:"participants"`
	Orders       []string      `json:"orders"`
	Minutes      string        `json:"minutes"`
	Decisions    []string      `json:"decisions"`
	Actions      []Action      `json:"actions"`
	Status       string        `json:"status"`
	Version      int64         `json:"version"`
	CreatedBy    string        `json:"created_by"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
}

// Input is the body of POST /api/v1/meetings and PATCH /api/v1/meetings/{id};
// nil fields are not given (PATCH changes only what is given).
type Input struct {
	Kind         *string        `json:"kind"`
	Topic        *string        `json:"topic"`
	StartsAt     *time.Time     `json:"starts_at"`
	Place        *string        `json:"place"`
	Compound     *string        `json:"compound"`
	Participants *[]Participant `json:"participants"`
	Orders       *[]string      `json:"orders"`
	Minutes      *string        `json:"minutes"`
	Decisions    *[]string      `json:"decisions"`
	Status       *string        `json:"status"`
	Version      *int64         `json:"version"`
}

func checkText(f apperr.Fields, field, v string, required bool, max int) {
	switch {
	case required && strings.TrimSpace(v) == "":
		f.Add(field, "required")
	case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
		f.Add(field, "must be valid UTF-8 text without NUL characters")
	case utf8.RuneCountInString(v) > max:
		f.Add(field, "too long")
	}
}

// Apply validates in and applies it to m (a new meeting when m.ID is "").
// The compound's existence and the orders' are checked by the service.
func (in Input) Apply(m Meeting) (Meeting, error) {
	f := apperr.Fields{}
	isNew := m.ID == ""
	if in.Kind != nil {
		m.Kind = *in.Kind
	}
	if (isNew || in.Kind != nil) && !slices.Contains(Kinds, m.Kind) {
		f.AddProblem("kind", apperr.OneOf("hearing", "coordination", "review", "other"))
	}
	if in.Topic != nil {
		m.Topic = strings.TrimSpace(*in.Topic)
	}
	if isNew || in.Topic != nil {
		checkText(f, "topic", m.Topic, true, 200)
	}
	if in.StartsAt != nil {
		m.StartsAt = in.StartsAt.UTC().Truncate(time.Microsecond)
	} else if isNew {
		f.Add("starts_at", "required (RFC 3339)")
	}
	if in.Place != nil {
		m.Place = strings.TrimSpace(*in.Place)
		checkText(f, "place", m.Place, false, 200)
	}
	if in.Compound != nil {
		if !isNew && *in.Compound != m.Compound {
			f.Add("compound", "a meeting stays with its compound")
		}
		m.Compound = strings.TrimSpace(*in.Compound)
	}
	if isNew {
		checkText(f, "compound", m.Compound, true, 64)
	}
	if in.Participants != nil {
		m.Participants = []Participant{}
		for _, p := range *in.Participants {
			p.Name, p.Unit = strings.TrimSpace(p.Name), strings.TrimSpace(p.Unit)
			checkText(f, "participants", p.Name, true, 100)
			checkText(f, "participants", p.Unit, false, 100)
			if !slices.Contains(ParticipantKinds, p.Kind) {
				f.Add("participants", "kind must be one of resident, unit, company, official")
			}
			m.Participants = append(m.Participants, p)
		}
		if len(m.Participants) > 500 {
			f.Add("participants", "at most 500")
		}
	}
	if in.Orders != nil {
		m.Orders = []string{}
		for _, o := range *in.Orders {
			o = strings.TrimSpace(o)
			checkText(f, "orders", o, true, 40)
			if !slices.Contains(m.Orders, o) {
				m.Orders = append(m.Orders, o)
			}
		}
		if len(m.Orders) > 200 {
			f.Add("orders", "at most 200 per meeting")
		}
	}
	if in.Minutes != nil {
		m.Minutes = strings.TrimSpace(*in.Minutes)
		checkText(f, "minutes", m.Minutes, false, 50000)
	}
	if in.Decisions != nil {
		m.Decisions = cleanList(f, "decisions", *in.Decisions)
	}
	if in.Status != nil {
		if !slices.Contains(Statuses, *in.Status) {
			f.AddProblem("status", apperr.OneOf("planned", "held", "cancelled"))
		}
		m.Status = *in.Status
	}
	if m.Status == "" {
		m.Status = "planned"
	}
	if m.Participants == nil {
		m.Participants = []Participant{}
	}
	if m.Orders == nil {
		m.Orders = []string{}
	}
	if m.Decisions == nil {
		m.Decisions = []string{}
	}
	return m, f.Err()
}

func cleanList(f apperr.Fields, field string, in []string) []string {
	out := []string{}
	for _, d := range in {
		d = strings.TrimSpace(d)
		checkText(f, field, d, true, 2000)
		out = append(out, d)
	}
	if len(out) > 100 {
		f.Add(field, "at most 100")
	}
	return out
}

// ActionInput is the body of POST /api/v1/meetings/{id}/actions.
type ActionInput struct {
	Text  string `json:"text"`
	Owner string `json:"owner"`
	Due   string `json:"due"` // RFC 3339, or a date (due at its end, Asia/Shanghai)
}

// ParseDue reads a due time: RFC 3339, or YYYY-MM-DD meaning the end of
// that day in Asia/Shanghai.
func ParseDue(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Truncate(time.Microsecond), true
	}
	if d, err := time.ParseInLocation("2006-01-02", s, loc); err == nil && len(s) == 10 {
		return d.AddDate(0, 0, 1).Add(-time.Second).UTC(), true
	}
	return time.Time{}, false
}

// Item is one entry of a thread: a meeting, a decision or an action.
type Item struct {
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"` // meeting, decision, action
	Meeting  string    `json:"meeting"`
	Topic    string    `json:"topic"`
	Text     string    `json:"text,omitempty"`
	Status   string    `json:"status,omitempty"`
	Owner    string    `json:"owner,omitempty"`
	Action   string    `json:"action,omitempty"`
	Overdue  bool      `json:"overdue,omitempty"`
	Orders   []string  `json:"orders,omitempty"`
	Compound string    `json:"compound"`
}

// Thread turns meetings into one story in time order: each meeting at its
// start, its decisions right after it, and its open actions at their due
// dates (done ones are history in the meeting itself).
func Thread(ms []Meeting, now time.Time) []Item {
	out := []Item{}
	for _, m := range ms {
		out = append(out, Item{At: m.StartsAt, Kind: "meeting", Meeting: m.ID, Topic: m.Topic, Status: m.Status, Orders: m.Orders,
			Compound: m.Compound, Text: m.Kind})
		for _, d := range m.Decisions {
			out = append(out, Item{At: m.StartsAt, Kind: "decision", Meeting: m.ID, Topic: m.Topic, Text: d, Compound: m.Compound})
		}
		for _, a := range m.Actions {
			if a.Status != "open" {
				continue
			}
			out = append(out, Item{At: a.Due, Kind: "action", Meeting: m.ID, Topic: m.Topic, Text: a.Text, Status: a.Status, Owner: a.Owner,
				Action: a.ID, Overdue: now.After(a.Due), Compound: m.Compound})
		}
	}
	rank := map[string]int{"meeting": 0, "decision": 1, "action": 2}
	slices.SortStableFunc(out, func(a, b Item) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return rank[a.Kind] - rank[b.Kind]
	})
	return out
}
