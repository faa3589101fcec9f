// Package campaigndb stores door-to-door campaigns (community.md §5) in
// SQLite and PostgreSQL through sqldb. It reads the registry's places
// (compounds, buildings, households) and writes only its own tables.
package campaigndb

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"strconv"

	"hotline/internal/apperr"
	"hotline/internal/community/campaign"
	"hotline/internal/community/registry/registrydb"
	"hotline/internal/place/placedb"
	"hotline/internal/seal"
	"hotline/internal/sqldb"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the module's schema, one folder per dialect.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// Store implements campaign.Store.
type Store struct{ db *sqldb.DB }

var _ campaign.Store = (*Store)(nil)

// New returns the module's store on db.
func New(db *sqldb.DB) *Store { return &Store{db: db} }

// Migrate creates or upgrades the module's tables, after the places and
// the registry it reads (each module's migrations run once, whoever asks
// first).
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.db.Migrate(ctx, "place", placedb.Migrations()); err != nil {
		return err
	}
	if err := s.db.Migrate(ctx, "registry", registrydb.Migrations()); err != nil {
		return err
	}
	return s.db.Migrate(ctx, "campaign", Migrations())
}

func (s *Store) jsonList(ph string) string {
	if s.db.Dialect == sqldb.Postgres {
		return "SELECT jsonb_array_elements_text(" + ph + "::jsonb)"
	}
	return "SELECT value FROM json_each(" + ph + ")"
}

func (s *Store) share() string {
	if s.db.Dialect == sqldb.Postgres {
		return " FOR SHARE"
	}
	return ""
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func list(v []string) string {
	if v == nil {
		v = []string{}
	}
	return jsonOf(v)
}

// Places returns compounds' areas and the buildings of the compounds and
// the named buildings.
func (s *Store) Places(ctx context.Context, compounds, buildings []string) (map[string]string, []campaign.Building, error) {
	var a sqldb.Args
	cs, bs := a.Add(list(compounds)), a.Add(list(buildings))
	type ca struct{ code, area string }
	rows, err := sqldb.Collect(ctx, s.db.R, "SELECT code, committee FROM compounds WHERE code IN ("+s.jsonList("$1")+")", []any{list(compounds)},
		func(r sqldb.Scanner) (ca, error) { var c ca; return c, r.Scan(&c.code, &c.area) })
	if err != nil {
		return nil, nil, err
	}
	areas := map[string]string{}
	for _, c := range rows {
		areas[c.code] = c.area
	}
	out, err := sqldb.Collect(ctx, s.db.R, `SELECT b.code, b.compound, c.committee FROM buildings b JOIN compounds c ON c.code = b.compound
		WHERE b.compound IN (`+s.jsonList(cs)+`) OR b.code IN (`+s.jsonList(bs)+`) ORDER BY b.code`, a,
		func(r sqldb.Scanner) (campaign.Building, error) {
			var b campaign.Building
			return b, r.Scan(&b.Code, &b.Compound, &b.Area)
		})
	return areas, out, err
}

// MissingUsers returns the usernames that are not active users.
func (s *Store) MissingUsers(ctx context.Context, names []string) ([]string, error) {
	found, err := sqldb.Collect(ctx, s.db.R, "SELECT username FROM users WHERE active AND username IN ("+s.jsonList("$1")+")", []any{list(names)},
		func(r sqldb.Scanner) (string, error) { var n string; return n, r.Scan(&n) })
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, n := range found {
		have[n] = true
	}
	var missing []string
	for _, n := range names {
		if !have[n] {
			missing = append(missing, n)
		}
	}
	return missing, nil
}

func (s *Store) writeCollectors(ctx context.Context, tx *sql.Tx, id int64, cols []campaign.Collector) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM campaign_collectors WHERE campaign_id = $1", id); err != nil {
		return err
	}
	for _, c := range cols {
		for _, b := range c.Buildings {
			if _, err := tx.ExecContext(ctx, "INSERT INTO campaign_collectors (campaign_id, username, building) VALUES ($1, $2, $3)", id, c.User, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// rescope replaces the campaign's households by the (not vacant)
// households of buildings, in one INSERT … SELECT.
func (s *Store) rescope(ctx context.Context, tx *sql.Tx, id int64, buildings []string) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM campaign_households WHERE campaign_id = $1", id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO campaign_households (campaign_id, household, building)
		SELECT $1, h.id, h.building FROM households h WHERE h.building IN (`+s.jsonList("$2")+`) AND h.kind <> 'vacant'`, id, list(buildings))
	return err
}

// Create inserts a campaign with its collectors and households.
func (s *Store) Create(ctx context.Context, c *campaign.Campaign, buildings []string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO campaigns (area, name, form, compounds, buildings, status, starts, ends, created_by, updated_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1) RETURNING id`, c.Area, c.Name, jsonOf(c.Form), list(c.Scope.Compounds), list(c.Scope.Buildings),
			c.Status, c.Starts, c.Ends, c.CreatedBy, sqldb.Micros(c.UpdatedAt)).Scan(&id); err != nil {
			return err
		}
		c.ID = strconv.FormatInt(id, 10)
		if err := s.writeCollectors(ctx, tx, id, c.Collectors); err != nil {
			return err
		}
		if err := s.rescope(ctx, tx, id, buildings); err != nil {
			return err
		}
		return sqldb.Audit(ctx, tx, c.CreatedBy, "campaign.create", "campaign:"+c.ID, "")
	})
}

