package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"hotline/internal/access"
	"hotline/internal/app"
	"hotline/internal/community/registry"
	"hotline/internal/place"
	"hotline/internal/testenv"
)

// TestRegistryPagesAccess is the registry pages' role × area matrix through
// the real server on SQLite and PostgreSQL: dispatchers, operators and
// volunteers open none of them; another area's community worker gets 403
// for every record of 宾阳路 and a refused reveal writes no audit row; the
// area's worker, leaders and admins read them; bad input is a 4xx, never
// a 500; a reveal needs a reason and is audited once.
func TestRegistryPagesAccess(t *testing.T) {
	parallel(t)
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		m, base, _, hh, r, idn := registryFixture(t, dbURL)
		pages := []string{"/registry", "/registry/compounds/sanjiang", "/registry/buildings/sanjiang-29", "/registry/households/" + hh.ID,
			"/registry/residents/" + r.ID, "/registry/care", "/registry/care?tag=elderly_alone&low_lying=1", "/registry/import"}
		for _, user := range []string{"dispatcher", "operator", "volunteer"} {
			c := login(t, base, user)
			for _, p := range pages {
				if body, status := c.get(p); status != 403 || strings.Contains(body, "周演示甲") {
					t.Errorf("%s GET %s: %d", user, p, status)
				}
			}
		}
		reveals := func() int { return auditCount(t, m, "resident.reveal", "resident:"+r.ID) }
		other := login(t, base, "yuehe_w")
		for _, p := range []string{"/registry/compounds/sanjiang", "/registry/buildings/sanjiang-29", "/registry/households/" + hh.ID, "/registry/residents/" + r.ID} {
			if body, status := other.get(p); status != 403 || strings.Contains(body, "周演示甲") {
				t.Errorf("another area's worker GET %s: %d", p, status)
			}
		}
		if body, status := other.get("/registry/care?area=binyang"); status != 200 || strings.Contains(body, "周演示甲") {
			t.Errorf("another area's worker sees 宾阳路's care list: %d", status)
		}
		if _, status := other.post("/registry/residents/"+r.ID+"/reveal", url.Values{"csrf": {other.csrf()}, "field": {"id_number"}, "reason": {"好奇"}}); status != 403 || reveals() != 0 {
			t.Errorf("another area's reveal: %d, %d audit rows", status, reveals())
		}
		if _, status := other.post("/registry/import", url.Values{"csrf": {other.csrf()}, "area": {"binyang"}}); status != 403 {
			t.Errorf("another area's import: %d", status)
		}
		for _, user := range []string{"binyang", "leader", "admin"} {
			c := login(t, base, user)
			for _, p := range pages {
				if user == "leader" && p == "/registry/import" {
					if _, status := c.get(p); status != 403 {
						t.Errorf("leader GET %s: %d", p, status)
					}
					continue
				}
				if body, status := c.get(p); status != 200 {
					t.Errorf("%s GET %s: %d\n%s", user, p, status, body)
				} else if strings.Contains(body, idn) || strings.Contains(body, "13800001011") || strings.Contains(body, "演示备注") {
					t.Errorf("%s GET %s shows a personal field in full", user, p)
				}
			}
		}
		c := login(t, base, "binyang")
		for _, p := range []string{"/registry/residents/x", "/registry/residents/99999999", "/registry/households/0", "/registry/buildings/nope",
			"/registry/compounds/nope", "/registry/care?tag=nope", "/registry?q=%00", "/registry?tag=nope", "/registry?cursor=-1"} {
			if _, status := c.get(p); status >= 500 || status == 200 && strings.Contains(p, "nope") && !strings.HasPrefix(p, "/registry?") {
				t.Errorf("GET %s: %d", p, status)
			}
		}
		tok := c.csrf()
		if _, status := c.post("/registry/residents/"+r.ID+"/reveal", url.Values{"csrf": {tok}, "field": {"id_number"}}); status != 400 || reveals() != 0 {
			t.Errorf("a reveal without a reason: %d, %d audit rows", status, reveals())
		}
		if _, status := c.post("/registry/residents/"+r.ID+"/reveal", url.Values{"csrf": {tok}, "field": {"password"}, "reason": {"x"}}); status != 400 || reveals() != 0 {
			t.Errorf("a reveal of an unknown field: %d", status)
		}
		if _, status := c.post("/registry/residents/"+r.ID+"/reveal", url.Values{"field": {"id_number"}, "reason": {"核对"}}); status != 403 || reveals() != 0 {
			t.Errorf("a reveal without the CSRF token: %d", status)
		}
		body, status := c.post("/registry/residents/"+r.ID+"/reveal", url.Values{"csrf": {tok}, "field": {"id_number"}, "reason": {"上门核对"}})
		if status != 200 || !strings.Contains(body, idn) || reveals() != 1 {
			t.Errorf("the area's reveal: %d, shown %v, %d audit rows", status, strings.Contains(body, idn), reveals())
		}
	})
}

// registryFixture starts a server with the registry on dbURL and gives the
// registry page tests their common ground: 月河's community worker yuehe_w
// (another area), and at 宾阳路's sanjiang-29 room 301 one household with
// one resident living alone, 周演示甲, with a (fake) ID number idn, a phone
// and a note.
func registryFixture(t *testing.T, dbURL string) (m *app.Main, base string, admin access.User, hh place.Household, r registry.Resident, idn string) {
	t.Helper()
	m, base = server(t, withRegistry(t, false), func(c *app.Config) { c.DB = dbURL })
	ctx := context.Background()
	admin, err := m.Store.UserByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Svc.CreateUser(ctx, "yuehe_w", "demo12345", "handler", "yuehe", "月河 社工"); err != nil {
		t.Fatal(err)
	}
	if hh, err = m.Registry.CreateHousehold(ctx, admin, place.NewHousehold{Building: "sanjiang-29", Room: "301"}); err != nil {
		t.Fatal(err)
	}
	idn = demoID("19400505", 11)
	if r, err = m.Registry.CreateResident(ctx, admin, registry.NewResident{Household: hh.ID, Name: "周演示甲", IDNumber: idn,
		Phone: "13800001011", CareTags: []registry.CareTag{registry.ElderlyAlone}, Notes: "演示备注"}); err != nil {
		t.Fatal(err)
	}
	return m, base, admin, hh, r, idn
}
