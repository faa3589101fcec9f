package patroldb

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/community/patrol"
	"hotline/internal/sqldb"
)

const shiftCols = `id, area, compound, date, start_hm, end_hm, starts_at, ends_at, cancelled, version, created_at, updated_at`

func scanShift(r sqldb.Scanner) (patrol.Shift, error) {
	var s patrol.Shift
	var n, sa, ea, ver, ca, ua int64
	err := r.Scan(&n, &s.Area, &s.Compound, &s.Date, &s.Start, &s.End, &sa, &ea, &s.Cancelled, &ver, &ca, &ua)
	s.ID, s.StartsAt, s.EndsAt, s.Version, s.CreatedAt, s.UpdatedAt = id(n), sqldb.FromMicros(sa), sqldb.FromMicros(ea), ver, sqldb.FromMicros(ca), sqldb.FromMicros(ua)
	return s, err
}

func pos(lat, lng sql.NullFloat64) *patrol.Position {
	if !lat.Valid || !lng.Valid {
		return nil
	}
	return &patrol.Position{Lat: lat.Float64, Lng: lng.Float64}
}

// attach reads the shifts' volunteers and attendance, in the order planned.
func attach(ctx context.Context, q sqldb.Querier, shifts []patrol.Shift) error {
	if len(shifts) == 0 {
		return nil
	}
	at := map[string]int{}
	var a sqldb.Args
	ph := make([]string, len(shifts))
	for i, s := range shifts {
		at[s.ID] = i
		n, _ := strconv.ParseInt(s.ID, 10, 64)
		ph[i] = a.Add(n)
		shifts[i].Attendance = []patrol.Attendance{}
	}
	type row struct {
		shift string
		att   patrol.Attendance
	}
	rows, err := sqldb.Collect(ctx, q, `SELECT sv.shift_id, sv.volunteer_id, v.name, sv.check_in, sv.check_out, sv.in_lat, sv.in_lng, sv.out_lat, sv.out_lng
		FROM patrol_shift_volunteers sv JOIN volunteers v ON v.id = sv.volunteer_id
		WHERE sv.shift_id IN (`+strings.Join(ph, ",")+`) ORDER BY sv.shift_id, sv.pos`, a, func(r sqldb.Scanner) (row, error) {
		var x row
		var sid, vid int64
		var in, out sql.NullInt64
		var il, ig, ol, og sql.NullFloat64
		err := r.Scan(&sid, &vid, &x.att.Name, &in, &out, &il, &ig, &ol, &og)
		x.shift, x.att.Volunteer = id(sid), id(vid)
		x.att.CheckIn, x.att.CheckOut = sqldb.FromNullMicros(in), sqldb.FromNullMicros(out)
		x.att.InPosition, x.att.OutPosition = pos(il, ig), pos(ol, og)
		return x, err
	})
	if err != nil {
		return err
	}
	for _, r := range rows {
		i := at[r.shift]
		shifts[i].Attendance = append(shifts[i].Attendance, r.att)
	}
	return nil
}