const cols = "id, area, name, form, compounds, buildings, status, starts, ends, created_by, updated_at, version"

func scanCampaign(r sqldb.Scanner) (campaign.Campaign, error) {
	var c campaign.Campaign
	var id, updated int64
	var form, comps, blds string
	if err := r.Scan(&id, &c.Area, &c.Name, &form, &comps, &blds, &c.Status, &c.Starts, &c.Ends, &c.CreatedBy, &updated, &c.Version); err != nil {
		return c, err
	}
	c.ID = strconv.FormatInt(id, 10)
	c.UpdatedAt = sqldb.FromMicros(updated)
	_ = json.Unmarshal([]byte(form), &c.Form)
	_ = json.Unmarshal([]byte(comps), &c.Scope.Compounds)
	_ = json.Unmarshal([]byte(blds), &c.Scope.Buildings)
	return c, nil
}

func (s *Store) fill(ctx context.Context, q sqldb.Querier, c *campaign.Campaign) error {
	id, _ := strconv.ParseInt(c.ID, 10, 64)
	type ub struct{ u, b string }
	rows, err := sqldb.Collect(ctx, q, "SELECT username, building FROM campaign_collectors WHERE campaign_id = $1 ORDER BY username, building", []any{id},
		func(r sqldb.Scanner) (ub, error) { var x ub; return x, r.Scan(&x.u, &x.b) })
	if err != nil {
		return err
	}
	c.Collectors = []campaign.Collector{}
	for _, x := range rows {
		if n := len(c.Collectors); n > 0 && c.Collectors[n-1].User == x.u {
			c.Collectors[n-1].Buildings = append(c.Collectors[n-1].Buildings, x.b)
		} else {
			c.Collectors = append(c.Collectors, campaign.Collector{User: x.u, Buildings: []string{x.b}})
		}
	}
	return sqldb.MapErr(q.QueryRowContext(ctx, "SELECT COUNT(*) FROM campaign_households WHERE campaign_id = $1", id).Scan(&c.Households))
}

