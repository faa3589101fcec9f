package order

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"hotline/internal/apperr"
)

// fuzzOrder builds the order a fuzz input describes; calling it twice gives
// independent deep copies.
func fuzzOrder(st uint8, flags uint8) Order {
	s := Statuses[int(st)%len(Statuses)]
	var o Order
	if flags&4 != 0 {
		o = centerFixture(s)
	} else {
		o = fixture(s)
	}
	if flags&1 != 0 {
		o = withPending(o)
	}
	if flags&8 != 0 {
		o.Urgency = Urgent
	}
	if flags&16 != 0 {
		o.Urgency = Emergency
	}
	if flags&32 != 0 {
		o.Type = Consultation
	}
	if flags&64 != 0 {
		o.Round = 2
	}
	if s == ReturnRequested && flags&128 != 0 {
		o.ReturnFrom = Dispatched
	}
	return o
}

// FuzzApply feeds random action names and JSON bodies to Apply on orders in
// random states by random actors: Apply must never panic, must refuse with a
// contract error that agrees with workflow.md, and must leave the order
// unchanged when it refuses (and the caller's copy unchanged always).
func FuzzApply(f *testing.F) {
	for act, vs := range variants() {
		row := specTable[act]
		for _, v := range vs {
			body, err := json.Marshal(v.in)
			if err != nil {
				f.Fatal(err)
			}
			for wi, na := range matrixActors {
				if !slices.Contains(row.who, na.kind) {
					continue
				}
				st := uint8(slices.Index(Statuses, row.from[0]))
				flags := uint8(2)
				if act == ActApproveExtension || act == ActRejectExtension {
					flags |= 1
				}
				f.Add(string(act), st, uint8(wi), flags, int64(0), body)
			}
		}
	}
	f.Add("dispatch", uint8(0), uint8(1), uint8(2), int64(0), []byte(`{"unit":"u4","co_units":["u5","u5"," "],"note":"\u0000"}`))
	f.Add("request_extension", uint8(4), uint8(2), uint8(3), int64(100000), []byte(`{"days":1e9,"reason":"r"}`))
	f.Add("callback", uint8(8), uint8(0), uint8(2), int64(-5), []byte(`{"outcome":"dissatisfied","resolved":null}`))
	f.Add("nope", uint8(200), uint8(200), uint8(255), int64(-1<<62), []byte(`{"version":7}`))
	f.Add("reply", uint8(4), uint8(2), uint8(0), int64(0), []byte(`{"version":6,"result":"resolved","text":"x"}`))
	f.Add("merge", uint8(2), uint8(1), uint8(2), int64(0), []byte(`{"into":"o-1"}`))

	f.Fuzz(func(t *testing.T, act string, st, who, flags uint8, offsetMin int64, body []byte) {
		var in Input
		if err := json.Unmarshal(body, &in); err != nil {
			in = Input{}
		}
		o := fuzzOrder(st, flags)
		if flags&2 != 0 {
			in.Version = ver(o.Version)
		}
		na := matrixActors[int(who)%len(matrixActors)]
		// Any moment within ±10 years of testNow.
		offsetMin %= 10 * 366 * 24 * 60
		env := envAt(testNow.Add(time.Duration(offsetMin) * time.Minute))

		res, err := Apply(o, na.actor, Action(act), in, env)
		wantUnchanged(t, o, fuzzOrder(st, flags))

		// What workflow.md says before the body is looked at.
		var want apperr.Code
		switch {
		case in.Version == nil:
			want = apperr.Invalid
		case !Known(Action(act)):
			want = apperr.NotFound
		default:
			want = specCode(Action(act), na.kind, o.Status)
			if na.actor.Role == RoleHandler && o.Unit == "" {
				want = apperr.Forbidden
			}
		}
		if err != nil {
			var e *apperr.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *apperr.Error", err)
			}
			switch e.Code {
			case apperr.Invalid, apperr.Forbidden, apperr.Conflict, apperr.NotFound:
			default:
				t.Fatalf("code %s: %v", e.Code, err)
			}
			if e.Code == apperr.Invalid && len(e.Fields) == 0 {
				t.Errorf("invalid without fields: %v", err)
			}
			if want != "" && e.Code != want {
				t.Fatalf("code %s (%v), want %s", e.Code, err, want)
			}
			if want == "" && e.Code != apperr.Invalid && e.Code != apperr.Conflict {
				t.Fatalf("allowed by the spec, refused with %s: %v", e.Code, err)
			}
			if !reflect.DeepEqual(res, Result{}) {
				t.Errorf("a refused action returned %+v", res)
			}
			return
		}
		if want != "" {
			t.Fatalf("%s on %s by %s succeeded, want %s", act, o.Status, na.kind, want)
		}
		if *in.Version != o.Version {
			t.Fatalf("a stale version %d was accepted on version %d", *in.Version, o.Version)
		}
		n, ev := res.Order, res.Event
		if n.Version != o.Version+1 || !slices.Contains(Statuses, n.Status) {
			t.Fatalf("version %d status %q", n.Version, n.Status)
		}
		if to := specTable[Action(act)].to; to != "" && n.Status != to {
			t.Fatalf("%s led to %s, want %s", act, n.Status, to)
		}
		if ev.Action != act || ev.From != o.Status || ev.To != n.Status || ev.Actor != na.actor.Username || ev.Body == nil {
			t.Fatalf("event %+v", ev)
		}
		if _, err := json.Marshal(ev.Body); err != nil {
			t.Fatalf("event body does not marshal: %v", err)
		}
		ev.Seal(1, GenesisHash)
		if b := VerifyChain([]Event{ev}); b != nil {
			t.Fatalf("fresh event does not verify: %+v", b)
		}
		switch Action(act) {
		case ActRejectReturn:
			if n.Status != o.ReturnFrom {
				t.Fatalf("reject_return led to %s, want %s", n.Status, o.ReturnFrom)
			}
		case ActCallback:
			if (n.Status == Reviewed) != (in.Outcome == "dissatisfied") || (n.Status != Reviewed && n.Status != Closed) {
				t.Fatalf("callback %q led to %s", in.Outcome, n.Status)
			}
		}
		if n.Status == o.Status && specTable[Action(act)].to != "" && act != string(ActRedispatch) {
			t.Fatalf("%s kept the state %s", act, n.Status)
		}
	})
}
