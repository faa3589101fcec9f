package order

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// chain returns a sealed timeline of five events with bodies of every JSON
// kind (strings, ints, bools, lists, nested maps).
func chain() []Event {
	at := testNow.UTC()
	evs := []Event{
		{Actor: "op1", Action: "create", To: Received, Body: map[string]any{"type": "complaint", "title": "噪音 <夜间>"}},
		{Actor: "disp1", Action: "dispatch", From: Received, To: Dispatched, Body: map[string]any{"unit": "u1", "co_units": []string{"u2", "u3"}}},
		{Actor: "h-own", Action: "request_extension", From: InProgress, To: InProgress, Body: map[string]any{"days": 5, "reason": "开会"}},
		{Actor: "op1", Action: "callback", From: Reviewed, To: Closed, Body: map[string]any{"outcome": "satisfied", "resolved": true, "x": map[string]any{"n": 1.5}}},
		{Actor: "disp1", Action: "reopen", From: Closed, To: Dispatched, Body: map[string]any{"round": 2, "unit": "u1"}},
	}
	prev := GenesisHash
	for i := range evs {
		evs[i].OrderID = "o-1"
		evs[i].At = at.Add(time.Duration(i)*time.Hour + 123456789*time.Nanosecond)
		evs[i].Seal(i+1, prev)
		prev = evs[i].Hash
	}
	return evs
}

func TestSealAndVerify(t *testing.T) {
	evs := chain()
	if b := VerifyChain(evs); b != nil {
		t.Fatalf("intact chain: %+v", b)
	}
	if b := VerifyChain(nil); b != nil {
		t.Errorf("empty chain: %+v", b)
	}
	for i, e := range evs {
		if e.Seq != i+1 || len(e.Hash) != 64 || (i == 0 && e.PrevHash != GenesisHash) || (i > 0 && e.PrevHash != evs[i-1].Hash) {
			t.Errorf("event %d: seq %d prev %s hash %s", i, e.Seq, e.PrevHash, e.Hash)
		}
		if e.At.Nanosecond()%1000 != 0 || e.At.Location() != time.UTC {
			t.Errorf("event %d: at %v not truncated to microseconds in UTC", i, e.At)
		}
	}
	// The hash does not depend on the time zone the time is expressed in.
	e := evs[2]
	e.At = e.At.In(shanghai)
	if e.ComputeHash() != evs[2].Hash {
		t.Errorf("hash depends on the time zone")
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	for _, c := range []struct {
		name    string
		tamper  func([]Event) []Event
		wantSeq int
	}{
		{"changed body value", func(e []Event) []Event { e[2].Body = map[string]any{"days": 30, "reason": "开会"}; return e }, 3},
		{"added body key", func(e []Event) []Event {
			e[1].Body = map[string]any{"unit": "u1", "co_units": []string{"u2", "u3"}, "x": 1}
			return e
		}, 2},
		{"changed actor", func(e []Event) []Event { e[3].Actor = "disp1"; return e }, 4},
		{"changed action", func(e []Event) []Event { e[0].Action = "import"; return e }, 1},
		{"changed from", func(e []Event) []Event { e[4].From = Reviewed; return e }, 5},
		{"changed to", func(e []Event) []Event { e[3].To = Reviewed; return e }, 4},
		{"changed time", func(e []Event) []Event { e[1].At = e[1].At.Add(time.Microsecond); return e }, 2},
		{"changed order", func(e []Event) []Event { e[2].OrderID = "o-2"; return e }, 3},
		{"deleted middle event", func(e []Event) []Event { return append(e[:2:2], e[3:]...) }, 4},
		{"deleted first event", func(e []Event) []Event { return e[1:] }, 2},
		{"deleted and renumbered", func(e []Event) []Event {
			e = append(e[:2:2], e[3:]...)
			for i := range e {
				e[i].Seq = i + 1
			}
			return e
		}, 3},
		{"swapped events", func(e []Event) []Event { e[1], e[2] = e[2], e[1]; return e }, 3},
		{"swapped and renumbered", func(e []Event) []Event { e[1], e[2] = e[2], e[1]; e[1].Seq, e[2].Seq = 2, 3; return e }, 2},
		{"re-hashed changed event", func(e []Event) []Event { e[1].Actor = "x"; e[1].Hash = e[1].ComputeHash(); return e }, 3},
		{"forged hash", func(e []Event) []Event { e[4].Hash = strings.Repeat("0", 64); return e }, 5},
	} {
		evs := c.tamper(chain())
		b := VerifyChain(evs)
		if b == nil {
			t.Errorf("%s: not detected", c.name)
			continue
		}
		if b.Seq != c.wantSeq || b.Reason == "" {
			t.Errorf("%s: break %+v, want at seq %d", c.name, b, c.wantSeq)
		}
	}
}

func TestVerifyAfterJSON(t *testing.T) {
	evs := chain()
	raw, err := json.Marshal(evs)
	if err != nil {
		t.Fatal(err)
	}
	var back []Event
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if _, isFloat := back[2].Body["days"].(float64); !isFloat {
		t.Fatalf("days came back as %T; the test means to check float64", back[2].Body["days"])
	}
	if b := VerifyChain(back); b != nil {
		t.Errorf("chain after a JSON round trip: %+v", b)
	}
	// And an Apply event sealed, stored as JSON and read back.
	res, err := Apply(withPending(fixture(InProgress)), dispActor, ActApproveExtension, Input{Version: ver(7), Note: "同意"}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	ev := res.Event
	ev.Seal(1, GenesisHash)
	raw, _ = json.Marshal(ev)
	var got Event
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if b := VerifyChain([]Event{got}); b != nil {
		t.Errorf("apply event after a JSON round trip: %+v", b)
	}
}