// lockVolunteers takes the volunteers' rows (PostgreSQL) so that two
// writers adding the same volunteer to shifts queue instead of both passing
// the overlap check.
func (s *Store) lockVolunteers(ctx context.Context, tx *sql.Tx, ids []int64) error {
	if s.DB.Dialect != sqldb.Postgres || len(ids) == 0 {
		return nil
	}
	var a sqldb.Args
	ph := make([]string, len(ids))
	for i, n := range ids {
		ph[i] = a.Add(n)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM volunteers WHERE id IN (`+strings.Join(ph, ",")+`) ORDER BY id FOR UPDATE`, a...)
	if err != nil {
		return err
	}
	return rows.Close()
}

// checkOverlap refuses a volunteer already on another (not cancelled)
// shift that overlaps [start, end).
func checkOverlap(ctx context.Context, tx *sql.Tx, vid int64, start, end time.Time, self int64) error {
	var other int64
	err := tx.QueryRowContext(ctx, `SELECT shift_id FROM patrol_shift_volunteers
		WHERE volunteer_id = $1 AND starts_at < $2 AND ends_at > $3 AND NOT cancelled AND shift_id <> $4 LIMIT 1`,
		vid, sqldb.Micros(end), sqldb.Micros(start), self).Scan(&other)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	return apperr.Field("volunteers", "volunteer "+id(vid)+" is already on shift "+id(other)+" at that time")
}

func volIDs(s patrol.Shift) ([]int64, error) {
	out := make([]int64, len(s.Attendance))
	for i, a := range s.Attendance {
		n, err := strconv.ParseInt(a.Volunteer, 10, 64)
		if err != nil {
			return nil, apperr.Field("volunteers", "no volunteer "+truncate(a.Volunteer, 40))
		}
		out[i] = n
	}
	return out, nil
}

func insertAttendance(ctx context.Context, tx *sql.Tx, sid int64, s patrol.Shift) error {
	for i, a := range s.Attendance {
		vid, _ := strconv.ParseInt(a.Volunteer, 10, 64)
		var il, ig, ol, og any
		if p := a.InPosition; p != nil {
			il, ig = p.Lat, p.Lng
		}
		if p := a.OutPosition; p != nil {
			ol, og = p.Lat, p.Lng
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO patrol_shift_volunteers (shift_id, volunteer_id, pos, starts_at, ends_at, cancelled, check_in, check_out, in_lat, in_lng, out_lat, out_lng)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
			sid, vid, i, sqldb.Micros(s.StartsAt), sqldb.Micros(s.EndsAt), s.Cancelled, sqldb.MicrosPtr(a.CheckIn), sqldb.MicrosPtr(a.CheckOut), il, ig, ol, og); err != nil {
			return err
		}
	}
	return nil
}

// CreateShifts stores shifts in one transaction; a volunteer on two shifts
// at once (within the batch or against stored shifts) fails it all. The
// overlap check reads the volunteers' stored shifts of the period once and
// the attendance rows go in multi-row INSERTs, so a month's rota costs one
// round trip per shift, not five.
func (s *Store) CreateShifts(ctx context.Context, shifts []patrol.Shift) ([]patrol.Shift, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var all []int64
		seen := map[int64]bool{}
		var lo, hi time.Time
		for i, sh := range shifts {
			ids, err := volIDs(sh)
			if err != nil {
				return err
			}
			for _, n := range ids {
				if !seen[n] {
					seen[n] = true
					all = append(all, n)
				}
			}
			if i == 0 || sh.StartsAt.Before(lo) {
				lo = sh.StartsAt
			}
			if i == 0 || sh.EndsAt.After(hi) {
				hi = sh.EndsAt
			}
		}
		if err := s.lockVolunteers(ctx, tx, all); err != nil {
			return err
		}
		if err := checkOverlaps(ctx, tx, all, shifts, lo, hi); err != nil {
			return err
		}
		for i, sh := range shifts {
			var n int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO patrol_shifts (area, compound, date, start_hm, end_hm, starts_at, ends_at, cancelled, version, created_at, updated_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id`,
				sh.Area, sh.Compound, sh.Date, sh.Start, sh.End, sqldb.Micros(sh.StartsAt), sqldb.Micros(sh.EndsAt), sh.Cancelled, sh.Version,
				sqldb.Micros(sh.CreatedAt), sqldb.Micros(sh.UpdatedAt)).Scan(&n); err != nil {
				return err
			}
			shifts[i].ID = id(n)
		}
		return insertAttendanceMany(ctx, tx, shifts)
	})
	if err != nil {
		return nil, err
	}
	var vids []string
	for _, sh := range shifts {
		vids = append(vids, sh.VolunteerIDs()...)
	}
	names, _ := s.VolunteersByID(ctx, vids)
	for i := range shifts {
		sh := &shifts[i]
		sh.CreatedAt, sh.UpdatedAt = sqldb.FromMicros(sqldb.Micros(sh.CreatedAt)), sqldb.FromMicros(sqldb.Micros(sh.UpdatedAt))
		for j := range sh.Attendance {
			sh.Attendance[j].Name = names[sh.Attendance[j].Volunteer].Name
		}
	}
	return shifts, nil
}

