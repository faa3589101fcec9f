package registrydb

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"hotline/internal/community/registry"
	"hotline/internal/place"
	"hotline/internal/sqldb"
)

// areaPlaces are an area's compounds and buildings, to resolve what a
// spreadsheet writes ("三江小区", "29号楼") to codes.
type areaPlaces struct {
	compound map[string]string         // name or code → code
	building map[string]place.Building // building code → building
}

func (s *Store) loadPlaces(ctx context.Context, q sqldb.Querier, area string) (areaPlaces, error) {
	ap := areaPlaces{compound: map[string]string{}, building: map[string]place.Building{}}
	type cn struct{ code, name string }
	cs, err := sqldb.Collect(ctx, q, `SELECT code, name FROM compounds WHERE committee = $1`, []any{area}, func(sc sqldb.Scanner) (cn, error) {
		var c cn
		return c, sc.Scan(&c.code, &c.name)
	})
	if err != nil {
		return ap, err
	}
	for _, c := range cs {
		ap.compound[c.code], ap.compound[c.name] = c.code, c.code
	}
	bs, err := sqldb.Collect(ctx, q, `SELECT b.code, b.number, b.compound, c.committee, b.floors, b.low_lying FROM buildings b
		JOIN compounds c ON c.code = b.compound WHERE c.committee = $1`, []any{area}, func(sc sqldb.Scanner) (place.Building, error) {
		var b place.Building
		return b, sc.Scan(&b.Code, &b.Name, &b.Compound, &b.Area, &b.Floors, &b.LowLying)
	})
	for _, b := range bs {
		ap.building[b.Code] = b
	}
	return ap, err
}

// resolve finds the building a row names, or says why not.
func (ap areaPlaces) resolve(r registry.ImportRow) (place.Building, string) {
	c, ok := ap.compound[r.Compound]
	if !ok {
		return place.Building{}, fmt.Sprintf("小区: %q is not a compound of this area", r.Compound)
	}
	for _, code := range []string{r.Building, place.BuildingCode(c, r.Building)} {
		if b, ok := ap.building[code]; ok && b.Compound == c {
			return b, ""
		}
	}
	return place.Building{}, fmt.Sprintf("楼号: %q is not a building of %s", r.Building, r.Compound)
}

// stored is a resident of the area as an import compares it.
type stored struct {
	id                       int64
	person                   registry.Person // sealed fields left empty
	idIx, phoneIx, notesSeal []byte
}

func hhKey(building, unit, room string) string { return building + "\x00" + unit + "\x00" + room }

// Import applies checked rows to an area in one transaction: households
// are found by building, unit and room (and created when new), residents
// by their ID number's blind index (or, without one, by household and
// name); a row that matches a resident exactly changes nothing, so the same
// file imported twice writes nothing the second time. Rows naming places
// the area does not have are problems, and then nothing at all is written.
func (s *Store) Import(ctx context.Context, area string, rows []registry.ImportRow, actor string, progress registry.Progress) (registry.ImportReport, error) {
	rep := registry.ImportReport{Rows: len(rows), Problems: []registry.Problem{}}
	if progress == nil {
		progress = func(int, int) {}
	}
	ap, err := s.loadPlaces(ctx, s.db.R, area)
	if err != nil {
		return rep, err
	}
	targets := make([]place.Building, len(rows))
	for i, r := range rows {
		b, why := ap.resolve(r)
		if why != "" {
			rep.Problems = append(rep.Problems, registry.Problem{Line: r.Line, Reason: why})
		}
		targets[i] = b
	}
	if len(rep.Problems) > 0 {
		return rep, nil
	}
	now := time.Now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		rep.Created, rep.Updated, rep.Unchanged, rep.Households = 0, 0, 0, 0
		households, err := loadHouseholds(ctx, tx, area)
		if err != nil {
			return err
		}
		residents, err := loadResidents(ctx, tx, area)
		if err != nil {
			return err
		}
		if rep.Households, err = s.addHouseholds(ctx, tx, rows, targets, households, now); err != nil {
			return err
		}
		fresh, err := s.updateRows(ctx, tx, rows, targets, households, residents, &rep, progress, now)
		if err != nil {
			return err
		}
		if err := s.createRows(ctx, tx, fresh, &rep, progress, now); err != nil {
			return err
		}
		progress(len(rows), len(rows))
		return sqldb.Audit(ctx, tx, actor, "registry.import", "area:"+area,
			fmt.Sprintf("rows=%d created=%d updated=%d unchanged=%d households=%d", rep.Rows, rep.Created, rep.Updated, rep.Unchanged, rep.Households))
	})
	return rep, err
}

