package order

import (
	"slices"
	"strings"
	"time"

	"hotline/internal/apperr"
)

// step is one action being applied: the order as it was (o), the order as
// it becomes (n), the input, and what the event will say (body). Each
// action's effect fills n and body, or records input problems in f.
type step struct {
	o, n  Order
	actor Actor
	act   Action
	in    Input
	env   Env
	now   time.Time
	body  map[string]any
	f     apperr.Fields
	cb    *CallbackRecord
}

// effects is what each action does, beside the rules table (machine): who
// may take it and from which states is decided there; what it changes, here.
// Every action has one (TestEveryActionHasAnEffect).
var effects = map[Action]func(s *step) error{
	ActDispatch:         dispatch,
	ActRedispatch:       dispatch,
	ActAnswer:           answer,
	ActAccept:           accept,
	ActRequestReturn:    requestReturn,
	ActApproveReturn:    approveReturn,
	ActRejectReturn:     rejectReturn,
	ActContact:          contact,
	ActNote:             note,
	ActRequestExtension: requestExtension,
	ActApproveExtension: decideExtension,
	ActRejectExtension:  decideExtension,
	ActReply:            reply,
	ActApproveReply:     approveReply,
	ActRejectReply:      rejectReply,
	ActCallback:         callback,
	ActClose:            closeOrder,
	ActReopen:           reopen,
	ActUrge:             urge,
	ActSupervise:        supervise,
	ActMerge:            merge,
	ActInvalidate:       invalidate,
}

func dispatch(s *step) error {
	unit := strings.TrimSpace(s.in.Unit)
	switch {
	case unit == "":
		s.f.Add("unit", "required")
	case s.env.UnitKnown != nil && !s.env.UnitKnown(unit):
		s.f.AddProblem("unit", apperr.UnknownUnit(unit))
	}
	co := []string{}
	for i, c := range s.in.CoUnits {
		c = strings.TrimSpace(c)
		if c == "" || (s.env.UnitKnown != nil && !s.env.UnitKnown(c)) {
			s.f.AddProblem("co_units", apperr.UnknownUnit(c))
			break
		}
		if c == unit || slices.Contains(co, c) {
			s.f.Add("co_units", "duplicate unit "+c)
			break
		}
		if i >= 10 {
			s.f.Add("co_units", "at most 10 co-units")
			break
		}
		co = append(co, c)
	}
	checkText(s.f, "note", s.in.Note, false)
	if s.act == ActRedispatch && unit == s.o.Unit && unit != "" {
		s.f.Add("unit", "the order is already with "+unit)
	}
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.Unit = unit
	if s.act == ActDispatch || len(s.in.CoUnits) > 0 {
		s.n.CoUnits = co
	}
	// The new holder cannot also be its own co-unit.
	s.n.CoUnits = slices.DeleteFunc(s.n.CoUnits, func(c string) bool { return c == unit })
	s.n.Status = Dispatched
	s.n.startRound(s.now, s.env)
	if s.n.DispatchedAt == nil {
		s.n.DispatchedAt = &s.now
	}
	s.body["unit"] = unit
	if len(co) > 0 {
		s.body["co_units"] = co
	}
	putText(s.body, "note", s.in.Note)
	return nil
}

func answer(s *step) error {
	checkText(s.f, "reply", s.in.Reply, true)
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.Status = Answered
	s.n.ReplyText = strings.TrimSpace(s.in.Reply)
	s.n.ClosedAt = &s.now
	s.body["reply"] = s.n.ReplyText
	return nil
}

func accept(s *step) error {
	s.n.Status = Accepted
	s.n.AcceptedAt = &s.now
	return nil
}

func requestReturn(s *step) error {
	checkText(s.f, "reason", s.in.Reason, true)
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.ReturnFrom = s.o.Status
	s.n.Status = ReturnRequested
	putText(s.body, "reason", s.in.Reason)
	return nil
}

func approveReturn(s *step) error {
	checkText(s.f, "note", s.in.Note, false)
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.Status = Returned
	s.body["unit"] = s.o.Unit
	s.n.Unit = ""
	s.n.CoUnits = nil
	s.n.ReturnFrom = ""
	s.n.PendingExtension = nil
	putText(s.body, "note", s.in.Note)
	return nil
}

func rejectReturn(s *step) error {
	checkText(s.f, "note", s.in.Note, true)
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.Status = s.o.ReturnFrom
	if s.n.Status == "" {
		s.n.Status = Dispatched
	}
	s.n.ReturnFrom = ""
	putText(s.body, "note", s.in.Note)
	return nil
}

func contact(s *step) error {
	checkText(s.f, "note", s.in.Note, true)
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.Status = InProgress
	s.n.ContactedAt = &s.now
	putText(s.body, "note", s.in.Note)
	return nil
}

func note(s *step) error {
	checkText(s.f, "text", s.in.Text, true)
	kind := s.in.Kind
	if kind == "" {
		kind = "other"
	}
	if !slices.Contains(NoteKinds, kind) {
		s.f.AddProblem("kind", apperr.OneOf(NoteKinds...))
	}
	if len(s.in.MeetingID) > 64 {
		s.f.Add("meeting_id", "too long")
	}
	if err := s.f.Err(); err != nil {
		return err
	}
	putText(s.body, "text", s.in.Text)
	s.body["kind"] = kind
	if s.in.MeetingID != "" {
		s.body["meeting_id"] = s.in.MeetingID
	}
	return nil
}