// checkOverlaps refuses new shifts that put a volunteer on two shifts at
// once, against the stored (not cancelled) shifts of [lo, hi) and among
// themselves.
func checkOverlaps(ctx context.Context, tx *sql.Tx, vols []int64, shifts []patrol.Shift, lo, hi time.Time) error {
	type span struct {
		start, end time.Time
		shift      string
	}
	busy := map[int64][]span{}
	if len(vols) > 0 {
		var a sqldb.Args
		ph := make([]string, len(vols))
		for i, n := range vols {
			ph[i] = a.Add(n)
		}
		rows, err := sqldb.Collect(ctx, tx, `SELECT volunteer_id, starts_at, ends_at, shift_id FROM patrol_shift_volunteers
			WHERE volunteer_id IN (`+strings.Join(ph, ",")+`) AND NOT cancelled AND starts_at < `+a.Add(sqldb.Micros(hi))+` AND ends_at > `+a.Add(sqldb.Micros(lo)),
			a, func(r sqldb.Scanner) (struct {
				v int64
				s span
			}, error) {
				var x struct {
					v int64
					s span
				}
				var sa, ea, sid int64
				err := r.Scan(&x.v, &sa, &ea, &sid)
				x.s = span{sqldb.FromMicros(sa), sqldb.FromMicros(ea), id(sid)}
				return x, err
			})
		if err != nil {
			return err
		}
		for _, r := range rows {
			busy[r.v] = append(busy[r.v], r.s)
		}
	}
	for _, sh := range shifts {
		ids, _ := volIDs(sh)
		for _, vid := range ids {
			for _, b := range busy[vid] {
				if b.start.Before(sh.EndsAt) && sh.StartsAt.Before(b.end) {
					if b.shift == "" {
						return apperr.Field("volunteers", "volunteer "+id(vid)+" would be on two of these shifts at once")
					}
					return apperr.Field("volunteers", "volunteer "+id(vid)+" is already on shift "+b.shift+" at that time")
				}
			}
			busy[vid] = append(busy[vid], span{sh.StartsAt, sh.EndsAt, ""})
		}
	}
	return nil
}

// insertAttendanceMany writes new shifts' volunteers, 200 rows a statement.
func insertAttendanceMany(ctx context.Context, tx *sql.Tx, shifts []patrol.Shift) error {
	var a sqldb.Args
	var vals []string
	flush := func() error {
		if len(vals) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO patrol_shift_volunteers (shift_id, volunteer_id, pos, starts_at, ends_at, cancelled) VALUES `+strings.Join(vals, ","), a...)
		a, vals = nil, nil
		return err
	}
	for _, sh := range shifts {
		sid, _ := strconv.ParseInt(sh.ID, 10, 64)
		for i, at := range sh.Attendance {
			vid, _ := strconv.ParseInt(at.Volunteer, 10, 64)
			vals = append(vals, "("+a.Add(sid)+","+a.Add(vid)+","+a.Add(i)+","+a.Add(sqldb.Micros(sh.StartsAt))+","+a.Add(sqldb.Micros(sh.EndsAt))+","+a.Add(sh.Cancelled)+")")
			if len(vals) == 200 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// Shift reads one shift with its attendance.
func (s *Store) Shift(ctx context.Context, sid string) (patrol.Shift, error) {
	return s.shift(ctx, s.DB.R, sid, "")
}

func (s *Store) shift(ctx context.Context, q sqldb.Querier, sid, lock string) (patrol.Shift, error) {
	n, err := parseID("shift", sid)
	if err != nil {
		return patrol.Shift{}, err
	}
	sh, err := scanShift(q.QueryRowContext(ctx, `SELECT `+shiftCols+` FROM patrol_shifts WHERE id=$1`+lock, n))
	if err != nil {
		return patrol.Shift{}, sqldb.MapErr(err)
	}
	one := []patrol.Shift{sh}
	if err := attach(ctx, q, one); err != nil {
		return patrol.Shift{}, err
	}
	return one[0], nil
}

// Shifts lists shifts by start time then id.
func (s *Store) Shifts(ctx context.Context, f patrol.ShiftFilter) ([]patrol.Shift, string, error) {
	var a sqldb.Args
	q := `SELECT ` + prefixed("s.", shiftCols) + ` FROM patrol_shifts s WHERE 1=1`
	if !f.Scope.All {
		q += ` AND s.area = ` + a.Add(f.Scope.Area)
	}
	if f.Volunteer != "" {
		n, err := strconv.ParseInt(f.Volunteer, 10, 64)
		if err != nil {
			return []patrol.Shift{}, "", nil
		}
		q += ` AND s.id IN (SELECT shift_id FROM patrol_shift_volunteers WHERE volunteer_id = ` + a.Add(n) + `)`
	}
	if f.Compound != "" {
		q += ` AND s.compound = ` + a.Add(f.Compound)
	}
	if f.From != nil {
		q += ` AND s.starts_at >= ` + a.Add(sqldb.Micros(*f.From))
	}
	if f.To != nil {
		q += ` AND s.starts_at < ` + a.Add(sqldb.Micros(*f.To))
	}
	if f.OnDuty {
		q += ` AND NOT s.cancelled AND EXISTS (SELECT 1 FROM patrol_shift_volunteers o WHERE o.shift_id = s.id AND o.check_in IS NOT NULL AND o.check_out IS NULL)`
	}
	if f.Cursor != "" {
		at, sid, ok := strings.Cut(f.Cursor, ".")
		t, err1 := strconv.ParseInt(at, 10, 64)
		n, err2 := strconv.ParseInt(sid, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, "", apperr.Field("cursor", "not a cursor this list gave")
		}
		q += ` AND (s.starts_at > ` + a.Add(t) + ` OR (s.starts_at = ` + a.Add(t) + ` AND s.id > ` + a.Add(n) + `))`
	}
	q += ` ORDER BY s.starts_at, s.id LIMIT ` + strconv.Itoa(f.Limit+1)
	shifts, err := sqldb.Collect(ctx, s.DB.R, q, a, scanShift)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(shifts) > f.Limit {
		shifts = shifts[:f.Limit]
		last := shifts[f.Limit-1]
		next = strconv.FormatInt(sqldb.Micros(last.StartsAt), 10) + "." + last.ID
	}
	if shifts == nil {
		shifts = []patrol.Shift{}
	}
	return shifts, next, attach(ctx, s.DB.R, shifts)
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// UpdateShift is the read-decide-write of a shift under its lock.
func (s *Store) UpdateShift(ctx context.Context, sid string, decide func(cur patrol.Shift) (patrol.Shift, error)) (patrol.Shift, error) {
	var out patrol.Shift
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.shift(ctx, tx, sid, s.DB.ForUpdate())
		if err != nil {
			return err
		}
		n, err := decide(cur)
		if err != nil {
			return err
		}
		nid, _ := strconv.ParseInt(cur.ID, 10, 64)
		res, err := tx.ExecContext(ctx, `UPDATE patrol_shifts SET cancelled=$1, version=$2, updated_at=$3 WHERE id=$4 AND version=$5`,
			n.Cancelled, n.Version, sqldb.Micros(n.UpdatedAt), nid, cur.Version)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return apperr.New(apperr.Conflict, "someone else changed this shift; reload it").Because(apperr.ReasonStale)
		}
		ids, err := volIDs(n)
		if err != nil {
			return err
		}
		if strings.Join(n.VolunteerIDs(), ",") != strings.Join(cur.VolunteerIDs(), ",") {
			if err := s.lockVolunteers(ctx, tx, ids); err != nil {
				return err
			}
			for _, vid := range ids {
				if err := checkOverlap(ctx, tx, vid, n.StartsAt, n.EndsAt, nid); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM patrol_shift_volunteers WHERE shift_id=$1`, nid); err != nil {
			return err
		}
		if err := insertAttendance(ctx, tx, nid, n); err != nil {
			return err
		}
		out, err = s.shift(ctx, tx, cur.ID, "")
		return err
	})
	return out, err
}