func (s *Store) campaign(ctx context.Context, q sqldb.Querier, id int64, lock string) (campaign.Campaign, error) {
	c, err := scanCampaign(q.QueryRowContext(ctx, "SELECT "+cols+" FROM campaigns WHERE id = $1"+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, apperr.New(apperr.NotFound, "no such campaign")
	}
	if err != nil {
		return c, sqldb.MapErr(err)
	}
	return c, s.fill(ctx, q, &c)
}

// Campaign reads one campaign.
func (s *Store) Campaign(ctx context.Context, id int64) (campaign.Campaign, error) {
	return s.campaign(ctx, s.db.R, id, "")
}

// Campaigns lists campaigns newest first.
func (s *Store) Campaigns(ctx context.Context, f campaign.Filter) ([]campaign.Campaign, error) {
	var a sqldb.Args
	q := "SELECT " + cols + " FROM campaigns WHERE 1=1"
	if !f.Scope.All {
		q += " AND area = " + a.Add(f.Scope.Area)
	}
	if f.Collector != "" {
		q += " AND id IN (SELECT campaign_id FROM campaign_collectors WHERE username = " + a.Add(f.Collector) + ")"
	}
	if f.Status != "" {
		q += " AND status = " + a.Add(string(f.Status))
	}
	if f.After > 0 {
		q += " AND id < " + a.Add(f.After)
	}
	q += " ORDER BY id DESC LIMIT " + a.Add(f.Limit)
	cs, err := sqldb.Collect(ctx, s.db.R, q, a, scanCampaign)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		if err := s.fill(ctx, s.db.R, &cs[i]); err != nil {
			return nil, err
		}
	}
	if cs == nil {
		cs = []campaign.Campaign{}
	}
	return cs, nil
}

// Update applies decide's answer to the locked campaign.
func (s *Store) Update(ctx context.Context, id int64, actor string, decide func(campaign.Campaign) (campaign.Campaign, []string, error)) (campaign.Campaign, error) {
	var out campaign.Campaign
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.campaign(ctx, tx, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		next, rescope, err := decide(cur)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET name = $1, form = $2, compounds = $3, buildings = $4, status = $5, starts = $6, ends = $7,
			updated_at = $8, version = version + 1 WHERE id = $9`, next.Name, jsonOf(next.Form), list(next.Scope.Compounds), list(next.Scope.Buildings),
			next.Status, next.Starts, next.Ends, sqldb.Micros(next.UpdatedAt), id); err != nil {
			return err
		}
		if err := s.writeCollectors(ctx, tx, id, next.Collectors); err != nil {
			return err
		}
		if rescope != nil {
			if err := s.rescope(ctx, tx, id, rescope); err != nil {
				return err
			}
		}
		action := "campaign.update"
		if next.Status != cur.Status {
			action = "campaign." + string(next.Status)
		}
		if err := sqldb.Audit(ctx, tx, actor, action, "campaign:"+cur.ID, ""); err != nil {
			return err
		}
		out, err = s.campaign(ctx, tx, id, "")
		return err
	})
	return out, err
}

var errReplay = errors.New("submission stored concurrently")

// Submit stores a submission once per submission_id.
func (s *Store) Submit(ctx context.Context, id int64, in campaign.SubmissionRow, decide func(campaign.Campaign, string) error) (campaign.SubmissionRow, bool, error) {
	for attempt := 0; ; attempt++ {
		out, replayed, err := s.submit(ctx, id, in, decide)
		if errors.Is(err, errReplay) {
			if attempt == 0 {
				continue
			}
			err = apperr.New(apperr.Conflict, "concurrent change; try again")
		}
		return out, replayed, err
	}
}

const subCols = "submission_id, household, building, collector, outcome, answers, digest, collected_at, received_at"

func scanSub(r sqldb.Scanner) (campaign.SubmissionRow, error) {
	var s campaign.SubmissionRow
	var hh, at, rec int64
	if err := r.Scan(&s.SubmissionID, &hh, &s.Building, &s.Collector, &s.Outcome, &s.Sealed, &s.Digest, &at, &rec); err != nil {
		return s, err
	}
	s.Household = strconv.FormatInt(hh, 10)
	t := sqldb.FromMicros(at)
	s.CollectedAt, s.ReceivedAt = &t, sqldb.FromMicros(rec)
	return s, nil
}

func (s *Store) submit(ctx context.Context, id int64, in campaign.SubmissionRow, decide func(campaign.Campaign, string) error) (out campaign.SubmissionRow, replayed bool, err error) {
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		prev, err := scanSub(tx.QueryRowContext(ctx, "SELECT "+subCols+" FROM campaign_submissions WHERE campaign_id = $1 AND submission_id = $2", id, in.SubmissionID))
		switch {
		case err == nil:
			if !bytes.Equal(prev.Digest, in.Digest) {
				return apperr.New(apperr.Conflict, "this submission_id was already used for a different submission")
			}
			out, replayed = prev, true
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		c, err := scanCampaign(tx.QueryRowContext(ctx, "SELECT "+cols+" FROM campaigns WHERE id = $1"+s.share(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.NotFound, "no such campaign")
		} else if err != nil {
			return err
		}
		if err := s.fill(ctx, tx, &c); err != nil {
			return err
		}
		hh, _ := strconv.ParseInt(in.Household, 10, 64)
		var building string
		if err := tx.QueryRowContext(ctx, "SELECT building FROM campaign_households WHERE campaign_id = $1 AND household = $2", id, hh).Scan(&building); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := decide(c, building); err != nil {
			return err
		}
		in.Building = building
		var sid int64
		err = tx.QueryRowContext(ctx, `INSERT INTO campaign_submissions (campaign_id, submission_id, household, building, collector, outcome, answers, digest, collected_at, received_at, key_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`, id, in.SubmissionID, hh, building, in.Collector, in.Outcome, in.Sealed, in.Digest,
			sqldb.Micros(*in.CollectedAt), sqldb.Micros(in.ReceivedAt), keyID(in.Sealed)).Scan(&sid)
		if sqldb.IsUnique(err) {
			return errReplay
		} else if err != nil {
			return err
		}
		// The latest visit counts: a later collected_at replaces, an earlier
		// one (a phone that was offline longer) does not.
		if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_latest (campaign_id, household, building, submission, outcome, collector, collected_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (campaign_id, household) DO UPDATE SET submission = excluded.submission, outcome = excluded.outcome,
				collector = excluded.collector, collected_at = excluded.collected_at
			WHERE excluded.collected_at >= campaign_latest.collected_at`, id, hh, building, sid, in.Outcome, in.Collector, sqldb.Micros(*in.CollectedAt)); err != nil {
			return err
		}
		out = in
		return nil
	})
	return out, replayed, err
}

