package order

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
)

// Action names an operation on an order (workflow.md, word for word).
type Action string

// Actions.
const (
	ActDispatch         Action = "dispatch"
	ActRedispatch       Action = "redispatch" // 改派
	ActAnswer           Action = "answer"
	ActAccept           Action = "accept" // 签收
	ActRequestReturn    Action = "request_return"
	ActApproveReturn    Action = "approve_return"
	ActRejectReturn     Action = "reject_return"
	ActContact          Action = "contact" // 先行联系
	ActNote             Action = "note"
	ActRequestExtension Action = "request_extension"
	ActApproveExtension Action = "approve_extension"
	ActRejectExtension  Action = "reject_extension"
	ActReply            Action = "reply" // 答复
	ActApproveReply     Action = "approve_reply"
	ActRejectReply      Action = "reject_reply"
	ActCallback         Action = "callback" // 回访
	ActClose            Action = "close"
	ActReopen           Action = "reopen" // 重办
	ActUrge             Action = "urge"   // 催办
	ActSupervise        Action = "supervise"
	ActMerge            Action = "merge" // 并单
	ActInvalidate       Action = "invalidate"

	// ActCreate is the first event of every order; it is not an HTTP action.
	ActCreate Action = "create"
	// ActMergeIn is recorded on the parent when a child is merged into it.
	ActMergeIn Action = "merge_in"
	// ActOverdue and ActWarn are recorded by the deadline sweeper.
	ActOverdue Action = "overdue"
)

// unitRule says which unit relation a handler needs for an action.
type unitRule int

const (
	noUnit      unitRule = iota // the role alone decides
	ownUnit                     // handler of the unit holding the order
	ownOrCoUnit                 // handler of the holding unit or of a co-unit
)

// rule is one row of the state machine: who may do it, from which states,
// and to which state (empty to: the state does not change).
type rule struct {
	roles []Role
	unit  unitRule
	from  []Status // nil: any open state
	to    Status
}

var openStates = func() []Status {
	var s []Status
	for _, st := range Statuses {
		if st.Open() {
			s = append(s, st)
		}
	}
	return s
}()

// machine is the whole lifecycle of workflow.md as data, so that it can be
// read against the spec line by line and tested exhaustively.
var machine = map[Action]rule{
	ActDispatch:         {roles: []Role{RoleDispatcher}, from: []Status{Received, Returned}, to: Dispatched},
	ActRedispatch:       {roles: []Role{RoleDispatcher}, from: []Status{Dispatched, Accepted, InProgress}, to: Dispatched},
	ActAnswer:           {roles: []Role{RoleOperator, RoleDispatcher}, from: []Status{Received}, to: Answered},
	ActAccept:           {roles: []Role{RoleHandler}, unit: ownUnit, from: []Status{Dispatched}, to: Accepted},
	ActRequestReturn:    {roles: []Role{RoleHandler}, unit: ownUnit, from: []Status{Dispatched, Accepted, InProgress}, to: ReturnRequested},
	ActApproveReturn:    {roles: []Role{RoleDispatcher}, from: []Status{ReturnRequested}, to: Returned},
	ActRejectReturn:     {roles: []Role{RoleDispatcher}, from: []Status{ReturnRequested}}, // back to where it came from
	ActContact:          {roles: []Role{RoleHandler}, unit: ownUnit, from: []Status{Accepted}, to: InProgress},
	ActNote:             {roles: []Role{RoleHandler, RoleDispatcher, RoleLeader}, unit: ownOrCoUnit, from: openStates},
	ActRequestExtension: {roles: []Role{RoleHandler}, unit: ownUnit, from: []Status{Accepted, InProgress}},
	ActApproveExtension: {roles: []Role{RoleDispatcher}, from: []Status{Accepted, InProgress}},
	ActRejectExtension:  {roles: []Role{RoleDispatcher}, from: []Status{Accepted, InProgress}},
	ActReply:            {roles: []Role{RoleHandler}, unit: ownUnit, from: []Status{InProgress}, to: Replied},
	ActApproveReply:     {roles: []Role{RoleDispatcher}, from: []Status{Replied}, to: Reviewed},
	ActRejectReply:      {roles: []Role{RoleDispatcher}, from: []Status{Replied}, to: InProgress},
	ActCallback:         {roles: []Role{RoleOperator, RoleDispatcher}, from: []Status{Reviewed}}, // closed or stays
	ActClose:            {roles: []Role{RoleDispatcher}, from: []Status{Reviewed}, to: Closed},
	ActReopen:           {roles: []Role{RoleDispatcher}, from: []Status{Reviewed, Closed}, to: Dispatched},
	ActUrge:             {roles: []Role{RoleDispatcher, RoleLeader}, from: openStates},
	ActSupervise:        {roles: []Role{RoleLeader}, from: openStates},
	ActMerge:            {roles: []Role{RoleDispatcher}, from: openStates, to: Merged},
	ActInvalidate:       {roles: []Role{RoleDispatcher}, from: []Status{Received}, to: Invalid},
}

