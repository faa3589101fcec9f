package order

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"hotline/internal/apperr"
)

// specRow is one row of the action table of workflow.md, transcribed by hand
// from the spec (not from machine), so that a wrong row in machine fails.
type specRow struct {
	who  []string // actor kinds allowed (see matrixActors)
	from []Status
	to   Status // "" = no change
}

// specOpen is "any open state": every state except answered, closed, merged, invalid.
var specOpen = []Status{Received, Dispatched, Accepted, InProgress, ReturnRequested, Returned, Replied, Reviewed}

var specTable = map[Action]specRow{
	"dispatch":          {who: []string{"dispatcher"}, from: []Status{Received, Returned}, to: Dispatched},
	"redispatch":        {who: []string{"dispatcher"}, from: []Status{Dispatched, Accepted, InProgress}, to: Dispatched},
	"answer":            {who: []string{"operator", "dispatcher"}, from: []Status{Received}, to: Answered},
	"accept":            {who: []string{"handler_own"}, from: []Status{Dispatched}, to: Accepted},
	"request_return":    {who: []string{"handler_own"}, from: []Status{Dispatched, Accepted, InProgress}, to: ReturnRequested},
	"approve_return":    {who: []string{"dispatcher"}, from: []Status{ReturnRequested}, to: Returned},
	"reject_return":     {who: []string{"dispatcher"}, from: []Status{ReturnRequested}}, // to: ReturnFrom
	"contact":           {who: []string{"handler_own"}, from: []Status{Accepted}, to: InProgress},
	"note":              {who: []string{"handler_own", "handler_co", "dispatcher", "leader"}, from: specOpen},
	"request_extension": {who: []string{"handler_own"}, from: []Status{Accepted, InProgress}},
	// workflow.md gives no from-states for approve/reject_extension; a
	// request can only be made in accepted or in_progress.
	"approve_extension": {who: []string{"dispatcher"}, from: []Status{Accepted, InProgress}},
	"reject_extension":  {who: []string{"dispatcher"}, from: []Status{Accepted, InProgress}},
	"reply":             {who: []string{"handler_own"}, from: []Status{InProgress}, to: Replied},
	"approve_reply":     {who: []string{"dispatcher"}, from: []Status{Replied}, to: Reviewed},
	"reject_reply":      {who: []string{"dispatcher"}, from: []Status{Replied}, to: InProgress},
	"callback":          {who: []string{"operator", "dispatcher"}, from: []Status{Reviewed}}, // to: by outcome
	"close":             {who: []string{"dispatcher"}, from: []Status{Reviewed}, to: Closed},
	"reopen":            {who: []string{"dispatcher"}, from: []Status{Reviewed, Closed}, to: Dispatched},
	"urge":              {who: []string{"dispatcher", "leader"}, from: specOpen},
	"supervise":         {who: []string{"leader"}, from: specOpen},
	"merge":             {who: []string{"dispatcher"}, from: specOpen, to: Merged},
	"invalidate":        {who: []string{"dispatcher"}, from: []Status{Received}, to: Invalid},
}

// specCode is what workflow.md says about the actor kind doing act in st: nil
// when allowed, else Forbidden for the role or unit, Conflict for the state.
func specCode(act Action, kind string, st Status) apperr.Code {
	row := specTable[act]
	if !slices.Contains(row.who, kind) {
		return apperr.Forbidden
	}
	if !slices.Contains(row.from, st) {
		return apperr.Conflict
	}
	return ""
}

// variant is one valid way of taking an action: the body, a tweak of the
// fixture it needs, the state it must lead to (from the spec; "" = no
// change) and the exact event body expected.
type variant struct {
	name   string
	in     Input
	prep   func(Order) Order
	to     func(from Status) Status
	body   func(o Order) map[string]any
	hasCB  bool
	cbWant CallbackRecord
}

func sameState(from Status) Status { return from }
func toState(s Status) func(Status) Status {
	return func(Status) Status { return s }
}

