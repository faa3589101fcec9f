package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/store"
)

// TestDemoOutputUnchanged pins the demo's simulation as TestBenchOutputUnchanged
// pins the benchmarks': the same seed gives the same orders, timelines (the
// last event's hash covers every event, its time and its text) and
// callbacks, so a change to how lifecycle is written cannot quietly change
// the demo's year of history. A change meant to alter the history updates
// the digest and says so.
func TestDemoOutputUnchanged(t *testing.T) {
	cal, err := calendar.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	cfg := demoConfig(cal, 1500, 11, end,
		store.Category{Code: "sanitation.garbage_sorting", Unit: "binyang", Parent: "sanitation"}, // consultations
		store.Category{Code: "community.praise", Unit: "binyang", Parent: "community"})
	g := newGen(cfg)
	h := sha256.New()
	actions := map[order.Action]int{}
	for i, at := range g.arrivals(end.AddDate(-1, 0, 0), end, cfg.Orders) {
		o, evs, cbs := g.lifecycle(int64(i+1), strconv.Itoa(i+1), at)
		h.Write([]byte(evs[len(evs)-1].Hash))
		h.Write([]byte(string(o.Status) + o.Unit + o.Caller.Phone + o.Title))
		for _, c := range cbs {
			h.Write([]byte(c.Outcome))
		}
		for _, e := range evs {
			actions[order.Action(e.Action)]++
		}
	}
	// The digest is only worth pinning if the run walks the lifecycle's
	// side paths too.
	for _, a := range []order.Action{order.ActAnswer, order.ActInvalidate, order.ActRedispatch, order.ActApproveReturn, order.ActUrge,
		order.ActSupervise, order.ActApproveExtension, order.ActRejectReply, order.ActReopen, order.ActClose, order.ActCallback} {
		if actions[a] == 0 {
			t.Errorf("no %s in the run", a)
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != demoGolden {
		t.Errorf("the demo's simulation changed: digest %s, want %s", got, demoGolden)
	}
}

const demoGolden = "3ab93513209a07149f2e0a6175804ac78e6ee40ab064c33afe1e895794e0c23f"

// demoConfig is a small subdistrict for the demo's simulation: two
// committees, two sections, a compound with a low-lying building, and
// the categories the tests need (extra adds to them).
func demoConfig(cal *calendar.Calendar, orders int, seed uint64, end time.Time, extra ...store.Category) Config {
	lat, lng := 31.17, 121.44
	return Config{Orders: orders, Years: 1, Seed: seed, End: end, Schedule: order.Schedule{Policy: order.DefaultPolicy(), Calendar: cal},
		Units: []store.Unit{{Code: "binyang", Name: "宾阳路居委会", Kind: "committee"}, {Code: "yuehe", Name: "月河居委会", Kind: "committee"},
			{Code: "cityops", Name: "城市管理办", Kind: "section"}, {Code: "housing", Name: "房管办", Kind: "section"}},
		Categories: append([]store.Category{{Code: "environment.noise", Unit: "cityops", Parent: "environment"}, {Code: "community.neighbour_dispute", Unit: "binyang", Parent: "community"},
			{Code: "community.flooding", Unit: "cityops", Parent: "community"}, {Code: "utilities.water", Unit: "housing", Parent: "utilities"}}, extra...),
		Compounds: []store.Compound{{Code: "sanjiang", Name: "三江小区", Committee: "binyang", Lat: &lat, Lng: &lng}, {Code: "yuehe_yuan", Name: "月河苑", Committee: "yuehe"}},
		Demo: &Demo{Calendar: cal, Buildings: []store.Building{{Compound: "sanjiang", Number: "29号楼", LowLying: true}, {Compound: "sanjiang", Number: "27号楼"},
			{Compound: "yuehe_yuan", Number: "1号楼"}}}}
}