// Progress counts the households by latest outcome: the households per
// building and the visits per building and outcome, two grouped index
// scans; not visited is the difference, and a collector's line is the sum
// of their buildings' (exact: a building's households are its collector's).
func (s *Store) Progress(ctx context.Context, id int64) (campaign.Progress, error) {
	p := campaign.Progress{ByBuilding: map[string]campaign.Counts{}, ByCollector: map[string]campaign.Counts{}}
	type row struct {
		b string
		o campaign.Outcome
		n int
	}
	households, err := sqldb.Collect(ctx, s.db.R, "SELECT building, '', COUNT(*) FROM campaign_households WHERE campaign_id = $1 GROUP BY building", []any{id},
		func(r sqldb.Scanner) (row, error) { var x row; return x, r.Scan(&x.b, &x.o, &x.n) })
	if err != nil {
		return p, err
	}
	visits, err := sqldb.Collect(ctx, s.db.R, "SELECT building, outcome, COUNT(*) FROM campaign_latest WHERE campaign_id = $1 GROUP BY building, outcome", []any{id},
		func(r sqldb.Scanner) (row, error) { var x row; return x, r.Scan(&x.b, &x.o, &x.n) })
	if err != nil {
		return p, err
	}
	visited := map[string]int{}
	for _, v := range visits {
		c := p.ByBuilding[v.b]
		c.Add(v.o, v.n)
		p.ByBuilding[v.b] = c
		visited[v.b] += v.n
	}
	for _, h := range households {
		c := p.ByBuilding[h.b]
		c.Add(campaign.NotVisited, h.n-visited[h.b])
		p.ByBuilding[h.b] = c
	}
	for _, c := range p.ByBuilding {
		p.Total.Households += c.Households
		p.Total.Done += c.Done
		p.Total.Refused += c.Refused
		p.Total.Absent += c.Absent
		p.Total.NotVisited += c.NotVisited
	}
	type ub struct{ u, b string }
	cols, err := sqldb.Collect(ctx, s.db.R, "SELECT username, building FROM campaign_collectors WHERE campaign_id = $1", []any{id},
		func(r sqldb.Scanner) (ub, error) { var x ub; return x, r.Scan(&x.u, &x.b) })
	if err != nil {
		return p, err
	}
	for _, x := range cols {
		b, c := p.ByBuilding[x.b], p.ByCollector[x.u]
		c.Households += b.Households
		c.Done += b.Done
		c.Refused += b.Refused
		c.Absent += b.Absent
		c.NotVisited += b.NotVisited
		p.ByCollector[x.u] = c
	}
	return p, nil
}