func variants() map[Action][]variant {
	v := map[Action][]variant{
		"dispatch": {{in: Input{Unit: "u4", CoUnits: []string{"u5"}, Note: " 请尽快处理 "},
			body: func(Order) map[string]any {
				return map[string]any{"unit": "u4", "co_units": []string{"u5"}, "note": "请尽快处理"}
			}}},
		"redispatch": {{in: Input{Unit: "u4", Note: "不是本单位的"},
			body: func(Order) map[string]any { return map[string]any{"unit": "u4", "note": "不是本单位的"} }}},
		"answer": {{in: Input{Reply: "办理时间为工作日 9:00-17:00"},
			body: func(Order) map[string]any { return map[string]any{"reply": "办理时间为工作日 9:00-17:00"} }}},
		"accept": {{body: func(Order) map[string]any { return map[string]any{} }}},
		"request_return": {{in: Input{Reason: "属于房管办职责"},
			body: func(Order) map[string]any { return map[string]any{"reason": "属于房管办职责"} }}},
		"approve_return": {{in: Input{Note: "同意"},
			body: func(o Order) map[string]any { return map[string]any{"unit": o.Unit, "note": "同意"} }}},
		"contact": {{in: Input{Note: "电话联系，约定明天上门"},
			body: func(Order) map[string]any { return map[string]any{"note": "电话联系，约定明天上门"} }}},
		"note": {{in: Input{Text: "现场查看", Kind: "meeting", MeetingID: "m-1"},
			body: func(Order) map[string]any {
				return map[string]any{"text": "现场查看", "kind": "meeting", "meeting_id": "m-1"}
			}}},
		"request_extension": {{in: Input{Days: 5, Reason: "需要召开议事会"},
			body: func(Order) map[string]any { return map[string]any{"days": 5, "reason": "需要召开议事会"} }}},
		"approve_extension": {{in: Input{Note: "同意延期"}, prep: withPending,
			body: func(o Order) map[string]any {
				due := testCal{}.AddWorkingDays(*o.Due, 3).UTC().Format(time.RFC3339)
				return map[string]any{"days": 3, "due": due, "note": "同意延期"}
			}}},
		"reject_extension": {{in: Input{Note: "不同意"}, prep: withPending,
			body: func(Order) map[string]any { return map[string]any{"days": 3, "note": "不同意"} }}},
		"reply": {{in: Input{Result: "resolved", Text: "已协调施工方停止夜间施工"},
			body: func(Order) map[string]any {
				return map[string]any{"result": "resolved", "text": "已协调施工方停止夜间施工"}
			}}},
		"approve_reply": {{in: Input{Note: "通过"},
			body: func(Order) map[string]any { return map[string]any{"note": "通过"} }}},
		"reject_reply": {{in: Input{Note: "答复不完整"},
			body: func(Order) map[string]any { return map[string]any{"note": "答复不完整"} }}},
		"close": {{in: Input{Note: "匿名来电，无法回访"},
			body: func(Order) map[string]any { return map[string]any{"note": "匿名来电，无法回访"} }}},
		"reopen": {{in: Input{Note: "市民不满意，重办"},
			body: func(o Order) map[string]any {
				return map[string]any{"round": 2, "unit": o.Unit, "note": "市民不满意，重办"}
			}}},
		"urge": {{in: Input{Note: "请加快"},
			body: func(o Order) map[string]any {
				return map[string]any{"urge_count": o.UrgeCount + 1, "note": "请加快"}
			}}},
		"supervise": {{in: Input{Note: "督办"},
			body: func(Order) map[string]any { return map[string]any{"note": "督办"} }}},
		"merge": {{in: Input{Into: "o-2"},
			body: func(Order) map[string]any { return map[string]any{"into": "o-2"} }}},
		"invalidate": {{in: Input{Reason: "骚扰电话"},
			body: func(Order) map[string]any { return map[string]any{"reason": "骚扰电话"} }}},
	}
	// reject_return goes back to the state the return was asked from.
	for _, back := range []Status{Dispatched, Accepted, InProgress} {
		v["reject_return"] = append(v["reject_return"], variant{
			name: "from_" + string(back), in: Input{Note: "请继续办理"},
			prep: func(o Order) Order {
				if o.Status == ReturnRequested {
					o.ReturnFrom = back
				}
				return o
			},
			to:   toState(back),
			body: func(Order) map[string]any { return map[string]any{"note": "请继续办理"} },
		})
	}
	// callback closes the order except for dissatisfied, which stays reviewed.
	for _, c := range []struct {
		outcome  string
		resolved bool
		to       Status
	}{{"satisfied", true, Closed}, {"basically_satisfied", false, Closed}, {"dissatisfied", false, Reviewed}, {"unreachable", false, Closed}} {
		v["callback"] = append(v["callback"], variant{
			name: c.outcome, in: Input{Outcome: c.outcome, Resolved: ptr(c.resolved), Note: "回访记录"},
			to: toState(c.to),
			body: func(Order) map[string]any {
				return map[string]any{"outcome": c.outcome, "resolved": c.resolved, "note": "回访记录"}
			},
			hasCB:  true,
			cbWant: CallbackRecord{Outcome: c.outcome, Resolved: c.resolved, Unit: "u1", Round: 1, At: testNow.UTC()},
		})
	}
	for act, vs := range v {
		for i := range vs {
			if vs[i].to == nil {
				if to := specTable[act].to; to != "" {
					vs[i].to = toState(to)
				} else {
					vs[i].to = sameState
				}
			}
			if vs[i].prep == nil {
				vs[i].prep = func(o Order) Order { return o }
			}
		}
	}
	return v
}