// Busy lists the volunteers' shifts overlapping [from, to).
func (s *Store) Busy(ctx context.Context, vols []string, from, to time.Time) ([]patrol.Busy, error) {
	var a sqldb.Args
	var ph []string
	for _, v := range vols {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			ph = append(ph, a.Add(n))
		}
	}
	if len(ph) == 0 {
		return nil, nil
	}
	q := `SELECT volunteer_id, starts_at, ends_at FROM patrol_shift_volunteers WHERE volunteer_id IN (` + strings.Join(ph, ",") + `)
		AND NOT cancelled AND starts_at < ` + a.Add(sqldb.Micros(to)) + ` AND ends_at > ` + a.Add(sqldb.Micros(from))
	return sqldb.Collect(ctx, s.DB.R, q, a, func(r sqldb.Scanner) (patrol.Busy, error) {
		var b patrol.Busy
		var vid, sa, ea int64
		err := r.Scan(&vid, &sa, &ea)
		b.Volunteer, b.Start, b.End = id(vid), sqldb.FromMicros(sa), sqldb.FromMicros(ea)
		return b, err
	})
}

// SlotsTaken lists the compounds' shifts (not cancelled) starting in [from, to).
func (s *Store) SlotsTaken(ctx context.Context, compounds []string, from, to time.Time) ([]patrol.Shift, error) {
	if len(compounds) == 0 {
		return nil, nil
	}
	var a sqldb.Args
	q := `SELECT ` + shiftCols + ` FROM patrol_shifts WHERE compound IN (` + a.In(compounds...) + `) AND NOT cancelled
		AND starts_at >= ` + a.Add(sqldb.Micros(from)) + ` AND starts_at < ` + a.Add(sqldb.Micros(to))
	return sqldb.Collect(ctx, s.DB.R, q, a, scanShift)
}

const findingCols = `f.id, f.shift_id, f.volunteer_id, f.actor, f.text, f.building, f.photo IS NOT NULL, f.photo_type, f.order_id, o.number, f.entry_id, f.created_at`