// Households lists a campaign's households (of some buildings when given)
// with their latest outcome, in id order.
func (s *Store) Households(ctx context.Context, id int64, buildings []string, limit int, after int64) ([]campaign.HouseholdVisit, error) {
	var a sqldb.Args
	q := `SELECT h.household, h.building, COALESCE(hh.unit_no, ''), COALESCE(hh.room, ''), COALESCE(l.outcome, 'not_visited'), l.collected_at, COALESCE(l.collector, '')
		FROM campaign_households h LEFT JOIN households hh ON hh.id = h.household
		LEFT JOIN campaign_latest l ON l.campaign_id = h.campaign_id AND l.household = h.household
		WHERE h.campaign_id = ` + a.Add(id)
	if buildings != nil {
		q += " AND h.building IN (" + s.jsonList(a.Add(list(buildings))) + ")"
	}
	q += " AND h.household > " + a.Add(after) + " ORDER BY h.household LIMIT " + a.Add(limit)
	out, err := sqldb.Collect(ctx, s.db.R, q, a, func(r sqldb.Scanner) (campaign.HouseholdVisit, error) {
		var v campaign.HouseholdVisit
		var hh int64
		var at sql.NullInt64
		if err := r.Scan(&hh, &v.Building, &v.UnitNo, &v.Room, &v.Outcome, &at, &v.Collector); err != nil {
			return v, err
		}
		v.Household = strconv.FormatInt(hh, 10)
		v.CollectedAt = sqldb.FromNullMicros(at)
		return v, nil
	})
	if out == nil {
		out = []campaign.HouseholdVisit{}
	}
	return out, err
}

// Export audits the export and reads every household's latest submission
// in the same transaction: the audit row exists exactly when the answers
// were read.
func (s *Store) Export(ctx context.Context, id int64, actor, reason string, fn func(campaign.SubmissionRow) error) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := sqldb.Audit(ctx, tx, actor, "campaign.export", "campaign:"+strconv.FormatInt(id, 10), reason); err != nil {
			return err
		}
		rows, err := sqldb.Collect(ctx, tx, `SELECT s.submission_id, s.household, s.building, s.collector, s.outcome, s.answers, s.digest, s.collected_at, s.received_at
			FROM campaign_latest l JOIN campaign_submissions s ON s.id = l.submission WHERE l.campaign_id = $1 ORDER BY s.building, s.household`, []any{id}, scanSub)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// keyID is the key a sealed value is under, for the key_id column (0 when
// there is none).
func keyID(ct []byte) int64 {
	id, _ := seal.KeyID(ct)
	return int64(id)
}

// Reseal re-encrypts up to batch submissions' answers not sealed under
// primary, rewriting each with reseal (which opens and seals again under
// the answers' own context). One transaction that locks its rows; answers
// are never edited after they are stored, so nothing else races it but
// another instance's resealer, which the lock serialises.
func (s *Store) Reseal(ctx context.Context, primary int64, batch int, reseal func(campaign int64, submission string, ct []byte) ([]byte, error)) (int, error) {
	n := 0
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		type row struct {
			id, campaign int64
			submission   string
			ct           []byte
		}
		rows, err := sqldb.Collect(ctx, tx, `SELECT id, campaign_id, submission_id, answers FROM campaign_submissions
			WHERE answers IS NOT NULL AND key_id <> $1 ORDER BY key_id, id LIMIT $2`+s.db.ForUpdate(), []any{primary, batch},
			func(sc sqldb.Scanner) (row, error) {
				var r row
				return r, sc.Scan(&r.id, &r.campaign, &r.submission, &r.ct)
			})
		if err != nil {
			return err
		}
		for _, r := range rows {
			ct, err := reseal(r.campaign, r.submission, r.ct)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE campaign_submissions SET answers = $1, key_id = $2 WHERE id = $3", ct, keyID(ct), r.id); err != nil {
				return err
			}
		}
		n = len(rows)
		return nil
	})
	return n, err
}
