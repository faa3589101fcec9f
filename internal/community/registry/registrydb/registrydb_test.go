package registrydb_test

import (
	"context"
	"testing"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registrydb"
	"hotline/internal/org"
	"hotline/internal/place"
	"hotline/internal/place/placedb"
	"hotline/internal/seal"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

type env struct {
	st     *store.Store
	places *placedb.Store
	res    *registrydb.Store
	keys   []byte
}

// open migrates a fresh database with two areas, each with a compound of
// two buildings (one low-lying).
func open(t *testing.T, url string) env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"a1", "a2"} {
		if err := st.PutUnit(ctx, org.Unit{Code: a, Name: a, Kind: "committee", Active: true}); err != nil {
			t.Fatal(err)
		}
		if err := st.PutCompound(ctx, place.OrderCompound{Code: "c" + a, Name: "小区" + a, Committee: a}); err != nil {
			t.Fatal(err)
		}
		for _, b := range []string{"29号楼", "3幢"} {
			if err := st.PutBuilding(ctx, place.OrderBuilding{Compound: "c" + a, Number: b, Floors: 6, LowLying: b == "29号楼"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	content, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := seal.Parse(content)
	if err != nil {
		t.Fatal(err)
	}
	p := placedb.New(st.DB())
	if err := p.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := registrydb.New(st.DB(), keys)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return env{st: st, places: p, res: r, keys: content}
}

var scopeAll = access.Scope{All: true}

func fakeID(birth, seq string) string {
	s := "310105" + birth + seq
	return s + string(registry.CheckDigitOf(s))
}

func TestStoreOnBothDatabases(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		e := open(t, url)
		b, err := e.places.Building(ctx, "ca1-29")
		if err != nil || b.Name != "29号楼" || b.Area != "a1" || !b.LowLying {
			t.Fatalf("building code: %+v %v", b, err)
		}
		h, err := e.places.CreateHousehold(ctx, b, place.NewHousehold{Room: "302", Kind: place.Residential})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.places.CreateHousehold(ctx, b, place.NewHousehold{Room: "302", Kind: place.Residential}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("same room twice: %v", err)
		}
		id := fakeID("19400101", "123")
		p, err := registry.NewResident{Household: h.ID, Name: "王五", IDNumber: id, Phone: "13812345678", Notes: "女儿每周来",
			CareTags: []registry.CareTag{registry.ElderlyAlone, registry.Elderly80Plus}}.Person()
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.res.Create(ctx, p, "tester")
		if err != nil {
			t.Fatal(err)
		}
		if r.IDNumber != "310***********"+id[14:] || r.Phone != "138****5678" || r.Notes != registry.NotesMask || r.Area != "a1" || r.Building != "ca1-29" {
			t.Fatalf("masked: %+v", r)
		}
		if _, err := e.res.Create(ctx, p, "tester"); apperr.As(err).Fields["id_number"] == "" {
			t.Fatalf("same ID number twice in an area: %v", err)
		}
		rid, _ := registry.ParseID(r.ID)
		if v, err := e.res.Reveal(ctx, rid, "phone", "tester", "call her"); err != nil || v != "13812345678" {
			t.Fatalf("reveal: %q %v", v, err)
		}
		var audited int
		e.st.DB().R.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'resident.reveal' AND target = $1 AND detail LIKE '%call her%'`, "resident:"+r.ID).Scan(&audited)
		if audited != 1 {
			t.Fatalf("reveal audited %d times", audited)
		}
		for _, f := range []registry.Filter{
			{Scope: access.Scope{Area: "a1"}, Building: "ca1-29", Tags: registry.ElderlyAlone.Bit()},
			{Scope: access.Scope{All: true}, IDNumber: id},
			{Scope: access.Scope{All: true}, Phone: "13812345678"},
			{Scope: access.Scope{Area: "a1"}, Name: "王"},
		} {
			f.Limit = 10
			got, err := e.res.Residents(ctx, f)
			if err != nil || len(got) != 1 || got[0].ID != r.ID {
				t.Errorf("%+v: %v %v", f, got, err)
			}
		}
		for _, f := range []registry.Filter{
			{Scope: access.Scope{Area: "a2"}},
			{Scope: access.Scope{Area: "a1"}, Tags: registry.Disabled.Bit()},
			{Scope: access.Scope{All: true}, IDNumber: fakeID("19400101", "124")},
			{Scope: access.Scope{Area: "a1"}, Status: registry.MovedOut},
		} {
			f.Limit = 10
			if got, err := e.res.Residents(ctx, f); err != nil || len(got) != 0 {
				t.Errorf("%+v: %v %v", f, got, err)
			}
		}
		// A stale version is a conflict and writes nothing.
		c := registry.Change{Person: p, SetPhone: true}
		c.Phone = "13900000000"
		if _, err := e.res.Update(ctx, rid, 7, c, "tester", "resident.update"); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("stale: %v", err)
		}
		u, err := e.res.Update(ctx, rid, 1, c, "tester", "resident.update")
		if err != nil || u.Version != 2 || u.Phone != "139****0000" {
			t.Fatalf("update: %+v %v", u, err)
		}
		if v, _ := e.res.Open(ctx, rid, "notes"); v != "女儿每周来" {
			t.Fatalf("notes kept across a phone change: %q", v)
		}
		sum, err := e.res.Summary(ctx, access.Scope{Area: "a1"})
		if err != nil || sum.Compounds != 1 || sum.Buildings != 2 || sum.LowLyingBuildings != 1 || sum.Households != 1 || sum.Residents != 1 ||
			sum.ByTag[registry.ElderlyAlone] != 1 || sum.ByTag[registry.Disabled] != 0 {
			t.Fatalf("summary: %+v %v", sum, err)
		}
		all, _ := e.res.Summary(ctx, access.Scope{All: true})
		if all.Compounds != 2 || all.Buildings != 4 {
			t.Fatalf("summary of all: %+v", all)
		}
	})
}