// loadHouseholds are the area's households by building, unit and room
// (hhKey).
func loadHouseholds(ctx context.Context, tx *sql.Tx, area string) (map[string]int64, error) {
	type hk struct {
		id                   int64
		building, unit, room string
	}
	hs, err := sqldb.Collect(ctx, tx, `SELECT id, building, unit_no, room FROM households WHERE area = $1`, []any{area}, func(sc sqldb.Scanner) (hk, error) {
		var h hk
		return h, sc.Scan(&h.id, &h.building, &h.unit, &h.room)
	})
	households := make(map[string]int64, len(hs))
	for _, h := range hs {
		households[hhKey(h.building, h.unit, h.room)] = h.id
	}
	return households, err
}

// areaResidents are the area's residents as an import finds them: by
// their ID number's blind index, or, without one, by household and name.
type areaResidents struct {
	byID, byName map[string]*stored
}

func nameKey(household int64, name string) string { return fmt.Sprint(household) + "\x00" + name }

func loadResidents(ctx context.Context, tx *sql.Tx, area string) (areaResidents, error) {
	existing, err := sqldb.Collect(ctx, tx, `SELECT id, household, name, gender, birth_date, relation, residence, tags, status,
		id_number_ix, phone_ix, notes FROM residents WHERE area = $1`, []any{area}, func(sc sqldb.Scanner) (stored, error) {
		var r stored
		var st string
		err := sc.Scan(&r.id, &r.person.Household, &r.person.Name, &r.person.Gender, &r.person.BirthDate, &r.person.Relation,
			&r.person.Residence, &r.person.Tags, &st, &r.idIx, &r.phoneIx, &r.notesSeal)
		r.person.Status = registry.Status(st)
		return r, err
	})
	if err != nil {
		return areaResidents{}, err
	}
	ar := areaResidents{byID: map[string]*stored{}, byName: map[string]*stored{}}
	for i := range existing {
		r := &existing[i]
		if len(r.idIx) > 0 {
			ar.byID[string(r.idIx)] = r
		} else {
			ar.byName[nameKey(r.person.Household, r.person.Name)] = r
		}
	}
	return ar, nil
}

// addHouseholds creates, in batches, the households the file names that
// the area lacks, records their ids in households and returns how many.
func (s *Store) addHouseholds(ctx context.Context, tx *sql.Tx, rows []registry.ImportRow, targets []place.Building, households map[string]int64, now time.Time) (int, error) {
	var missing []int
	for i, r := range rows {
		key := hhKey(targets[i].Code, r.UnitNo, r.Room)
		if _, ok := households[key]; !ok {
			households[key] = 0
			missing = append(missing, i)
		}
	}
	if err := insertHouseholds(ctx, tx, s.db.Dialect == sqldb.SQLite, rows, targets, missing, households, now); err != nil {
		return 0, err
	}
	return len(missing), nil
}

// updateRows sorts each row into new, changed or the same as stored: it
// writes the changes, counts the unchanged, and returns the new rows for
// createRows.
func (s *Store) updateRows(ctx context.Context, tx *sql.Tx, rows []registry.ImportRow, targets []place.Building, households map[string]int64,
	ar areaResidents, rep *registry.ImportReport, progress registry.Progress, now time.Time) ([]newRow, error) {
	var fresh []newRow
	for i, r := range rows {
		b := targets[i]
		hh := households[hhKey(b.Code, r.UnitNo, r.Room)]
		p := r.Person
		p.Household = hh
		var cur *stored
		if p.IDNumber != "" {
			cur = ar.byID[string(s.keys.Index(IndexIDNumber, p.IDNumber))]
		} else {
			cur = ar.byName[nameKey(hh, p.Name)]
		}
		if cur == nil {
			fresh = append(fresh, newRow{p: p, at: located{area: b.Area, compound: b.Compound, building: b.Code}})
			continue
		}
		was := cur.person
		was.IDNumber = p.IDNumber // matched by its index
		if bytes.Equal(cur.phoneIx, s.index(IndexPhone, p.Phone)) {
			was.Phone = p.Phone
		}
		var err error
		if was.Notes, err = s.open(registry.FieldNotes, cur.id, cur.notesSeal); err != nil {
			return nil, err
		}
		if registry.Same(was, p) {
			rep.Unchanged++
			continue
		}
		c := registry.Change{Person: p, SetIDNumber: true, SetPhone: true, SetNotes: true}
		if err := s.UpdateTx(ctx, tx, cur.id, 0, c, now); err != nil {
			return nil, err
		}
		rep.Updated++
		if rep.Updated%100 == 0 {
			progress(rep.Unchanged+rep.Updated, len(rows))
		}
	}
	return fresh, nil
}

// createRows writes the new residents in multi-row batches, their ids
// drawn at once, reporting progress after each batch.
func (s *Store) createRows(ctx context.Context, tx *sql.Tx, fresh []newRow, rep *registry.ImportReport, progress registry.Progress, now time.Time) error {
	ids, err := s.NextIDs(ctx, tx, len(fresh))
	if err != nil {
		return err
	}
	for i := range fresh {
		fresh[i].id = ids[i]
	}
	for len(fresh) > 0 {
		chunk := fresh[:min(batchRows*5, len(fresh))]
		fresh = fresh[len(chunk):]
		if err := s.insertBatch(ctx, tx, chunk, now); err != nil {
			return err
		}
		rep.Created += len(chunk)
		progress(rep.Unchanged+rep.Updated+rep.Created, rep.Rows)
	}
	return nil
}

