package demo

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"hotline/internal/community/registry"
)

var today = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// TestRegistryRealSize checks the generated registry against what the demo
// promises: 宾阳路 at its real size, every person valid for the registry's
// own validator yet plainly fake, the care mix of an old neighbourhood,
// and the same data every time.
func TestRegistryRealSize(t *testing.T) {
	hs := Registry(today)
	if !reflect.DeepEqual(hs, Registry(today)) {
		t.Fatal("the demo registry is not deterministic")
	}
	households, residents := map[string]int{}, map[string]int{}
	compounds := map[string]bool{}
	area := map[string]string{}
	for _, c := range compounds_() {
		area[c.code] = c.committee
	}
	tags := map[registry.CareTag]int{}
	over60, over80, lowLying := 0, 0, map[string]bool{}
	for _, h := range hs {
		a := area[h.Compound]
		households[a]++
		if a == "binyang" {
			compounds[h.Compound] = true
		}
		if h.LowLying {
			lowLying[h.Compound+h.Building] = true
		}
		for _, m := range h.Members {
			residents[a]++
			n := registry.NewResident{Household: "1", Name: m.Name, Gender: m.Gender, BirthDate: m.BirthDate, IDNumber: m.IDNumber,
				Phone: m.Phone, Relation: m.Relation, Residence: m.Residence, CareTags: registry.TagsOf(m.Tags), Notes: m.Notes, Status: m.Status}
			if _, err := n.Person(); err != nil {
				t.Fatalf("%+v is not valid: %v", m, err)
			}
			if !strings.Contains(m.Name, demoNamePart) || !strings.HasPrefix(m.IDNumber, DemoRegion) {
				t.Fatalf("%s / %s does not read as demo data", m.Name, m.IDNumber)
			}
			if m.Phone != "" {
				if v, _ := strconv.Atoi(m.Phone); v < demoPhoneBase || v > 13800009999 {
					t.Fatalf("phone %s outside the demo range", m.Phone)
				}
			}
			for _, tg := range registry.TagsOf(m.Tags) {
				tags[tg]++
			}
			age := today.Year() - atoi(m.BirthDate[:4])
			if age >= 60 {
				over60++
			}
			if age >= 80 {
				over80++
			}
		}
	}
	t.Logf("households %v residents %v tags %v over60 %d over80 %d low-lying %d", households, residents, tags, over60, over80, len(lowLying))
	if len(compounds) != 6 || households["binyang"] < 2400 || households["binyang"] > 2600 || residents["binyang"] < 8900 || residents["binyang"] > 9500 {
		t.Errorf("宾阳路 is not at its real size: %d compounds, %d households, %d residents", len(compounds), households["binyang"], residents["binyang"])
	}
	if households["yuehe"] == 0 || households["longcao"] == 0 || households["yuehe"] > households["binyang"]/4 {
		t.Errorf("the other areas: %v", households)
	}
	all := residents["binyang"] + residents["yuehe"] + residents["longcao"]
	if over60*100/all < 25 || over80*100/all < 5 {
		t.Errorf("not an old neighbourhood: %d of %d over 60, %d over 80", over60, all, over80)
	}
	for _, tg := range registry.CareTags {
		if tags[tg] == 0 {
			t.Errorf("no resident tagged %s", tg)
		}
	}
	if tags[registry.ChildLeftBehind] > 60 || tags[registry.ElderlyAlone] < 200 {
		t.Errorf("care mix: %v", tags)
	}
	if !lowLying["sanjiang29号楼"] {
		t.Error("三江 29号楼 is not low-lying")
	}
}

func atoi(s string) int { v, _ := strconv.Atoi(s); return v }

func compounds_() []compound { return compounds }
