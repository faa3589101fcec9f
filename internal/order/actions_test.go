package order

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"hotline/internal/apperr"
)

// TestBodyValidation: every required field, enum and length limit of the
// action bodies in workflow.md, refused as Invalid with the field named and
// the order unchanged.
func TestBodyValidation(t *testing.T) {
	tooLong := long(MaxText + 1)
	elevenCo := []string{"u3", "u4", "u5", "u6", "u7", "u8", "u9", "u10", "u11", "u12", "u13"}
	cases := []struct {
		name   string
		act    Action
		st     Status
		actor  Actor
		prep   func(Order) Order
		in     Input
		fields []string // every field expected in Fields
	}{
		{"dispatch without unit", ActDispatch, Received, dispActor, nil, Input{}, []string{"unit"}},
		{"dispatch blank unit", ActDispatch, Received, dispActor, nil, Input{Unit: "   "}, []string{"unit"}},
		{"dispatch unknown unit", ActDispatch, Received, dispActor, nil, Input{Unit: "nope"}, []string{"unit"}},
		{"dispatch unknown co-unit", ActDispatch, Received, dispActor, nil, Input{Unit: "u4", CoUnits: []string{"nope"}}, []string{"co_units"}},
		{"dispatch blank co-unit", ActDispatch, Received, dispActor, nil, Input{Unit: "u4", CoUnits: []string{" "}}, []string{"co_units"}},
		{"dispatch co-unit = unit", ActDispatch, Received, dispActor, nil, Input{Unit: "u4", CoUnits: []string{"u4"}}, []string{"co_units"}},
		{"dispatch duplicate co-units", ActDispatch, Received, dispActor, nil, Input{Unit: "u4", CoUnits: []string{"u5", "u5"}}, []string{"co_units"}},
		{"dispatch 11 co-units", ActDispatch, Received, dispActor, nil, Input{Unit: "u1", CoUnits: elevenCo}, []string{"co_units"}},
		{"dispatch note too long", ActDispatch, Returned, dispActor, nil, Input{Unit: "u4", Note: tooLong}, []string{"note"}},
		{"dispatch unit and note at once", ActDispatch, Received, dispActor, nil, Input{Unit: "nope", Note: tooLong}, []string{"unit", "note"}},
		{"redispatch to the same unit", ActRedispatch, Accepted, dispActor, nil, Input{Unit: "u1"}, []string{"unit"}},
		{"redispatch to the same unit, padded", ActRedispatch, Dispatched, dispActor, nil, Input{Unit: " u1 "}, []string{"unit"}},
		{"redispatch without unit", ActRedispatch, InProgress, dispActor, nil, Input{}, []string{"unit"}},
		{"redispatch unknown unit", ActRedispatch, InProgress, dispActor, nil, Input{Unit: "nope"}, []string{"unit"}},
		{"answer without reply", ActAnswer, Received, opActor, nil, Input{}, []string{"reply"}},
		{"answer reply too long", ActAnswer, Received, dispActor, nil, Input{Reply: tooLong}, []string{"reply"}},
		{"request_return without reason", ActRequestReturn, Dispatched, ownActor, nil, Input{}, []string{"reason"}},
		{"request_return blank reason", ActRequestReturn, InProgress, ownActor, nil, Input{Reason: " \n\t "}, []string{"reason"}},
		{"request_return reason too long", ActRequestReturn, Accepted, ownActor, nil, Input{Reason: tooLong}, []string{"reason"}},
		{"approve_return note too long", ActApproveReturn, ReturnRequested, dispActor, nil, Input{Note: tooLong}, []string{"note"}},
		{"reject_return without note", ActRejectReturn, ReturnRequested, dispActor, nil, Input{}, []string{"note"}},
		{"contact without note", ActContact, Accepted, ownActor, nil, Input{}, []string{"note"}},
		{"contact note too long", ActContact, Accepted, ownActor, nil, Input{Note: tooLong}, []string{"note"}},
		{"note without text", ActNote, InProgress, coActor, nil, Input{Kind: "call"}, []string{"text"}},
		{"note text too long", ActNote, InProgress, leaderActor, nil, Input{Text: tooLong}, []string{"text"}},
		{"note text not UTF-8", ActNote, InProgress, dispActor, nil, Input{Text: "ok\xff\xfe"}, []string{"text"}},
		{"note unknown kind", ActNote, InProgress, ownActor, nil, Input{Text: "x", Kind: "party"}, []string{"kind"}},
		{"note meeting id too long", ActNote, InProgress, ownActor, nil, Input{Text: "x", MeetingID: strings.Repeat("m", 65)}, []string{"meeting_id"}},
		{"note everything wrong", ActNote, InProgress, ownActor, nil, Input{Kind: "party", MeetingID: strings.Repeat("m", 65)}, []string{"text", "kind", "meeting_id"}},
		{"request_extension 0 days", ActRequestExtension, InProgress, ownActor, nil, Input{Days: 0, Reason: "r"}, []string{"days"}},
		{"request_extension -1 days", ActRequestExtension, InProgress, ownActor, nil, Input{Days: -1, Reason: "r"}, []string{"days"}},
		{"request_extension 31 days", ActRequestExtension, Accepted, ownActor, nil, Input{Days: 31, Reason: "r"}, []string{"days"}},
		{"request_extension without reason", ActRequestExtension, Accepted, ownActor, nil, Input{Days: 2}, []string{"reason"}},
		{"request_extension nothing", ActRequestExtension, Accepted, ownActor, nil, Input{}, []string{"days", "reason"}},
		{"approve_extension note too long", ActApproveExtension, InProgress, dispActor, withPending, Input{Note: tooLong}, []string{"note"}},
		{"reject_extension note too long", ActRejectExtension, InProgress, dispActor, withPending, Input{Note: tooLong}, []string{"note"}},
		{"reply without result", ActReply, InProgress, ownActor, nil, Input{Text: "done"}, []string{"result"}},
		{"reply unknown result", ActReply, InProgress, ownActor, nil, Input{Result: "fixed", Text: "done"}, []string{"result"}},
		{"reply result wrong case", ActReply, InProgress, ownActor, nil, Input{Result: "Resolved", Text: "done"}, []string{"result"}},
		{"reply without text", ActReply, InProgress, ownActor, nil, Input{Result: "resolved"}, []string{"text"}},
		{"reply text too long", ActReply, InProgress, ownActor, nil, Input{Result: "explained", Text: tooLong}, []string{"text"}},
		{"reply nothing", ActReply, InProgress, ownActor, nil, Input{}, []string{"result", "text"}},
		{"approve_reply note too long", ActApproveReply, Replied, dispActor, nil, Input{Note: tooLong}, []string{"note"}},
		{"reject_reply without note", ActRejectReply, Replied, dispActor, nil, Input{}, []string{"note"}},
		{"callback without outcome", ActCallback, Reviewed, opActor, nil, Input{Resolved: ptr(true)}, []string{"outcome"}},
		{"callback unknown outcome", ActCallback, Reviewed, dispActor, nil, Input{Outcome: "happy"}, []string{"outcome"}},
		{"callback note too long", ActCallback, Reviewed, opActor, nil, Input{Outcome: "satisfied", Note: tooLong}, []string{"note"}},
		{"close without note", ActClose, Reviewed, dispActor, nil, Input{}, []string{"note"}},
		{"reopen without note", ActReopen, Closed, dispActor, nil, Input{}, []string{"note"}},
		{"reopen blank note", ActReopen, Reviewed, dispActor, nil, Input{Note: "  "}, []string{"note"}},
		{"urge note too long", ActUrge, Dispatched, leaderActor, nil, Input{Note: tooLong}, []string{"note"}},
		{"supervise note too long", ActSupervise, Dispatched, leaderActor, nil, Input{Note: tooLong}, []string{"note"}},
		{"merge without into", ActMerge, Received, dispActor, nil, Input{}, []string{"into"}},
		{"merge blank into", ActMerge, Received, dispActor, nil, Input{Into: "  "}, []string{"into"}},
		{"merge into itself", ActMerge, InProgress, dispActor, nil, Input{Into: "o-1"}, []string{"into"}},
		{"invalidate without reason", ActInvalidate, Received, dispActor, nil, Input{}, []string{"reason"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prep := c.prep
			if prep == nil {
				prep = func(o Order) Order { return o }
			}
			o := prep(fixture(c.st))
			in := c.in
			in.Version = ver(o.Version)
			res, err := Apply(o, c.actor, c.act, in, testEnv())
			wantUnchanged(t, o, prep(fixture(c.st)))
			if err == nil {
				t.Fatalf("accepted: %+v", res.Event)
			}
			if code := codeOf(t, err); code != apperr.Invalid {
				t.Fatalf("code %s (%v), want invalid", code, err)
			}
			f := fieldsOf(err)
			for _, k := range c.fields {
				if f[k] == "" {
					t.Errorf("fields %v: want a problem with %q", f, k)
				}
			}
			if len(f) != len(c.fields) {
				t.Errorf("fields %v, want exactly %v", f, c.fields)
			}
		})
	}
}