func scanFinding(r sqldb.Scanner) (patrol.Finding, error) {
	var f patrol.Finding
	var n, sid, at int64
	var vid, oid sql.NullInt64
	var building, number, entry sql.NullString
	err := r.Scan(&n, &sid, &vid, &f.Actor, &f.Text, &building, &f.HasPhoto, &f.PhotoType, &oid, &number, &entry, &at)
	if entry.Valid {
		f.EntryID = &entry.String
	}
	f.ID, f.Shift, f.CreatedAt = id(n), id(sid), sqldb.FromMicros(at)
	if vid.Valid {
		v := id(vid.Int64)
		f.Volunteer = &v
	}
	if oid.Valid {
		o := id(oid.Int64)
		f.Order = &o
	}
	if building.Valid {
		f.Building = &building.String
	}
	if number.Valid {
		f.OrderNumber = &number.String
	}
	return f, err
}

// AddFinding writes a log entry in tx (or its own transaction), after
// check accepted the shift read locked in it.
func (s *Store) AddFinding(ctx context.Context, tx *sql.Tx, f patrol.Finding, check func(patrol.Shift) error) (patrol.Finding, error) {
	write := func(tx *sql.Tx) error {
		cur, err := s.shift(ctx, tx, f.Shift, s.DB.ForUpdate())
		if err != nil {
			return err
		}
		if err := check(cur); err != nil {
			return err
		}
		sid, _ := strconv.ParseInt(f.Shift, 10, 64)
		var vid, oid any
		if f.Volunteer != nil {
			vid, _ = strconv.ParseInt(*f.Volunteer, 10, 64)
		}
		if f.Order != nil {
			oid, _ = strconv.ParseInt(*f.Order, 10, 64)
		}
		var photo any
		if f.Photo != nil {
			photo = f.Photo
		}
		var n int64
		err = tx.QueryRowContext(ctx, `INSERT INTO patrol_findings (shift_id, volunteer_id, actor, text, building, photo, photo_type, order_id, entry_id, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`,
			sid, vid, f.Actor, f.Text, nullStr(f.Building), photo, f.PhotoType, oid, nullStr(f.EntryID), sqldb.Micros(f.CreatedAt)).Scan(&n)
		if f.EntryID != nil && sqldb.IsUnique(err) {
			return patrol.ErrEntryTaken
		}
		if err != nil {
			return err
		}
		f.ID = id(n)
		f.CreatedAt = sqldb.FromMicros(sqldb.Micros(f.CreatedAt))
		f.Photo = nil
		return nil
	}
	var err error
	if tx != nil {
		err = write(tx)
		if !errors.Is(err, patrol.ErrEntryTaken) {
			err = sqldb.MapErr(err)
		}
	} else {
		err = s.DB.Tx(ctx, write)
	}
	return f, err
}

// FindingByEntry reads the finding a phone stored under entry on a shift
// (NotFound when there is none yet).
func (s *Store) FindingByEntry(ctx context.Context, shift, entry string) (patrol.Finding, error) {
	n, err := parseID("shift", shift)
	if err != nil {
		return patrol.Finding{}, err
	}
	f, err := scanFinding(s.DB.R.QueryRowContext(ctx, `SELECT `+findingCols+` FROM patrol_findings f LEFT JOIN orders o ON o.id = f.order_id
		WHERE f.shift_id = $1 AND f.entry_id = $2`, n, entry))
	if errors.Is(err, sql.ErrNoRows) {
		return patrol.Finding{}, apperr.New(apperr.NotFound, "no finding with this entry_id")
	}
	return f, sqldb.MapErr(err)
}

// Findings lists a shift's log, oldest first.
func (s *Store) Findings(ctx context.Context, shift string) ([]patrol.Finding, error) {
	n, err := parseID("shift", shift)
	if err != nil {
		return nil, err
	}
	out, err := sqldb.Collect(ctx, s.DB.R, `SELECT `+findingCols+` FROM patrol_findings f LEFT JOIN orders o ON o.id = f.order_id
		WHERE f.shift_id = $1 ORDER BY f.id`, []any{n}, scanFinding)
	if out == nil {
		out = []patrol.Finding{}
	}
	return out, err
}

// FindingPhoto reads a finding with its photo.
func (s *Store) FindingPhoto(ctx context.Context, fid string) (patrol.Finding, error) {
	n, err := parseID("finding", fid)
	if err != nil {
		return patrol.Finding{}, err
	}
	var f patrol.Finding
	var sid int64
	err = s.DB.R.QueryRowContext(ctx, `SELECT shift_id, photo, photo_type FROM patrol_findings WHERE id=$1`, n).Scan(&sid, &f.Photo, &f.PhotoType)
	f.ID, f.Shift = fid, id(sid)
	return f, sqldb.MapErr(err)
}