func requestExtension(s *step) error {
	if s.o.PendingExtension != nil {
		return apperr.New(apperr.Conflict, "an extension request is already pending")
	}
	if s.o.Due != nil && !s.now.Before(*s.o.Due) {
		return apperr.New(apperr.Conflict, "the deadline has passed: an extension must be asked for before it")
	}
	if s.in.Days < 1 || s.in.Days > 30 {
		s.f.Add("days", "must be 1 to 30 working days")
	}
	checkText(s.f, "reason", s.in.Reason, true)
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.PendingExtension = &Extension{Days: s.in.Days, Reason: strings.TrimSpace(s.in.Reason), RequestedBy: s.actor.Username, RequestedAt: s.now}
	s.body["days"] = s.in.Days
	putText(s.body, "reason", s.in.Reason)
	return nil
}

func decideExtension(s *step) error {
	if s.o.PendingExtension == nil {
		return apperr.New(apperr.Conflict, "no extension request is pending")
	}
	checkText(s.f, "note", s.in.Note, false)
	if err := s.f.Err(); err != nil {
		return err
	}
	s.body["days"] = s.o.PendingExtension.Days
	if s.act == ActApproveExtension && s.o.Due != nil && s.env.Deadlines != nil {
		d := s.env.Deadlines.AddWorkingDays(*s.o.Due, s.o.PendingExtension.Days)
		s.n.Due = &d
		s.body["due"] = d.UTC().Format(time.RFC3339)
	}
	s.n.PendingExtension = nil
	putText(s.body, "note", s.in.Note)
	return nil
}

func reply(s *step) error {
	if !slices.Contains(ReplyResults, s.in.Result) {
		s.f.AddProblem("result", apperr.OneOf(ReplyResults...))
	}
	checkText(s.f, "text", s.in.Text, true)
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.Status = Replied
	if s.n.RepliedAt == nil {
		s.n.RepliedAt = &s.now
	}
	s.n.ReplyResult = s.in.Result
	s.n.ReplyText = strings.TrimSpace(s.in.Text)
	s.n.PendingExtension = nil
	s.body["result"] = s.in.Result
	s.body["text"] = s.n.ReplyText
	return nil
}

func approveReply(s *step) error {
	checkText(s.f, "note", s.in.Note, false)
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.Status = Reviewed
	putText(s.body, "note", s.in.Note)
	return nil
}

func rejectReply(s *step) error {
	checkText(s.f, "note", s.in.Note, true)
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.Status = InProgress
	putText(s.body, "note", s.in.Note)
	return nil
}

func callback(s *step) error {
	if !slices.Contains(CallbackOutcomes, s.in.Outcome) {
		s.f.AddProblem("outcome", apperr.OneOf(CallbackOutcomes...))
	}
	checkText(s.f, "note", s.in.Note, false)
	if err := s.f.Err(); err != nil {
		return err
	}
	resolved := s.in.Resolved != nil && *s.in.Resolved
	s.n.Satisfaction = s.in.Outcome
	if s.in.Outcome != "unreachable" {
		s.n.Resolved = &resolved
	}
	if s.in.Outcome != "dissatisfied" {
		s.n.Status = Closed
		s.n.ClosedAt = &s.now
	}
	s.cb = &CallbackRecord{Outcome: s.in.Outcome, Resolved: resolved, Unit: s.o.Unit, Round: s.o.Round, At: s.now}
	s.body["outcome"] = s.in.Outcome
	s.body["resolved"] = resolved
	putText(s.body, "note", s.in.Note)
	return nil
}

func closeOrder(s *step) error {
	checkText(s.f, "note", s.in.Note, true)
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.Status = Closed
	s.n.ClosedAt = &s.now
	putText(s.body, "note", s.in.Note)
	return nil
}

func reopen(s *step) error {
	checkText(s.f, "note", s.in.Note, true)
	if s.o.Unit == "" {
		s.f.Add("unit", "the order has no unit to reopen it to")
	}
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.Status = Dispatched
	s.n.Round++
	s.n.ReopenCount++
	s.n.ClosedAt = nil
	s.n.startRound(s.now, s.env)
	s.body["round"] = s.n.Round
	s.body["unit"] = s.n.Unit
	putText(s.body, "note", s.in.Note)
	return nil
}

func urge(s *step) error {
	checkText(s.f, "note", s.in.Note, false)
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.UrgeCount++
	s.body["urge_count"] = s.n.UrgeCount
	putText(s.body, "note", s.in.Note)
	return nil
}

func supervise(s *step) error {
	checkText(s.f, "note", s.in.Note, false)
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.Supervised = true
	putText(s.body, "note", s.in.Note)
	return nil
}

func merge(s *step) error {
	into := strings.TrimSpace(s.in.Into)
	switch {
	case into == "":
		s.f.Add("into", "required: the id of the order to merge into")
	case into == s.o.ID:
		s.f.Add("into", "an order cannot be merged into itself")
	}
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.Status = Merged
	s.n.Parent = into
	s.n.ClosedAt = &s.now
	s.body["into"] = into
	return nil
}

func invalidate(s *step) error {
	checkText(s.f, "reason", s.in.Reason, true)
	if err := s.f.Err(); err != nil {
		return err
	}
	s.n.Status = Invalid
	s.n.ClosedAt = &s.now
	putText(s.body, "reason", s.in.Reason)
	return nil
}