// TestBodyLimits: the edges that must be accepted.
func TestBodyLimits(t *testing.T) {
	cases := []struct {
		name  string
		act   Action
		st    Status
		actor Actor
		in    Input
	}{
		{"text of exactly 10000 characters (30000 bytes)", ActNote, InProgress, ownActor, Input{Text: long(MaxText)}},
		{"note kind defaults to other", ActNote, Dispatched, coActor, Input{Text: "x"}},
		{"extension of 1 day", ActRequestExtension, Accepted, ownActor, Input{Days: 1, Reason: "r"}},
		{"extension of 30 days", ActRequestExtension, InProgress, ownActor, Input{Days: 30, Reason: "r"}},
		{"dispatch with 10 co-units", ActDispatch, Received, dispActor, Input{Unit: "u1", CoUnits: []string{"u3", "u4", "u5", "u6", "u7", "u8", "u9", "u10", "u11", "u12"}}},
		{"dispatch without note", ActDispatch, Returned, dispActor, Input{Unit: "u4"}},
		{"callback without note or resolved", ActCallback, Reviewed, opActor, Input{Outcome: "unreachable"}},
		{"every reply result", ActReply, InProgress, ownActor, Input{Result: "partly_resolved", Text: "t"}},
		{"unresolved", ActReply, InProgress, ownActor, Input{Result: "unresolved", Text: "t"}},
		{"explained", ActReply, InProgress, ownActor, Input{Result: "explained", Text: "t"}},
	}
	for _, k := range NoteKinds {
		cases = append(cases, struct {
			name  string
			act   Action
			st    Status
			actor Actor
			in    Input
		}{"note kind " + k, ActNote, Accepted, dispActor, Input{Text: "x", Kind: k}})
	}
	for _, c := range cases {
		o := fixture(c.st)
		in := c.in
		in.Version = ver(7)
		if _, err := Apply(o, c.actor, c.act, in, testEnv()); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Without a UnitKnown function every non-blank unit is taken.
	env := testEnv()
	env.UnitKnown = nil
	if _, err := Apply(fixture(Received), dispActor, ActDispatch, Input{Version: ver(7), Unit: "anything"}, env); err != nil {
		t.Errorf("dispatch without UnitKnown: %v", err)
	}
}

func TestNoteKindDefault(t *testing.T) {
	res, err := Apply(fixture(Replied), leaderActor, ActNote, Input{Version: ver(7), Text: " 看过了 "}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"text": "看过了", "kind": "other"}
	if !reflect.DeepEqual(res.Event.Body, want) {
		t.Errorf("body %v, want %v", res.Event.Body, want)
	}
	if res.Order.Status != Replied {
		t.Errorf("a note changed the state to %s", res.Order.Status)
	}
}

func TestDispatch(t *testing.T) {
	o := centerFixture(Received)
	res, err := Apply(o, dispActor, ActDispatch, Input{Version: ver(7), Unit: " u4 ", CoUnits: []string{"u5", " u6"}}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	n := res.Order
	if n.Unit != "u4" || !slices.Equal(n.CoUnits, []string{"u5", "u6"}) {
		t.Errorf("unit %q co-units %v", n.Unit, n.CoUnits)
	}
	if n.DispatchedAt == nil || !n.DispatchedAt.Equal(testNow) {
		t.Errorf("dispatched_at %v, want %v", n.DispatchedAt, testNow)
	}
	// Wednesday 10:00, normal complaint: 1 / 1 / 5 working days.
	wantDeadlines(t, n, eod(2026, 3, 5), eod(2026, 3, 5), eod(2026, 3, 11))
	if n.Round != 1 {
		t.Errorf("round %d, want 1", n.Round)
	}

	// Returned and dispatched again two days later: DispatchedAt stays the
	// first dispatch (the period the order counts in); deadlines restart.
	ret := res.Order
	ret.Status, ret.Version = ReturnRequested, 9
	ret.ReturnFrom = Dispatched
	r2, err := Apply(ret, dispActor, ActApproveReturn, Input{Version: ver(9)}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if r2.Order.Unit != "" || r2.Order.CoUnits != nil || r2.Order.ReturnFrom != "" {
		t.Errorf("approve_return left unit %q co-units %v return_from %q", r2.Order.Unit, r2.Order.CoUnits, r2.Order.ReturnFrom)
	}
	later := sh(2026, 3, 6, 15, 0) // Friday
	r3, err := Apply(r2.Order, dispActor, ActDispatch, Input{Version: ver(10), Unit: "u7"}, envAt(later))
	if err != nil {
		t.Fatal(err)
	}
	if !r3.Order.DispatchedAt.Equal(testNow) {
		t.Errorf("second dispatch moved dispatched_at to %v", r3.Order.DispatchedAt)
	}
	if r3.Order.Unit != "u7" || len(r3.Order.CoUnits) != 0 {
		t.Errorf("unit %q co-units %v", r3.Order.Unit, r3.Order.CoUnits)
	}
	wantDeadlines(t, r3.Order, eod(2026, 3, 9), eod(2026, 3, 9), eod(2026, 3, 13))
}

func TestRedispatch(t *testing.T) {
	o := fixture(InProgress)
	o.AcceptedAt = ptr(sh(2026, 3, 3, 11, 0).UTC())
	o.ContactedAt = ptr(sh(2026, 3, 3, 12, 0).UTC())
	o = withPending(o)
	first := *o.DispatchedAt
	res, err := Apply(o, dispActor, ActRedispatch, Input{Version: ver(7), Unit: "u4"}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	n := res.Order
	if n.Status != Dispatched || n.Unit != "u4" || n.Round != 1 {
		t.Errorf("status %s unit %s round %d", n.Status, n.Unit, n.Round)
	}
	if !n.DispatchedAt.Equal(first) {
		t.Errorf("redispatch moved dispatched_at to %v", n.DispatchedAt)
	}
	if n.AcceptedAt != nil || n.ContactedAt != nil || n.PendingExtension != nil {
		t.Errorf("redispatch kept accepted_at %v contacted_at %v pending %v", n.AcceptedAt, n.ContactedAt, n.PendingExtension)
	}
	wantDeadlines(t, n, eod(2026, 3, 5), eod(2026, 3, 5), eod(2026, 3, 11))
	// The old unit's handler has lost it; the new unit's has it.
	if n.Visible(Actor{Role: RoleHandler, Unit: "u1"}) {
		t.Errorf("the old unit still sees the order")
	}
	if err := Check(&n, Actor{Role: RoleHandler, Unit: "u4"}, ActAccept); err != nil {
		t.Errorf("the new unit cannot accept: %v", err)
	}
}

func TestAcceptContact(t *testing.T) {
	res, err := Apply(fixture(Dispatched), ownActor, ActAccept, Input{Version: ver(7)}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if res.Order.AcceptedAt == nil || !res.Order.AcceptedAt.Equal(testNow) {
		t.Errorf("accepted_at %v", res.Order.AcceptedAt)
	}
	at := testNow.Add(time.Hour)
	res, err = Apply(res.Order, ownActor, ActContact, Input{Version: ver(8), Note: "电话联系"}, envAt(at))
	if err != nil {
		t.Fatal(err)
	}
	if res.Order.ContactedAt == nil || !res.Order.ContactedAt.Equal(at) || res.Order.Status != InProgress {
		t.Errorf("contacted_at %v status %s", res.Order.ContactedAt, res.Order.Status)
	}
}

func TestReturnRoundTrip(t *testing.T) {
	for _, from := range []Status{Dispatched, Accepted, InProgress} {
		o := fixture(from)
		res, err := Apply(o, ownActor, ActRequestReturn, Input{Version: ver(7), Reason: "不属于本单位"}, testEnv())
		if err != nil {
			t.Fatal(err)
		}
		if res.Order.ReturnFrom != from || res.Order.Status != ReturnRequested {
			t.Errorf("from %s: return_from %q status %s", from, res.Order.ReturnFrom, res.Order.Status)
		}
		back, err := Apply(res.Order, dispActor, ActRejectReturn, Input{Version: ver(8), Note: "请办理"}, testEnv())
		if err != nil {
			t.Fatal(err)
		}
		if back.Order.Status != from || back.Order.ReturnFrom != "" || back.Event.To != from {
			t.Errorf("reject_return from %s: status %s return_from %q", from, back.Order.Status, back.Order.ReturnFrom)
		}
	}
}

func TestExtensions(t *testing.T) {
	t.Run("request records the pending request", func(t *testing.T) {
		res, err := Apply(fixture(Accepted), ownActor, ActRequestExtension, Input{Version: ver(7), Days: 4, Reason: " 要开议事会 "}, testEnv())
		if err != nil {
			t.Fatal(err)
		}
		want := &Extension{Days: 4, Reason: "要开议事会", RequestedBy: "h-own", RequestedAt: testNow.UTC()}
		if !reflect.DeepEqual(res.Order.PendingExtension, want) {
			t.Errorf("pending %+v, want %+v", res.Order.PendingExtension, want)
		}
		if !res.Order.Due.Equal(*fixture(Accepted).Due) {
			t.Errorf("requesting moved due")
		}
		// At most one pending request.
		_, err = Apply(res.Order, ownActor, ActRequestExtension, Input{Version: ver(8), Days: 2, Reason: "again"}, testEnv())
		if codeOf(t, err) != apperr.Conflict {
			t.Errorf("second request: %v, want conflict", err)
		}
	})
	t.Run("only before due", func(t *testing.T) {
		due := *fixture(InProgress).Due
		for _, c := range []struct {
			now time.Time
			ok  bool
		}{{due.Add(-time.Second), true}, {due, false}, {due.Add(time.Second), false}, {due.Add(72 * time.Hour), false}} {
			o := fixture(InProgress)
			_, err := Apply(o, ownActor, ActRequestExtension, Input{Version: ver(7), Days: 2, Reason: "r"}, envAt(c.now))
			if c.ok != (err == nil) || (err != nil && codeOf(t, err) != apperr.Conflict) {
				t.Errorf("request at %v (due %v): %v, want ok=%v or conflict", c.now, due, err, c.ok)
			}
			wantUnchanged(t, o, fixture(InProgress))
		}
	})
	t.Run("approve moves due by working days", func(t *testing.T) {
		// Due Tuesday 10 March 23:59:59; +3 working days = Friday 13 March;
		// +5 = Tuesday 17 March (over the weekend).
		for _, c := range []struct {
			days int
			want time.Time
		}{{1, eod(2026, 3, 11)}, {3, eod(2026, 3, 13)}, {5, eod(2026, 3, 17)}, {30, eod(2026, 4, 21)}} {
			o := withPending(fixture(InProgress))
			o.PendingExtension.Days = c.days
			res, err := Apply(o, dispActor, ActApproveExtension, Input{Version: ver(7)}, testEnv())
			if err != nil {
				t.Fatal(err)
			}
			if !res.Order.Due.Equal(c.want) {
				t.Errorf("+%d working days: due %v, want %v", c.days, res.Order.Due.In(shanghai), c.want.In(shanghai))
			}
			if res.Order.PendingExtension != nil {
				t.Errorf("approve left the request pending")
			}
			if res.Order.Status != InProgress || res.Event.From != InProgress || res.Event.To != InProgress {
				t.Errorf("approve changed the state")
			}
			if res.Event.Body["due"] != c.want.UTC().Format(time.RFC3339) || res.Event.Body["days"] != c.days {
				t.Errorf("body %v", res.Event.Body)
			}
		}
		// The calendar decides: a holiday on Wednesday 11 March is skipped.
		env := testEnv()
		env.Deadlines = Schedule{Policy: DefaultPolicy(), Calendar: testCal{off: map[string]bool{"2026-03-11": true}}}
		o := withPending(fixture(Accepted))
		o.PendingExtension.Days = 1
		res, err := Apply(o, dispActor, ActApproveExtension, Input{Version: ver(7)}, env)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Order.Due.Equal(eod(2026, 3, 12)) {
			t.Errorf("due %v, want Thursday 12 March", res.Order.Due.In(shanghai))
		}
	})
	t.Run("reject keeps due", func(t *testing.T) {
		o := withPending(fixture(Accepted))
		res, err := Apply(o, dispActor, ActRejectExtension, Input{Version: ver(7), Note: "no"}, testEnv())
		if err != nil {
			t.Fatal(err)
		}
		if !res.Order.Due.Equal(*o.Due) || res.Order.PendingExtension != nil {
			t.Errorf("due %v pending %v", res.Order.Due, res.Order.PendingExtension)
		}
		wantUnchanged(t, o, withPending(fixture(Accepted)))
	})
	t.Run("approve or reject without a request", func(t *testing.T) {
		for _, act := range []Action{ActApproveExtension, ActRejectExtension} {
			o := fixture(InProgress)
			_, err := Apply(o, dispActor, act, Input{Version: ver(7)}, testEnv())
			if codeOf(t, err) != apperr.Conflict {
				t.Errorf("%s without a request: %v, want conflict", act, err)
			}
			wantUnchanged(t, o, fixture(InProgress))
		}
	})
	t.Run("a reply drops the pending request", func(t *testing.T) {
		res, err := Apply(withPending(fixture(InProgress)), ownActor, ActReply, Input{Version: ver(7), Result: "resolved", Text: "ok"}, testEnv())
		if err != nil {
			t.Fatal(err)
		}
		if res.Order.PendingExtension != nil {
			t.Errorf("pending request survived the reply")
		}
	})
}

func TestReplyRounds(t *testing.T) {
	o := fixture(InProgress)
	t1 := testNow
	res, err := Apply(o, ownActor, ActReply, Input{Version: ver(7), Result: "partly_resolved", Text: " 第一次答复 "}, envAt(t1))
	if err != nil {
		t.Fatal(err)
	}
	n := res.Order
	if n.RepliedAt == nil || !n.RepliedAt.Equal(t1) || n.ReplyResult != "partly_resolved" || n.ReplyText != "第一次答复" {
		t.Fatalf("replied_at %v result %q text %q", n.RepliedAt, n.ReplyResult, n.ReplyText)
	}
	res, err = Apply(n, dispActor, ActRejectReply, Input{Version: ver(8), Note: "不完整"}, envAt(t1.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Order.RepliedAt.Equal(t1) {
		t.Errorf("reject_reply changed replied_at to %v", res.Order.RepliedAt)
	}
	t2 := t1.Add(24 * time.Hour)
	res, err = Apply(res.Order, ownActor, ActReply, Input{Version: ver(9), Result: "resolved", Text: "第二次答复"}, envAt(t2))
	if err != nil {
		t.Fatal(err)
	}
	n = res.Order
	if !n.RepliedAt.Equal(t1) {
		t.Errorf("second reply of the round moved replied_at to %v, want the first %v", n.RepliedAt, t1)
	}
	if n.ReplyResult != "resolved" || n.ReplyText != "第二次答复" {
		t.Errorf("result %q text %q: want the latest reply", n.ReplyResult, n.ReplyText)
	}
}

func TestCallback(t *testing.T) {
	for _, c := range []struct {
		outcome  string
		resolved *bool
		closes   bool
		wantRes  *bool
	}{
		{"satisfied", ptr(true), true, ptr(true)},
		{"basically_satisfied", ptr(false), true, ptr(false)},
		{"dissatisfied", nil, false, ptr(false)},
		{"unreachable", ptr(true), true, nil},
	} {
		o := fixture(Reviewed)
		res, err := Apply(o, opActor, ActCallback, Input{Version: ver(7), Outcome: c.outcome, Resolved: c.resolved}, testEnv())
		if err != nil {
			t.Fatal(err)
		}
		n := res.Order
		if (n.Status == Closed) != c.closes || (n.ClosedAt != nil) != c.closes {
			t.Errorf("%s: status %s closed_at %v", c.outcome, n.Status, n.ClosedAt)
		}
		if !c.closes && n.Status != Reviewed {
			t.Errorf("%s: status %s, want reviewed", c.outcome, n.Status)
		}
		if n.Satisfaction != c.outcome || !reflect.DeepEqual(n.Resolved, c.wantRes) {
			t.Errorf("%s: satisfaction %q resolved %v", c.outcome, n.Satisfaction, n.Resolved)
		}
		if res.Callback == nil || res.Callback.Outcome != c.outcome || res.Callback.Unit != "u1" || res.Callback.Round != 1 {
			t.Errorf("%s: callback record %+v", c.outcome, res.Callback)
		}
		if !c.closes {
			// Dissatisfied: ready for reopen, or close with a note.
			if err := Check(&n, dispActor, ActReopen); err != nil {
				t.Errorf("reopen after dissatisfied: %v", err)
			}
			if err := Check(&n, dispActor, ActClose); err != nil {
				t.Errorf("close after dissatisfied: %v", err)
			}
		}
	}
}

func TestReopen(t *testing.T) {
	o := fixture(Closed)
	o.AcceptedAt = ptr(sh(2026, 3, 3, 10, 0).UTC())
	o.ContactedAt = ptr(sh(2026, 3, 3, 11, 0).UTC())
	res, err := Apply(o, dispActor, ActReopen, Input{Version: ver(7), Note: "市民不满意"}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	n := res.Order
	if n.Status != Dispatched || n.Round != 2 || n.ReopenCount != 1 || n.Unit != "u1" {
		t.Errorf("status %s round %d reopen_count %d unit %s", n.Status, n.Round, n.ReopenCount, n.Unit)
	}
	if n.ClosedAt != nil || n.AcceptedAt != nil || n.ContactedAt != nil || n.RepliedAt != nil || n.ReplyText != "" {
		t.Errorf("reopen kept the old round: closed %v accepted %v contacted %v replied %v text %q",
			n.ClosedAt, n.AcceptedAt, n.ContactedAt, n.RepliedAt, n.ReplyText)
	}
	if !n.DispatchedAt.Equal(*o.DispatchedAt) {
		t.Errorf("reopen moved dispatched_at")
	}
	// Reopened policy: 1 / 1 / 3 working days from Wednesday.
	wantDeadlines(t, n, eod(2026, 3, 5), eod(2026, 3, 5), eod(2026, 3, 9))

	// Through the round again and reopened from reviewed: round 3.
	n.Status, n.Version = Reviewed, 20
	res, err = Apply(n, dispActor, ActReopen, Input{Version: ver(20), Note: "再次重办"}, envAt(sh(2026, 3, 13, 9, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Order.Round != 3 || res.Order.ReopenCount != 2 || res.Event.Body["round"] != 3 {
		t.Errorf("round %d reopen_count %d body %v", res.Order.Round, res.Order.ReopenCount, res.Event.Body)
	}
	// From Friday 13 March: Monday / Monday / Wednesday.
	wantDeadlines(t, res.Order, eod(2026, 3, 16), eod(2026, 3, 16), eod(2026, 3, 18))

	// A reopened consultation gets 3 days too; a reopened urgent order keeps the urgent limits.
	c := fixture(Closed)
	c.Type = Consultation
	res, err = Apply(c, dispActor, ActReopen, Input{Version: ver(7), Note: "x"}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	wantDeadlines(t, res.Order, eod(2026, 3, 5), eod(2026, 3, 5), eod(2026, 3, 9))
	u := fixture(Closed)
	u.Urgency = Urgent
	res, err = Apply(u, dispActor, ActReopen, Input{Version: ver(7), Note: "x"}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	wantDeadlines(t, res.Order, testNow.Add(30*time.Minute), testNow.Add(2*time.Hour), testNow.Add(24*time.Hour))
}

func TestNoChangeActions(t *testing.T) {
	o := fixture(Accepted)
	o.UrgeCount = 2
	res, err := Apply(o, leaderActor, ActUrge, Input{Version: ver(7)}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if res.Order.UrgeCount != 3 || res.Event.Body["urge_count"] != 3 {
		t.Errorf("urge_count %d body %v", res.Order.UrgeCount, res.Event.Body)
	}
	res, err = Apply(res.Order, leaderActor, ActSupervise, Input{Version: ver(8)}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Order.Supervised || res.Order.Status != Accepted {
		t.Errorf("supervised %v status %s", res.Order.Supervised, res.Order.Status)
	}
	// Apart from the counters and bookkeeping, a no-change action changes nothing.
	want := fixture(Accepted)
	want.UrgeCount, want.Supervised, want.Version, want.UpdatedAt = 3, true, 9, testNow.UTC()
	if !reflect.DeepEqual(res.Order, want) {
		t.Errorf("order after urge+supervise:\n got %+v\nwant %+v", res.Order, want)
	}
}

func TestFinalStates(t *testing.T) {
	res, err := Apply(fixture(Received), opActor, ActAnswer, Input{Version: ver(7), Reply: " 请拨打 12345 "}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if res.Order.ReplyText != "请拨打 12345" || res.Order.ClosedAt == nil || res.Order.Status.Open() {
		t.Errorf("answer: text %q closed_at %v", res.Order.ReplyText, res.Order.ClosedAt)
	}
	res, err = Apply(fixture(Received), dispActor, ActInvalidate, Input{Version: ver(7), Reason: "测试电话"}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if res.Order.ClosedAt == nil || res.Order.Status != Invalid {
		t.Errorf("invalidate: %s closed_at %v", res.Order.Status, res.Order.ClosedAt)
	}
	res, err = Apply(fixture(Reviewed), dispActor, ActClose, Input{Version: ver(7), Note: "领导决定"}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if res.Order.ClosedAt == nil || !res.Order.ClosedAt.Equal(testNow) {
		t.Errorf("close: closed_at %v", res.Order.ClosedAt)
	}
	res, err = Apply(fixture(InProgress), dispActor, ActMerge, Input{Version: ver(7), Into: " o-2 "}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if res.Order.Parent != "o-2" || res.Order.ClosedAt == nil || res.Event.Body["into"] != "o-2" {
		t.Errorf("merge: parent %q closed_at %v body %v", res.Order.Parent, res.Order.ClosedAt, res.Event.Body)
	}
}

func TestMergeInto(t *testing.T) {
	child := fixture(Merged)
	child.ID, child.Number = "o-5", "2026030400005"
	child.Caller = Caller{Name: "王五", Phone: "13700000000"}
	child.CoCallers = []Caller{{Phone: "13600000000"}}
	parent := fixture(InProgress)
	parent.ID = "o-2"
	p, ev, err := MergeInto(parent, child, dispActor, testNow)
	if err != nil {
		t.Fatal(err)
	}
	wantUnchanged(t, parent, func() Order { o := fixture(InProgress); o.ID = "o-2"; return o }())
	if !slices.Equal(p.Children, []string{"o-9", "o-5"}) {
		t.Errorf("children %v", p.Children)
	}
	wantCo := []Caller{{Name: "李四", Phone: "13900001111"}, {Name: "王五", Phone: "13700000000"}, {Phone: "13600000000"}}
	if !reflect.DeepEqual(p.CoCallers, wantCo) {
		t.Errorf("co-callers %v, want %v", p.CoCallers, wantCo)
	}
	if p.Version != 8 || p.Status != InProgress || ev.Action != string(ActMergeIn) || ev.From != InProgress || ev.To != InProgress ||
		ev.OrderID != "o-2" || ev.Body["child"] != "o-5" || ev.Actor != "disp1" {
		t.Errorf("parent version %d status %s event %+v", p.Version, p.Status, ev)
	}
	// An anonymous child adds no empty co-caller.
	child.Caller, child.CoCallers = Caller{Anonymous: true}, nil
	p, _, err = MergeInto(parent, child, dispActor, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.CoCallers) != 1 {
		t.Errorf("anonymous child added co-callers: %v", p.CoCallers)
	}
	// The parent must be open and not itself merged.
	for _, st := range Statuses {
		par := fixture(st)
		par.ID = "o-2"
		_, _, err := MergeInto(par, child, dispActor, testNow)
		if st.Open() != (err == nil) {
			t.Errorf("merge into a %s parent: %v", st, err)
		}
		if err != nil && (codeOf(t, err) != apperr.Invalid || fieldsOf(err)["into"] == "") {
			t.Errorf("merge into a %s parent: %v, want invalid into", st, err)
		}
	}
	par := fixture(InProgress)
	par.Parent = "o-0"
	if _, _, err := MergeInto(par, child, dispActor, testNow); err == nil || fieldsOf(err)["into"] == "" {
		t.Errorf("merge into a merged parent: %v", err)
	}
}

// TestLifecycle walks a complaint through the whole workflow, chaining the
// events, and checks the chain at the end.
func TestLifecycle(t *testing.T) {
	o, ev, err := NewOrder{Type: Complaint, Source: SourceHotline, Title: "噪音", Description: "夜间施工",
		Caller: &Caller{Name: "张三", Phone: "13812345678"}}.Build(opActor, CreateEnv{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	o.ID = "o-100"
	ev.OrderID = o.ID
	ev.Seal(1, GenesisHash)
	events := []Event{ev}
	now := testNow
	step := func(a Actor, act Action, in Input, want Status) {
		t.Helper()
		now = now.Add(time.Hour)
		in.Version = ver(o.Version)
		res, err := Apply(o, a, act, in, envAt(now))
		if err != nil {
			t.Fatalf("%s: %v", act, err)
		}
		if res.Order.Status != want {
			t.Fatalf("%s: status %s, want %s", act, res.Order.Status, want)
		}
		e := res.Event
		e.Seal(len(events)+1, events[len(events)-1].Hash)
		events = append(events, e)
		o = res.Order
	}
	step(dispActor, ActDispatch, Input{Unit: "u1", CoUnits: []string{"u2"}}, Dispatched)
	step(ownActor, ActAccept, Input{}, Accepted)
	step(ownActor, ActRequestReturn, Input{Reason: "不是我们的"}, ReturnRequested)
	step(dispActor, ActRejectReturn, Input{Note: "是你们的"}, Accepted)
	step(ownActor, ActContact, Input{Note: "电话联系"}, InProgress)
	step(coActor, ActNote, Input{Text: "协办意见", Kind: "site_visit"}, InProgress)
	step(ownActor, ActRequestExtension, Input{Days: 2, Reason: "开会"}, InProgress)
	step(dispActor, ActApproveExtension, Input{}, InProgress)
	step(leaderActor, ActUrge, Input{}, InProgress)
	step(leaderActor, ActSupervise, Input{}, InProgress)
	step(ownActor, ActReply, Input{Result: "resolved", Text: "已处理"}, Replied)
	step(dispActor, ActRejectReply, Input{Note: "补充照片"}, InProgress)
	step(ownActor, ActReply, Input{Result: "resolved", Text: "已处理，附照片"}, Replied)
	step(dispActor, ActApproveReply, Input{}, Reviewed)
	step(opActor, ActCallback, Input{Outcome: "dissatisfied"}, Reviewed)
	step(dispActor, ActReopen, Input{Note: "重办"}, Dispatched)
	step(ownActor, ActAccept, Input{}, Accepted)
	step(ownActor, ActContact, Input{Note: "上门"}, InProgress)
	step(ownActor, ActReply, Input{Result: "resolved", Text: "已彻底解决"}, Replied)
	step(dispActor, ActApproveReply, Input{}, Reviewed)
	step(opActor, ActCallback, Input{Outcome: "satisfied", Resolved: ptr(true)}, Closed)
	if o.Round != 2 || o.ReopenCount != 1 || o.UrgeCount != 1 || !o.Supervised || o.Version != int64(len(events)) {
		t.Errorf("round %d reopen %d urge %d supervised %v version %d events %d", o.Round, o.ReopenCount, o.UrgeCount, o.Supervised, o.Version, len(events))
	}
	if b := VerifyChain(events); b != nil {
		t.Errorf("chain broken: %+v", b)
	}
}

func wantDeadlines(t *testing.T, o Order, sign, contact, due time.Time) {
	t.Helper()
	if o.SignDue == nil || o.ContactDue == nil || o.Due == nil {
		t.Fatalf("deadlines not set: %v %v %v", o.SignDue, o.ContactDue, o.Due)
	}
	if !o.SignDue.Equal(sign) || !o.ContactDue.Equal(contact) || !o.Due.Equal(due) {
		t.Errorf("deadlines %v / %v / %v, want %v / %v / %v",
			o.SignDue.In(shanghai), o.ContactDue.In(shanghai), o.Due.In(shanghai),
			sign.In(shanghai), contact.In(shanghai), due.In(shanghai))
	}
	for _, d := range []*time.Time{o.SignDue, o.ContactDue, o.Due} {
		if d.Location() != time.UTC {
			t.Errorf("deadline %v is not in UTC", d)
		}
	}
}