func TestSpecTableCoversActions(t *testing.T) {
	if len(Actions) != 22 || len(specTable) != 22 {
		t.Fatalf("workflow.md has 22 actions; Actions has %d, the spec table %d", len(Actions), len(specTable))
	}
	for _, act := range Actions {
		if _, ok := specTable[act]; !ok {
			t.Errorf("action %q is not in workflow.md", act)
		}
		if !Known(act) {
			t.Errorf("Known(%q) = false", act)
		}
	}
	for _, a := range []Action{"", "create", "merge_in", "overdue", "Dispatch", "delete"} {
		if Known(a) {
			t.Errorf("Known(%q) = true", a)
		}
	}
	if len(Statuses) != 12 || len(Roles) != 6 {
		t.Fatalf("want 12 states and 6 roles, got %d and %d", len(Statuses), len(Roles))
	}
	var open []Status
	for _, s := range Statuses {
		if s.Open() {
			open = append(open, s)
		}
	}
	if !reflect.DeepEqual(open, specOpen) {
		t.Errorf("open states = %v, want %v", open, specOpen)
	}
}

// TestApplyMatrix is every action × every state × every role (the handler of
// the holding unit, of a co-unit and of another unit), each variant of a
// valid body, against the table of workflow.md.
func TestApplyMatrix(t *testing.T) {
	vs := variants()
	cases, allowed := 0, 0
	for _, act := range Actions {
		if len(vs[act]) == 0 {
			t.Fatalf("no body variant for %s", act)
		}
		for _, v := range vs[act] {
			for _, st := range Statuses {
				for _, na := range matrixActors {
					name := fmt.Sprintf("%s/%s/%s", act, st, na.kind)
					if v.name != "" {
						name = fmt.Sprintf("%s[%s]/%s/%s", act, v.name, st, na.kind)
					}
					cases++
					want := specCode(act, na.kind, st)
					if want == "" {
						allowed++
					}
					t.Run(name, func(t *testing.T) {
						o := v.prep(fixture(st))
						in := v.in
						in.Version = ver(o.Version)
						res, err := Apply(o, na.actor, act, in, testEnv())
						wantUnchanged(t, o, v.prep(fixture(st)))
						if want != "" {
							if err == nil {
								t.Fatalf("allowed, want %s: new state %s", want, res.Order.Status)
							}
							if got := codeOf(t, err); got != want {
								t.Fatalf("code %s (%v), want %s", got, err, want)
							}
							if !reflect.DeepEqual(res, Result{}) {
								t.Errorf("a refused action returned a result: %+v", res)
							}
							return
						}
						if err != nil {
							t.Fatalf("refused: %v", err)
						}
						n, ev := res.Order, res.Event
						to := v.to(st)
						if n.Status != to {
							t.Errorf("new state %s, want %s", n.Status, to)
						}
						if n.Version != o.Version+1 {
							t.Errorf("version %d, want %d", n.Version, o.Version+1)
						}
						if !n.UpdatedAt.Equal(testNow) || n.UpdatedAt.Location() != time.UTC {
							t.Errorf("updated_at %v, want %v in UTC", n.UpdatedAt, testNow.UTC())
						}
						if ev.OrderID != o.ID || ev.Action != string(act) || ev.From != st || ev.To != to ||
							ev.Actor != na.actor.Username || !ev.At.Equal(testNow) {
							t.Errorf("event %+v: want order %s action %s %s→%s by %s at %v", ev, o.ID, act, st, to, na.actor.Username, testNow)
						}
						if ev.Body == nil {
							t.Fatalf("event body is nil")
						}
						if wantBody := v.body(o); !reflect.DeepEqual(ev.Body, wantBody) {
							t.Errorf("event body %#v, want %#v", ev.Body, wantBody)
						}
						if v.hasCB {
							if res.Callback == nil || *res.Callback != v.cbWant {
								t.Errorf("callback record %+v, want %+v", res.Callback, v.cbWant)
							}
						} else if res.Callback != nil {
							t.Errorf("unexpected callback record %+v", res.Callback)
						}
						// Applying the result again with the old version must now be stale.
						if _, err := Apply(n, na.actor, act, in, testEnv()); err == nil || codeOf(t, err) == apperr.Invalid {
							t.Errorf("re-applying with the old version: %v, want a refusal", err)
						}
					})
				}
			}
		}
	}
	t.Logf("%d cases, %d allowed", cases, allowed)
}

