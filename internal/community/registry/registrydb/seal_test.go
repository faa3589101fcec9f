package registrydb_test

import (
	"context"
	"testing"

	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registrydb"
	"hotline/internal/place"
	"hotline/internal/seal"
	"hotline/internal/testenv"
)

// TestResealAfterRotation: rows sealed under the old key are re-encrypted
// under the new primary in batches, stay readable throughout, keep their
// blind indexes, and a second pass finds nothing left.
func TestResealAfterRotation(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		e := open(t, url)
		b, _ := e.places.Building(ctx, "ca1-3")
		h, err := e.places.CreateHousehold(ctx, b, place.NewHousehold{Room: "101", Kind: place.Residential})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for i := range 7 {
			p, err := registry.NewResident{Household: h.ID, Name: "甲", Gender: "f", IDNumber: fakeID("19500101", "1"+string(rune('0'+i))+"0"),
				Phone: "1380000000" + string(rune('0'+i)), Notes: "备注"}.Person()
			if err != nil {
				t.Fatal(err)
			}
			r, err := e.res.Create(ctx, p, "t")
			if err != nil {
				t.Fatal(err)
			}
			id, _ := registry.ParseID(r.ID)
			ids = append(ids, id)
		}
		rotated, err := seal.Rotate(e.keys)
		if err != nil {
			t.Fatal(err)
		}
		k2, err := seal.Parse(rotated)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := registrydb.New(e.st.DB(), k2)
		if err != nil {
			t.Fatal(err)
		}
		// Before re-encryption the new keys read the old rows.
		if v, err := s2.Open(ctx, ids[0], "phone"); err != nil || v != "13800000000" {
			t.Fatalf("old row under new keys: %q %v", v, err)
		}
		total := 0
		for {
			n, err := s2.Reseal(ctx, k2, 3)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if n > 3 {
				t.Fatalf("batch of 3 rewrote %d", n)
			}
			total += n
		}
		if total != 7 {
			t.Fatalf("re-encrypted %d rows, want 7", total)
		}
		rows, err := e.st.DB().R.QueryContext(ctx, `SELECT id, id_number, phone, notes, key_id FROM residents`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, kid int64
			var a, b, c []byte
			if err := rows.Scan(&id, &a, &b, &c, &kid); err != nil {
				t.Fatal(err)
			}
			if !k2.Current(a) || !k2.Current(b) || !k2.Current(c) || kid != int64(k2.PrimaryID()) {
				t.Errorf("resident %d not under the new key", id)
			}
		}
		for i, id := range ids {
			if v, err := s2.Open(ctx, id, "notes"); err != nil || v != "备注" {
				t.Fatalf("after reseal: %q %v", v, err)
			}
			// The blind index does not rotate: exact lookups still work.
			got, err := s2.Residents(ctx, registry.Filter{Scope: scopeAll, Phone: "1380000000" + string(rune('0'+i)), Limit: 5})
			if err != nil || len(got) != 1 {
				t.Fatalf("lookup after rotation: %v %v", got, err)
			}
		}
	})
}

// TestSealedValueBoundToRowAndField: a ciphertext copied into another row
// or another column does not open (the associated data names both).
func TestSealedValueBoundToRowAndField(t *testing.T) {
	ctx := context.Background()
	e := open(t, testenv.SQLiteURL(t))
	b, _ := e.places.Building(ctx, "ca1-3")
	h, _ := e.places.CreateHousehold(ctx, b, place.NewHousehold{Room: "1", Kind: place.Residential})
	var ids []int64
	for i, phone := range []string{"13811112222", "13833334444"} {
		p, _ := registry.NewResident{Household: h.ID, Name: "乙", Gender: "m", Phone: phone, IDNumber: fakeID("19600101", "20"+string(rune('0'+i)))}.Person()
		r, err := e.res.Create(ctx, p, "t")
		if err != nil {
			t.Fatal(err)
		}
		id, _ := registry.ParseID(r.ID)
		ids = append(ids, id)
	}
	db := e.st.DB().W
	if _, err := db.Exec(`UPDATE residents SET phone = (SELECT phone FROM residents WHERE id = $1) WHERE id = $2`, ids[0], ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.res.Open(ctx, ids[1], "phone"); err == nil {
		t.Fatal("another row's ciphertext opened")
	}
	if _, err := db.Exec(`UPDATE residents SET notes = phone WHERE id = $1`, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.res.Open(ctx, ids[0], "notes"); err == nil {
		t.Fatal("a phone's ciphertext opened as notes")
	}
	if v, err := e.res.Open(ctx, ids[0], "phone"); err != nil || v != "13811112222" {
		t.Fatalf("untouched field: %q %v", v, err)
	}
}