// Actions lists every HTTP action in the order of workflow.md.
var Actions = []Action{ActDispatch, ActRedispatch, ActAnswer, ActAccept, ActRequestReturn, ActApproveReturn,
	ActRejectReturn, ActContact, ActNote, ActRequestExtension, ActApproveExtension, ActRejectExtension,
	ActReply, ActApproveReply, ActRejectReply, ActCallback, ActClose, ActReopen, ActUrge, ActSupervise,
	ActMerge, ActInvalidate}

// Known reports whether a is an action of workflow.md.
func Known(a Action) bool { _, ok := machine[a]; return ok }

// Reply results, callback outcomes and note kinds (workflow.md).
var (
	ReplyResults     = []string{"resolved", "partly_resolved", "unresolved", "explained"}
	CallbackOutcomes = []string{"satisfied", "basically_satisfied", "dissatisfied", "unreachable"}
	NoteKinds        = []string{"site_visit", "meeting", "call", "other"}
)

// Input is the body of an action; each action reads the fields it needs.
type Input struct {
	Version   *int64   `json:"version"`
	Unit      string   `json:"unit,omitempty"`
	CoUnits   []string `json:"co_units,omitempty"`
	Note      string   `json:"note,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	Reply     string   `json:"reply,omitempty"`
	Text      string   `json:"text,omitempty"`
	Kind      string   `json:"kind,omitempty"`
	MeetingID string   `json:"meeting_id,omitempty"`
	Days      int      `json:"days,omitempty"`
	Result    string   `json:"result,omitempty"`
	Outcome   string   `json:"outcome,omitempty"`
	Resolved  *bool    `json:"resolved,omitempty"`
	Into      string   `json:"into,omitempty"`
}

// MaxText is the longest free text an action or an order accepts, in characters.
const MaxText = 10000

// Env is what an action needs from outside the order: the time, the deadline
// rules, and whether a unit code exists. The service fills it from the store.
type Env struct {
	Now       time.Time
	Deadlines Deadliner
	UnitKnown func(code string) bool
}

// Result is what an action decided: the new order and the event to append.
type Result struct {
	Order Order
	Event Event
	// Callback is set for a callback action, so the store can record it for metrics.
	Callback *CallbackRecord
}

// CallbackRecord is one callback (回访) for the resolution and satisfaction rates.
type CallbackRecord struct {
	Outcome  string
	Resolved bool
	Unit     string
	Round    int
	At       time.Time
}

// Check decides whether the actor may take the action on the order in its
// current state, without validating the body. It returns a Forbidden or
// Conflict error (or NotFound for an unknown action).
func Check(o *Order, a Actor, act Action) error {
	r, ok := machine[act]
	if !ok {
		return apperr.New(apperr.NotFound, "unknown action %q", act)
	}
	if !o.Visible(a) {
		return apperr.New(apperr.Forbidden, "this order belongs to another unit").Because(apperr.ReasonOtherUnit)
	}
	if !slices.Contains(r.roles, a.Role) {
		return apperr.New(apperr.Forbidden, "role %s may not %s", a.Role, act)
	}
	if a.Role == RoleHandler {
		switch r.unit {
		case ownUnit:
			if o.Unit != a.Unit {
				return apperr.New(apperr.Forbidden, "only the unit holding the order may %s", act)
			}
		case ownOrCoUnit:
			if o.Unit != a.Unit && !slices.Contains(o.CoUnits, a.Unit) {
				return apperr.New(apperr.Forbidden, "only the holding unit or a co-unit may %s", act)
			}
		}
	}
	if !slices.Contains(r.from, o.Status) {
		return apperr.New(apperr.Conflict, "cannot %s an order that is %s", act, o.Status).Because(apperr.ReasonState)
	}
	return nil
}

// Allowed lists the actions the actor may take on the order now (for the UI).
func Allowed(o *Order, a Actor) []Action {
	var out []Action
	for _, act := range Actions {
		if Check(o, a, act) == nil {
			if act == ActRequestExtension && o.PendingExtension != nil {
				continue
			}
			if (act == ActApproveExtension || act == ActRejectExtension) && o.PendingExtension == nil {
				continue
			}
			out = append(out, act)
		}
	}
	return out
}

// Apply takes an action on an order. It checks the role, the unit, the state,
// the version and the body, and returns the new order with the event to
// append; on any error the order is unchanged. Merge is applied to the child
// here; the service records the parent's side with MergeInto.
func Apply(o Order, a Actor, act Action, in Input, env Env) (Result, error) {
	if in.Version == nil {
		return Result{}, apperr.Field("version", "required: the version of the order you are acting on")
	}
	if err := Check(&o, a, act); err != nil {
		return Result{}, err
	}
	if *in.Version != o.Version {
		return Result{}, apperr.New(apperr.Conflict, "someone else changed this order (version %d, yours %d); reload it", o.Version, *in.Version).Because(apperr.ReasonStale)
	}
	from := o.Status
	s := &step{o: o, n: o.clone(), actor: a, act: act, in: in, env: env, now: env.Now.UTC(), body: map[string]any{}, f: apperr.Fields{}}
	if effect := effects[act]; effect != nil {
		if err := effect(s); err != nil {
			return Result{}, err
		}
	}
	n, now := s.n, s.now
	n.Version = o.Version + 1
	n.UpdatedAt = now
	ev := Event{OrderID: o.ID, At: now, Actor: a.Username, Action: string(act), From: from, To: n.Status, Body: s.body}
	return Result{Order: n, Event: ev, Callback: s.cb}, nil
}

// MergeInto records on the parent that child was merged into it: the parent
// lists the child's caller as a co-caller so callbacks reach every caller.
func MergeInto(parent Order, child Order, a Actor, now time.Time) (Order, Event, error) {
	if !parent.Status.Open() {
		return Order{}, Event{}, apperr.FieldProblem("into", apperr.Problem{Text: "the order to merge into must be open; it is " + string(parent.Status), Code: apperr.ProblemMergeTarget})
	}
	if parent.Parent != "" {
		return Order{}, Event{}, apperr.FieldProblem("into", apperr.Problem{Text: "the order to merge into is itself merged", Code: apperr.ProblemMergeTarget})
	}
	p := parent.clone()
	p.Children = append(p.Children, child.ID)
	if child.Caller.Phone != "" || child.Caller.Name != "" {
		p.CoCallers = append(p.CoCallers, child.Caller)
	}
	p.CoCallers = append(p.CoCallers, child.CoCallers...)
	p.Version = parent.Version + 1
	p.UpdatedAt = now.UTC()
	ev := Event{OrderID: parent.ID, At: now.UTC(), Actor: a.Username, Action: string(ActMergeIn), From: parent.Status, To: parent.Status,
		Body: map[string]any{"child": child.ID, "number": child.Number}}
	return p, ev, nil
}

// startRound sets the deadlines for a new dispatch, redispatch or reopen and
// forgets the previous round's sign, contact and reply.
func (o *Order) startRound(now time.Time, env Env) {
	if o.Round < 1 {
		o.Round = 1
	}
	if env.Deadlines != nil {
		s, c, d := env.Deadlines.Deadlines(o, now)
		o.SignDue, o.ContactDue, o.Due = &s, &c, &d
	}
	o.AcceptedAt, o.ContactedAt, o.RepliedAt = nil, nil, nil
	o.PendingExtension = nil
	o.ReturnFrom = ""
	o.ReplyResult, o.ReplyText = "", ""
}

func (o Order) clone() Order {
	n := o
	n.CoUnits = slices.Clone(o.CoUnits)
	n.Children = slices.Clone(o.Children)
	n.CoCallers = slices.Clone(o.CoCallers)
	if o.PendingExtension != nil {
		e := *o.PendingExtension
		n.PendingExtension = &e
	}
	return n
}

func checkText(f apperr.Fields, field, s string, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		f.Add(field, "required")
	case utf8.RuneCountInString(s) > MaxText:
		f.AddProblem(field, apperr.TooLong(MaxText))
	case !utf8.ValidString(s):
		f.Add(field, "not valid UTF-8")
	}
}

func putText(body map[string]any, key, s string) {
	if s = strings.TrimSpace(s); s != "" {
		body[key] = s
	}
}
