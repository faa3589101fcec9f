package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/store"
)

// TestBenchOutputUnchanged pins the benchmarks' simulation: the same seed
// gives the same orders and timelines as before the demo's options were
// added (Config.Demo nil), so measurements stay comparable across versions.
func TestBenchOutputUnchanged(t *testing.T) {
	lat, lng := 31.17, 121.44
	cfg := Config{Orders: 400, Years: 1, Seed: 7, End: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		Schedule:   order.Schedule{Policy: order.DefaultPolicy(), Calendar: calendar.New()},
		Units:      []store.Unit{{Code: "a", Name: "甲居委会", Kind: "committee"}, {Code: "b", Name: "乙办", Kind: "section"}},
		Categories: []store.Category{{Code: "x.noise", Name: "噪音", Unit: "b"}, {Code: "x.light", Name: "路灯", Unit: "a"}},
		Compounds:  []store.Compound{{Code: "c1", Name: "一村", Committee: "a", Lat: &lat, Lng: &lng}}}
	g := newGen(cfg)
	h := sha256.New()
	start := cfg.End.AddDate(-1, 0, 0)
	step := cfg.End.Sub(start) / time.Duration(cfg.Orders)
	at := start
	for i := range cfg.Orders {
		at = at.Add(time.Duration(g.rng.Int64N(int64(2*step) + 1)))
		o, evs, cbs := g.lifecycle(int64(i+1), "n", at)
		h.Write([]byte(evs[len(evs)-1].Hash))
		h.Write([]byte(string(o.Status) + o.Unit + o.Caller.Phone))
		for _, c := range cbs {
			h.Write([]byte(c.Outcome))
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != benchGolden {
		t.Errorf("the benchmarks' simulation changed: digest %s, want %s", got, benchGolden)
	}
}

const benchGolden = "1d51de0f1cbba9c70aac6baea4aa74f5a65f800ffeb0de806ad125811147c63f"