// Export reads every resident a filter selects (no paging), with the
// household's unit and room; unmasked opens the sealed fields. The export
// is audited in the same transaction, with the reason for an unmasked one.
func (s *Store) Export(ctx context.Context, f registry.Filter, unmasked bool, actor, reason string) ([]registry.ExportRow, error) {
	var out []registry.ExportRow
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var a sqldb.Args
		q := `SELECT r.id, r.household, r.building, r.compound, r.area, r.name, r.gender, r.birth_date, r.id_number_mask, r.phone_mask,
			r.relation, r.residence, r.tags, r.notes IS NOT NULL, r.status, r.version, r.updated_at, h.unit_no, h.room, r.id_number, r.phone, r.notes
			FROM residents r JOIN households h ON h.id = r.household WHERE 1=1`
		if !f.Scope.All {
			q += ` AND r.area = ` + a.Add(f.Scope.Area)
		}
		if f.Compound != "" {
			q += ` AND r.compound = ` + a.Add(f.Compound)
		}
		if f.Building != "" {
			q += ` AND r.building = ` + a.Add(f.Building)
		}
		if f.Tags != 0 {
			p := a.Add(f.Tags)
			q += ` AND r.tags <> 0 AND (r.tags & ` + p + `) = ` + p
		}
		if f.Status != "" {
			q += ` AND r.status = ` + a.Add(string(f.Status))
		}
		q += ` ORDER BY r.compound, r.building, h.unit_no, h.room, r.id`
		var err error
		out, err = sqldb.Collect(ctx, tx, q, a, func(sc sqldb.Scanner) (registry.ExportRow, error) {
			var e registry.ExportRow
			var sealed [3][]byte
			var id, hh, tags, at int64
			var hasNotes bool
			r := &e.Resident
			if err := sc.Scan(&id, &hh, &r.Building, &r.Compound, &r.Area, &r.Name, &r.Gender, &r.BirthDate, &r.IDNumber, &r.Phone,
				&r.Relation, &r.Residence, &tags, &hasNotes, &r.Status, &r.Version, &at, &e.Unit, &e.Room, &sealed[0], &sealed[1], &sealed[2]); err != nil {
				return e, err
			}
			r.ID, r.Household = fmt.Sprint(id), fmt.Sprint(hh)
			r.CareTags, r.UpdatedAt = registry.TagsOf(tags), sqldb.FromMicros(at)
			if hasNotes {
				r.Notes = registry.NotesMask
			}
			if unmasked {
				var err error
				for i, dst := range []*string{&r.IDNumber, &r.Phone, &r.Notes} {
					if *dst, err = s.open(registry.SealedFields[i], id, sealed[i]); err != nil {
						return e, err
					}
				}
			}
			return e, nil
		})
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("masked rows=%d", len(out))
		if unmasked {
			detail = fmt.Sprintf("unmasked rows=%d reason=%s", len(out), reason)
		}
		scope := "all"
		if !f.Scope.All {
			scope = f.Scope.Area
		}
		return sqldb.Audit(ctx, tx, actor, "registry.export", "area:"+strings.TrimSpace(scope), detail)
	})
	return out, err
}

// insertHouseholds creates the households of rows[missing] in multi-row
// INSERTs and records their ids in households.
func insertHouseholds(ctx context.Context, tx *sql.Tx, positional bool, rows []registry.ImportRow, targets []place.Building, missing []int, households map[string]int64, now time.Time) error {
	for len(missing) > 0 {
		chunk := missing[:min(1000, len(missing))]
		missing = missing[len(chunk):]
		a := placeholders{positional: positional}
		var q strings.Builder
		q.WriteString(`INSERT INTO households (area, compound, building_no, building, unit_no, room, kind, version, updated_at) VALUES `)
		for j, i := range chunk {
			b, r := targets[i], rows[i]
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + a.Add(b.Area) + ", " + a.Add(b.Compound) + ", " + a.Add(b.Name) + ", " + a.Add(b.Code) + ", " +
				a.Add(r.UnitNo) + ", " + a.Add(r.Room) + ", 'residential', 1, " + a.Add(sqldb.Micros(now)) + ")")
		}
		q.WriteString(` RETURNING id, building, unit_no, room`)
		type made struct {
			id                   int64
			building, unit, room string
		}
		got, err := sqldb.Collect(ctx, tx, q.String(), a.args, func(sc sqldb.Scanner) (made, error) {
			var m made
			return m, sc.Scan(&m.id, &m.building, &m.unit, &m.room)
		})
		if err != nil {
			return err
		}
		for _, m := range got {
			households[hhKey(m.building, m.unit, m.room)] = m.id
		}
	}
	return nil
}
