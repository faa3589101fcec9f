package demo_test

import (
	"context"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/community/registry"
	"hotline/internal/demo"
	"hotline/internal/seal"
	"hotline/internal/testenv"
)

// TestLoadRegistry loads the demo's registry through the real app on
// SQLite and PostgreSQL: 宾阳路 at its real size, readable back through the
// registry's service with its personal fields sealed, and a second start
// leaves it as it is.
func TestLoadRegistry(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		content, err := seal.Generate()
		if err != nil {
			t.Fatal(err)
		}
		keys, err := seal.Parse(content)
		if err != nil {
			t.Fatal(err)
		}
		cfg := app.Config{Addr: "127.0.0.1:0", DB: dbURL, Demo: true, DemoRegistry: true, DataKey: keys, Sweep: time.Hour}
		start := time.Now()
		m, err := app.New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("app.New with the demo and its registry: %v", time.Since(start))
		admin, err := m.Store.UserByName(ctx, "admin")
		if err != nil {
			t.Fatal(err)
		}
		sum, err := m.Registry.Summary(ctx, admin, "binyang")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Compounds != 6 || sum.Households < 2400 || sum.Residents < 9000 || sum.LowLyingBuildings == 0 || sum.ByTag[registry.ElderlyAlone] == 0 {
			t.Fatalf("宾阳路's summary: %+v", sum)
		}
		rs, err := m.Registry.Residents(ctx, admin, registry.ResidentQuery{Area: "binyang", Tag: "elderly_alone", Limit: 1})
		if err != nil || len(rs) != 1 {
			t.Fatalf("care list: %v %v", rs, err)
		}
		id, _ := registry.ParseID(rs[0].ID)
		full, err := m.RegistryDB.Open(ctx, id, registry.FieldIDNumber)
		if err != nil || len(full) != 18 || full[:6] != demo.DemoRegion || rs[0].IDNumber == full {
			t.Fatalf("sealed ID number %q opens to %q: %v", rs[0].IDNumber, full, err)
		}
		m.Store.Close()
		m, err = app.New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Store.Close()
		again, err := m.Registry.Summary(ctx, admin, "binyang")
		if err != nil || again.Residents != sum.Residents || again.Households != sum.Households {
			t.Fatalf("a second start changed the registry: %+v -> %+v (%v)", sum, again, err)
		}
	})
}

// BenchmarkLoadRegistry times the demo registry's load alone (buildings,
// 2,752 households and about 10,000 sealed residents in one transaction)
// into a fresh SQLite database that already holds the demo's orders.
func BenchmarkLoadRegistry(b *testing.B) {
	ctx := context.Background()
	content, err := seal.Generate()
	if err != nil {
		b.Fatal(err)
	}
	keys, err := seal.Parse(content)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: testenv.SQLiteURL(b), Demo: true, DataKey: keys, Sweep: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := demo.LoadRegistry(ctx, m.Store.DB(), m.RegistryDB); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		m.Store.Close()
		b.StartTimer()
	}
}