// TestCenterHeldOrders: when the center holds an order (no unit), no handler
// of any unit may touch it, and the other roles are unaffected.
func TestCenterHeldOrders(t *testing.T) {
	vs := variants()
	for _, st := range []Status{Received, Returned, Answered, Invalid, Merged} {
		for _, act := range Actions {
			v := vs[act][0]
			for _, na := range matrixActors {
				o := v.prep(centerFixture(st))
				in := v.in
				in.Version = ver(o.Version)
				_, err := Apply(o, na.actor, act, in, testEnv())
				wantUnchanged(t, o, v.prep(centerFixture(st)))
				want := specCode(act, na.kind, st)
				if na.actor.Role == RoleHandler {
					want = apperr.Forbidden
				}
				if act == ActReopen && want == "" {
					want = apperr.Invalid // nothing to reopen it to
				}
				got := apperr.Code("")
				if err != nil {
					got = codeOf(t, err)
				}
				if got != want {
					t.Errorf("%s %s by %s: code %q (%v), want %q", act, st, na.kind, got, err, want)
				}
			}
			o := centerFixture(st)
			if err := Check(&o, unitlessHandl, act); codeOf(t, err) != apperr.Forbidden {
				t.Errorf("%s %s by a handler without a unit: %v, want forbidden", act, st, err)
			}
		}
	}
}

func TestCheckAndAllowed(t *testing.T) {
	o := fixture(Received)
	if err := Check(&o, dispActor, "fly"); codeOf(t, err) != apperr.NotFound {
		t.Errorf("unknown action: %v, want not_found", err)
	}
	if _, err := Apply(o, dispActor, "fly", Input{Version: ver(7)}, testEnv()); codeOf(t, err) != apperr.NotFound {
		t.Errorf("Apply unknown action: %v, want not_found", err)
	}
	for _, st := range Statuses {
		for _, pending := range []bool{false, true} {
			o := fixture(st)
			if pending {
				o = withPending(o)
			}
			for _, na := range matrixActors {
				var want []Action
				for _, act := range Actions {
					if specCode(act, na.kind, st) != "" {
						continue
					}
					if act == ActRequestExtension && pending {
						continue
					}
					if (act == ActApproveExtension || act == ActRejectExtension) && !pending {
						continue
					}
					want = append(want, act)
				}
				got := Allowed(&o, na.actor)
				if !slices.Equal(got, want) {
					t.Errorf("Allowed(%s, pending=%v, %s) = %v, want %v", st, pending, na.kind, got, want)
				}
				for _, act := range Actions {
					err := Check(&o, na.actor, act)
					want := specCode(act, na.kind, st)
					if (err == nil) != (want == "") || (err != nil && codeOf(t, err) != want) {
						t.Errorf("Check(%s, %s, %s) = %v, want %q", st, na.kind, act, err, want)
					}
				}
			}
		}
	}
}

func TestVersion(t *testing.T) {
	vs := variants()
	for _, act := range Actions {
		v := vs[act][0]
		row := specTable[act]
		st := row.from[0]
		var actor Actor
		for _, na := range matrixActors {
			if na.kind == row.who[0] {
				actor = na.actor
			}
		}
		for _, stale := range []int64{0, 6, 8, 1 << 40, -7} {
			o := v.prep(fixture(st))
			in := v.in
			in.Version = ver(stale)
			_, err := Apply(o, actor, act, in, testEnv())
			if err == nil || codeOf(t, err) != apperr.Conflict {
				t.Errorf("%s with version %d on version 7: %v, want conflict", act, stale, err)
			}
			wantUnchanged(t, o, v.prep(fixture(st)))
		}
		o := v.prep(fixture(st))
		in := v.in
		in.Version = nil
		_, err := Apply(o, actor, act, in, testEnv())
		if err == nil || codeOf(t, err) != apperr.Invalid {
			t.Fatalf("%s without a version: %v, want invalid", act, err)
		}
		if _, ok := fieldsOf(err)["version"]; !ok {
			t.Errorf("%s without a version: fields %v, want version", act, fieldsOf(err))
		}
		wantUnchanged(t, o, v.prep(fixture(st)))
	}
}

// TestEveryActionHasAnEffect: an action added to the rules table without
// its effect would move the state and change nothing else, silently.
func TestEveryActionHasAnEffect(t *testing.T) {
	for _, act := range Actions {
		if effects[act] == nil {
			t.Errorf("action %s has no effect in effects.go", act)
		}
	}
}
