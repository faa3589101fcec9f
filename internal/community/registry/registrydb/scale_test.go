package registrydb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"hotline/internal/access"
	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registryfile"
	"hotline/internal/place/placedb"
	"hotline/internal/seal"
	"hotline/internal/sqldb"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// The registry at scale (docs/benchmarks.md, "Residents' registry"): set
// HOTLINE_BENCH_RESIDENTS=1000000 to generate that many residents on both
// databases with a bulk path (this file only: production writes go through
// Insert) and measure the contract's figures. Without it the test skips.
//
// Shape: areas of 10,000 residents; 5 compounds × 20 buildings per area;
// 3 residents per household; one resident in ten living alone.
const (
	perArea     = 10000
	perBuilding = perArea / 100
	perHH       = 3
)

func benchID(i int) string {
	s := fmt.Sprintf("9%05d%04d%02d%02d%03d", i/1000, 1930+i%80, 1+i%12, 1+i%28, i%1000)
	return s + string(registry.CheckDigitOf(s))
}

func benchPhone(i int) string { return fmt.Sprintf("139%08d", i) }

func areaOf(i int) string { return fmt.Sprintf("ba%03d", i/perArea) }

func buildingOf(i int) (compound, number string) {
	a := i / perArea
	b := (i % perArea) / perBuilding // 0..99
	return fmt.Sprintf("ba%03dc%d", a, b/20), strconv.Itoa(b%20 + 1)
}

func tagsOf(i int) int64 {
	var m int64
	if i%10 == 0 {
		m |= registry.ElderlyAlone.Bit()
	}
	if i%7 == 0 {
		m |= registry.Elderly80Plus.Bit()
	}
	if i%31 == 0 {
		m |= registry.Disabled.Bit()
	}
	if i%23 == 0 {
		m |= registry.LowIncome.Bit()
	}
	return m
}

// sealedRow is one generated resident ready to write.
type sealedRow struct {
	id                           int64
	hh                           int64
	area, compound, building     string
	name, birth                  string
	tags                         int64
	idn, idIx, phone, phIx, note []byte
	idMask, phMask               string
}

func (s *Store) genRow(i int, sealed bool) sealedRow {
	c, n := buildingOf(i)
	idn, ph := benchID(i), benchPhone(i)
	r := sealedRow{id: int64(i + 1), hh: int64(i/perHH + 1), area: areaOf(i), compound: c, building: c + "-" + n,
		name: fmt.Sprintf("居民%07d", i), birth: registry.BirthOf(idn), tags: tagsOf(i), idMask: registry.MaskIDNumber(idn), phMask: registry.MaskPhone(ph)}
	if sealed {
		r.idn, _ = s.seal(s.keys, registry.FieldIDNumber, r.id, idn)
		r.phone, _ = s.seal(s.keys, registry.FieldPhone, r.id, ph)
		if i%5 == 0 {
			r.note, _ = s.seal(s.keys, registry.FieldNotes, r.id, "行动需要轮椅")
		}
		r.idIx, r.phIx = s.keys.Index(IndexIDNumber, idn), s.keys.Index(IndexPhone, ph)
	}
	return r
}

func (r sealedRow) values(keyID int64, now int64) []any {
	return []any{r.id, r.hh, r.area, r.compound, r.building, r.name, "f", r.birth, "other", "registered", r.tags, "active",
		r.idn, r.idIx, r.idMask, r.phone, r.phIx, r.phMask, r.note, keyID, int64(1), now}
}

var residentCols = []string{"id", "household", "area", "compound", "building", "name", "gender", "birth_date", "relation", "residence", "tags", "status",
	"id_number", "id_number_ix", "id_number_mask", "phone", "phone_ix", "phone_mask", "notes", "key_id", "version", "updated_at"}

// bulkLoad writes places, households and n residents, sealing on two
// goroutines while the database writes.
func bulkLoad(t *testing.T, ctx context.Context, st *store.Store, s *Store, n int) {
	db := st.DB()
	areas := (n + perArea - 1) / perArea
	now := sqldb.Micros(time.Now())
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		for a := range areas {
			code := fmt.Sprintf("ba%03d", a)
			if _, err := tx.ExecContext(ctx, `INSERT INTO units (code, name, kind) VALUES ($1, $2, 'committee')`, code, "居委"+code); err != nil {
				return err
			}
			for c := range 5 {
				cc := fmt.Sprintf("%sc%d", code, c)
				if _, err := tx.ExecContext(ctx, `INSERT INTO compounds (code, name, committee) VALUES ($1, $2, $3)`, cc, "小区"+cc, code); err != nil {
					return err
				}
				for b := 1; b <= 20; b++ {
					if _, err := tx.ExecContext(ctx, `INSERT INTO buildings (compound, number, floors, low_lying) VALUES ($1, $2, 6, $3)`, cc, strconv.Itoa(b), b == 1); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	households := (n + perHH - 1) / perHH
	hhRow := func(h int) []any {
		i := h * perHH
		c, num := buildingOf(i)
		return []any{int64(h + 1), areaOf(i), c, num, c + "-" + num, "1", strconv.Itoa(h), "residential", int64(1), now}
	}
	hhCols := []string{"id", "area", "compound", "building_no", "building", "unit_no", "room", "kind", "version", "updated_at"}
	rows := make(chan sealedRow, 4096)
	go func() {
		defer close(rows)
		const workers = 2
		chunks := make([]chan sealedRow, workers)
		for w := range workers {
			chunks[w] = make(chan sealedRow, 1024)
			go func() {
				defer close(chunks[w])
				for i := w; i < n; i += workers {
					chunks[w] <- s.genRow(i, true)
				}
			}()
		}
		for i := range n {
			rows <- <-chunks[i%workers]
		}
	}()
	keyID := int64(s.keys.PrimaryID())
	if db.Dialect == sqldb.Postgres {
		conn, err := db.W.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		err = conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			h := 0
			if _, err := pc.CopyFrom(ctx, pgx.Identifier{"households"}, hhCols, pgx.CopyFromFunc(func() ([]any, error) {
				if h == households {
					return nil, nil
				}
				h++
				return hhRow(h - 1), nil
			})); err != nil {
				return err
			}
			if _, err := pc.CopyFrom(ctx, pgx.Identifier{"residents"}, residentCols, pgx.CopyFromFunc(func() ([]any, error) {
				r, ok := <-rows
				if !ok {
					return nil, nil
				}
				return r.values(keyID, now), nil
			})); err != nil {
				return err
			}
			for _, q := range []string{`SELECT setval(pg_get_serial_sequence('residents', 'id'), ` + strconv.Itoa(n) + `)`,
				`SELECT setval(pg_get_serial_sequence('households', 'id'), ` + strconv.Itoa(households) + `)`,
				// What autovacuum would soon do: the visibility map that lets
				// the counts be index-only scans.
				`VACUUM ANALYZE households`, `VACUUM ANALYZE residents`} {
				if _, err := pc.Exec(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		hs, err := tx.PrepareContext(ctx, `INSERT INTO households (`+join(hhCols)+`) VALUES (`+marks(len(hhCols))+`)`)
		if err != nil {
			return err
		}
		for h := range households {
			if _, err := hs.ExecContext(ctx, hhRow(h)...); err != nil {
				return err
			}
		}
		rs, err := tx.PrepareContext(ctx, `INSERT INTO residents (`+join(residentCols)+`) VALUES (`+marks(len(residentCols))+`)`)
		if err != nil {
			return err
		}
		for r := range rows {
			if _, err := rs.ExecContext(ctx, r.values(keyID, now)...); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `ANALYZE`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func join(cols []string) string {
	s := ""
	for i, c := range cols {
		if i > 0 {
			s += ", "
		}
		s += c
	}
	return s
}

func marks(n int) string {
	s := ""
	for i := 1; i <= n; i++ {
		if i > 1 {
			s += ", "
		}
		s += "$" + strconv.Itoa(i)
	}
	return s
}

// timeIt runs f k times and returns the median and p95.
func timeIt(k int, f func(i int) error) (p50, p95 time.Duration, err error) {
	ds := make([]time.Duration, k)
	for i := range k {
		t0 := time.Now()
		if err := f(i); err != nil {
			return 0, 0, err
		}
		ds[i] = time.Since(t0)
	}
	sort.Slice(ds, func(a, b int) bool { return ds[a] < ds[b] })
	return ds[k/2], ds[k*95/100], nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func TestRegistryAtScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("HOTLINE_BENCH_RESIDENTS"))
	if n <= 0 {
		t.Skip("set HOTLINE_BENCH_RESIDENTS=1000000 to measure the registry at scale")
	}
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		st, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		content, _ := seal.Generate()
		keys, _ := seal.Parse(content)
		places := placedb.New(st.DB())
		if err := places.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		s, _ := New(st.DB(), keys)
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		bulkLoad(t, ctx, st, s, n)
		t.Logf("generated %d residents in %s", n, time.Since(t0).Round(time.Second))
		areas := (n + perArea - 1) / perArea

		// Filtered list: area + building + tag, the page a committee opens.
		p50, p95, err := timeIt(400, func(i int) error {
			j := (i * 7919) % n
			c, num := buildingOf(j)
			_, err := s.Residents(ctx, registry.Filter{Scope: access.Scope{Area: areaOf(j)}, Building: c + "-" + num, Tags: registry.ElderlyAlone.Bit(), Limit: 50})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("list area+building+tag: p50 %s p95 %s", ms(p50), ms(p95))
		// Baseline of the same run: the first page of an area, no filter.
		b50, b95, _ := timeIt(400, func(i int) error {
			_, err := s.Residents(ctx, registry.Filter{Scope: access.Scope{Area: areaOf((i * 7919) % n)}, Limit: 50})
			return err
		})
		t.Logf("baseline list area page: p50 %s p95 %s", ms(b50), ms(b95))
		c50, c95, _ := timeIt(100, func(i int) error {
			_, err := s.Residents(ctx, registry.Filter{Scope: access.Scope{Area: areaOf((i * 7919) % n)}, Tags: registry.ElderlyAlone.Bit(), Status: registry.Active, Limit: 200})
			return err
		})
		t.Logf("care list area+tag (200): p50 %s p95 %s", ms(c50), ms(c95))
		// Exact ID-number lookup through the blind index, across all areas.
		l50, l95, err := timeIt(400, func(i int) error {
			got, err := s.Residents(ctx, registry.Filter{Scope: access.Scope{All: true}, IDNumber: benchID((i * 104729) % n), Limit: 50})
			if err == nil && len(got) != 1 {
				err = fmt.Errorf("lookup found %d", len(got))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("ID-number lookup: p50 %s p95 %s", ms(l50), ms(l95))
		// Area summary.
		s50, s95, err := timeIt(100, func(i int) error {
			_, err := s.Summary(ctx, access.Scope{Area: areaOf((i * 7919) % n)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("area summary: p50 %s p95 %s", ms(s50), ms(s95))
		// Bytes per resident (residents with their indexes, and households).
		var bytes int64
		if st.DB().Dialect == sqldb.Postgres {
			st.DB().R.QueryRowContext(ctx, `SELECT pg_total_relation_size('residents') + pg_total_relation_size('households')`).Scan(&bytes)
		} else {
			st.DB().R.QueryRowContext(ctx, `SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'residents%' OR name LIKE 'households%'`).Scan(&bytes)
		}
		t.Logf("size: %.1f MB residents+households, %d bytes per resident", float64(bytes)/1e6, bytes/int64(n))

		// Sealed insert vs plain insert of the same 5,000 residents, same run:
		// the whole cost of encryption on the write path.
		const k = 5000
		write := func(sealed bool, base int) time.Duration {
			t0 := time.Now()
			err := st.DB().Tx(ctx, func(tx *sql.Tx) error {
				ps, err := tx.PrepareContext(ctx, `INSERT INTO residents (`+join(residentCols)+`) VALUES (`+marks(len(residentCols))+`)`)
				if err != nil {
					return err
				}
				for i := range k {
					r := s.genRow(base+i, sealed)
					r.hh, r.area, r.compound, r.building = 1, areaOf(0), "ba000c0", "ba000c0-1" // household 1 exists
					if !sealed {
						r.idn, r.phone = []byte(benchID(base+i)), []byte(benchPhone(base+i)) // the same bytes, unsealed
						r.idIx, r.phIx = r.idn, r.phone
					}
					if _, err := ps.ExecContext(ctx, r.values(int64(keys.PrimaryID()), 0)...); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return time.Since(t0)
		}
		var plain, sealed time.Duration
		const rounds = 3
		for round := range rounds { // A B A B A B
			plain += write(false, n+round*2*k)
			sealed += write(true, n+round*2*k+k)
		}
		if st.DB().Dialect == sqldb.Postgres { // the rows above took explicit ids
			st.DB().W.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('residents', 'id'), (SELECT max(id) FROM residents))`)
		}
		t.Logf("insert per resident: plain %.1f µs, sealed %.1f µs (seal ×2-3 + blind index ×2: +%.1f µs)",
			float64(plain.Microseconds())/(rounds*k), float64(sealed.Microseconds())/(rounds*k), float64((sealed-plain).Microseconds())/(rounds*k))
		// The sealing alone (CPU, no database): the same rows built with and
		// without it.
		var withSeal, without time.Duration
		for round := range rounds {
			t0 := time.Now()
			for i := range k {
				s.genRow(round*k+i, false)
			}
			without += time.Since(t0)
			t0 = time.Now()
			for i := range k {
				s.genRow(round*k+i, true)
			}
			withSeal += time.Since(t0)
		}
		t.Logf("building a row per resident: plain %.2f µs, sealed %.2f µs", float64(without.Nanoseconds())/1000/(rounds*k), float64(withSeal.Nanoseconds())/1000/(rounds*k))

		// Import of a 10,000-row spreadsheet into an empty area of the big
		// database (parse + checks + one transaction).
		imp := fmt.Sprintf("ba%03d", areas) // a fresh area
		st.DB().W.ExecContext(ctx, `INSERT INTO units (code, name, kind) VALUES ($1, $1, 'committee')`, imp)
		st.DB().W.ExecContext(ctx, `INSERT INTO compounds (code, name, committee) VALUES ($1, '导入小区', $2)`, imp+"c", imp)
		for b := 1; b <= 20; b++ {
			st.DB().W.ExecContext(ctx, `INSERT INTO buildings (compound, number, floors, low_lying) VALUES ($1, $2, 6, FALSE)`, imp+"c", strconv.Itoa(b)+"号楼")
		}
		file := filepath.Join(t.TempDir(), "import.csv")
		f, _ := os.Create(file)
		fmt.Fprintln(f, "小区,楼号,单元,室号,姓名,性别,身份证号,联系电话,关爱标签,备注")
		for i := range 10000 {
			j := 50_000_000 + i // ids not in the big set
			tag := ""
			if i%10 == 0 {
				tag = "独居老人"
			}
			fmt.Fprintf(f, "导入小区,%d号楼,%d,%d,导入%05d,女,%s,%s,%s,备注\n", 1+i%20, 1+i%3, 101+i/60, i, benchID(j), benchPhone(j), tag)
		}
		f.Close()
		svc := &registry.Service{Places: places, Store: s}
		admin := access.User{Username: "bench", Role: access.RoleAdmin}
		for round, want := range []string{"created", "unchanged"} {
			t0 := time.Now()
			fh, _ := os.Open(file)
			table, err := registryfile.Read(fh, file)
			fh.Close()
			if err != nil {
				t.Fatal(err)
			}
			rep, err := svc.Import(ctx, admin, imp, table, nil)
			if err != nil || len(rep.Problems) > 0 {
				t.Fatalf("import: %v %v", err, rep.Problems)
			}
			t.Logf("import 10,000 rows (%s, round %d): %s (created %d, unchanged %d)", want, round+1, time.Since(t0).Round(time.Millisecond), rep.Created, rep.Unchanged)
		}
	})
}
