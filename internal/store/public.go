package store

// The public doors' tables (migration 0002): Open311 API keys, the public
// side of an order (tracking token hash, Open311 token and attributes),
// citizen ratings and photos. The order itself stays in orders; these rows
// hang off it by order_id.

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/order"
)

// APIKey is an Open311 client's key; only its SHA-256 hash is stored.
type APIKey struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	Revoked   bool
}

// CreateAPIKey stores a new key hash under a name.
func (s *Store) CreateAPIKey(ctx context.Context, name, hash string, at time.Time) (int64, error) {
	var id int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO api_keys (name, key_hash, created_at) VALUES ($1, $2, $3) RETURNING id`,
		name, hash, micros(at)).Scan(&id)
	return id, mapErr(err)
}

// APIKeyByHash returns the active key with this hash, or NotFound.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (APIKey, error) {
	var k APIKey
	var created int64
	var revoked sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT id, name, created_at, revoked_at FROM api_keys WHERE key_hash = $1`, hash).
		Scan(&k.ID, &k.Name, &created, &revoked)
	if err != nil {
		return APIKey{}, mapErr(err)
	}
	k.CreatedAt, k.Revoked = fromMicros(created), revoked.Valid
	if k.Revoked {
		return APIKey{}, apperr.New(apperr.NotFound, "key revoked")
	}
	return k, nil
}

// PublicMeta, Photo, PublicFilter and PublicRow moved to the order package; the aliases keep older
// callers compiling.
type (
	// PublicMeta is order.PublicMeta.
	PublicMeta = order.PublicMeta
	// Photo is order.Photo.
	Photo = order.Photo
	// PublicFilter is order.PublicFilter.
	PublicFilter = order.PublicFilter
	// PublicRow is order.PublicRow.
	PublicRow = order.PublicRow
)

// CreatePublicOrder stores a new order from a public door together with
// its public side and photos, in one transaction: the citizen is only told
// the number once everything is written.
func (s *Store) CreatePublicOrder(ctx context.Context, o *order.Order, ev order.Event, tokens []string, meta PublicMeta, photos []Photo) error {
	attrs := meta.Attributes
	if attrs == nil {
		attrs = map[string][]string{}
	}
	attrJSON, err := json.Marshal(attrs)
	if err != nil {
		return apperr.Wrap(err, "encode attributes")
	}
	// Goes through the group commit like every create; the public side and
	// the photos are written in the same transaction as the order.
	return s.createOrder(ctx, o, ev, tokens, nil, func(ctx context.Context, tx *sql.Tx, id int64) error {
		var keyID any
		if meta.APIKeyID != 0 {
			keyID = meta.APIKeyID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO public_orders (order_id, channel, tracking_hash, open311_token, api_key_id,
			account_id, device_id, media_url, attributes, praised, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
			id, string(meta.Channel), meta.TrackingHash, meta.Open311Token, keyID, meta.AccountID, meta.DeviceID, meta.MediaURL,
			string(attrJSON), meta.Praised, micros(o.CreatedAt)); err != nil {
			return err
		}
		for _, p := range photos {
			if _, err := tx.ExecContext(ctx, `INSERT INTO order_photos (order_id, content_type, width, height, data, created_at)
				VALUES ($1,$2,$3,$4,$5,$6)`, id, p.ContentType, p.Width, p.Height, p.Data, micros(o.CreatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
}

const publicMetaCols = `order_id, channel, tracking_hash, open311_token, api_key_id, account_id, device_id, media_url, attributes, praised, created_at`

func scanMeta(sc rowScanner) (PublicMeta, error) {
	var (
		m       PublicMeta
		id      int64
		channel string
		keyID   sql.NullInt64
		attrs   string
		created int64
	)
	if err := sc.Scan(&id, &channel, &m.TrackingHash, &m.Open311Token, &keyID, &m.AccountID, &m.DeviceID, &m.MediaURL, &attrs, &m.Praised, &created); err != nil {
		return m, err
	}
	m.OrderID = strconv.FormatInt(id, 10)
	m.Channel = order.Source(channel)
	m.APIKeyID = keyID.Int64
	_ = json.Unmarshal([]byte(attrs), &m.Attributes)
	m.CreatedAt = fromMicros(created)
	return m, nil
}

// PublicMetaOf returns an order's public side; ok is false for orders that
// did not come through a public door.
func (s *Store) PublicMetaOf(ctx context.Context, orderID string) (PublicMeta, bool, error) {
	n, err := parseID(orderID)
	if err != nil {
		return PublicMeta{}, false, err
	}
	m, err := scanMeta(s.r.QueryRowContext(ctx, `SELECT `+publicMetaCols+` FROM public_orders WHERE order_id = $1`, n))
	if err == sql.ErrNoRows {
		return PublicMeta{}, false, nil
	}
	if err != nil {
		return PublicMeta{}, false, mapErr(err)
	}
	return m, true, nil
}

// OrderByTrackingHash returns the order whose tracking token has this hash.
func (s *Store) OrderByTrackingHash(ctx context.Context, hash string) (order.Order, error) {
	if hash == "" {
		return order.Order{}, apperr.New(apperr.NotFound, "no such tracking link")
	}
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT order_id FROM public_orders WHERE tracking_hash = $1`, hash).Scan(&id)
	if err == sql.ErrNoRows {
		return order.Order{}, apperr.New(apperr.NotFound, "no such tracking link")
	}
	if err != nil {
		return order.Order{}, mapErr(err)
	}
	return s.GetOrder(ctx, strconv.FormatInt(id, 10))
}

// NumberByOpen311Token returns the order number an Open311 token stands for.
func (s *Store) NumberByOpen311Token(ctx context.Context, token string) (string, error) {
	var number string
	err := s.r.QueryRowContext(ctx, `SELECT o.number FROM public_orders p JOIN orders o ON o.id = p.order_id
		WHERE p.open311_token = $1`, token).Scan(&number)
	if err == sql.ErrNoRows {
		return "", apperr.New(apperr.NotFound, "no such token")
	}
	return number, mapErr(err)
}

// PublicList returns orders for the public search, newest first.
func (s *Store) PublicList(ctx context.Context, f PublicFilter) ([]PublicRow, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	in := func(col string, vals []string) {
		var ph []string
		for _, v := range vals {
			ph = append(ph, arg(v))
		}
		where = append(where, col+" IN ("+strings.Join(ph, ",")+")")
	}
	if len(f.Numbers) > 0 {
		in("number", f.Numbers)
	}
	switch {
	case f.Others:
		var or []string
		if len(f.Categories) > 0 {
			in("category", f.Categories)
			or = append(or, where[len(where)-1])
			where = where[:len(where)-1]
		}
		if len(f.OtherThan) > 0 {
			in("category", f.OtherThan)
			or = append(or, "NOT "+where[len(where)-1])
			where = where[:len(where)-1]
		} else {
			or = append(or, "1=1")
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	case len(f.Categories) > 0:
		in("category", f.Categories)
	}
	if len(f.Statuses) > 0 {
		var st []string
		for _, x := range f.Statuses {
			st = append(st, string(x))
		}
		in("status", st)
	}
	if f.CreatedFrom != nil {
		where = append(where, "created_at >= "+arg(micros(*f.CreatedFrom)))
	}
	if f.CreatedTo != nil {
		where = append(where, "created_at <= "+arg(micros(*f.CreatedTo)))
	}
	if f.UpdatedAfter != nil {
		where = append(where, "updated_at > "+arg(micros(*f.UpdatedAfter)))
	}
	if f.UpdatedBfr != nil {
		where = append(where, "updated_at < "+arg(micros(*f.UpdatedBfr)))
	}
	q := "SELECT " + orderCols + `, COALESCE((SELECT p.number FROM orders p WHERE p.id = orders.parent), ''),
		COALESCE((SELECT m.media_url FROM public_orders m WHERE m.order_id = orders.id), '') FROM orders`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT " + strconv.Itoa(limit) + " OFFSET " + strconv.Itoa(max(f.Offset, 0))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []PublicRow{}
	for rows.Next() {
		var pr PublicRow
		r, err := scanOrder(extraScanner{rows, []any{&pr.ParentNumber, &pr.MediaURL}})
		if err != nil {
			return nil, mapErr(err)
		}
		pr.Order = r.Order
		out = append(out, pr)
	}
	return out, mapErr(rows.Err())
}

// extraScanner scans the order's columns and then a few more.
type extraScanner struct {
	rows  *sql.Rows
	extra []any
}

func (e extraScanner) Scan(dest ...any) error { return e.rows.Scan(append(dest, e.extra...)...) }

// EventsOf returns the timelines of several orders at once, by order id.
func (s *Store) EventsOf(ctx context.Context, ids []string) (map[string][]order.Event, error) {
	out := map[string][]order.Event{}
	if len(ids) == 0 {
		return out, nil
	}
	var ph []string
	var args []any
	for _, id := range ids {
		n, err := parseID(id)
		if err != nil {
			return nil, err
		}
		args = append(args, n)
		ph = append(ph, "$"+strconv.Itoa(len(args)))
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+eventSelect+`
		FROM order_events WHERE order_id IN (`+strings.Join(ph, ",")+`) ORDER BY order_id, seq`, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	sc := s.eventScanner(ctx)
	for rows.Next() {
		e, err := sc.scan(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out[e.OrderID] = append(out[e.OrderID], e)
	}
	return out, mapErr(rows.Err())
}

// Rating states: pending until it becomes a callback (applied), or
// superseded when the reply it rated was rejected or reopened first.
const (
	RatingPending    = "pending"
	RatingApplied    = "applied"
	RatingSuperseded = "superseded"
)

// Rating is a citizen's own rating of an order's handling, one per round.
type Rating struct {
	ID        string
	OrderID   string
	Round     int
	Outcome   string
	Resolved  bool
	Comment   string
	At        time.Time
	AfterSeq  int // the timeline length when it was given
	State     string
	AppliedAt *time.Time
}

// AddRating stores a rating; a second rating of the same round is a Conflict.
func (s *Store) AddRating(ctx context.Context, r *Rating) error {
	var id int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO citizen_ratings (order_id, round, outcome, resolved, comment, at, after_seq, state)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id`, mustID(r.OrderID), r.Round, r.Outcome, r.Resolved, r.Comment, micros(r.At), r.AfterSeq, r.State).Scan(&id)
	if err != nil {
		err = mapErr(err)
		if apperr.Is(err, apperr.Conflict) {
			return apperr.New(apperr.Conflict, "this order has already been rated")
		}
		return err
	}
	r.ID = strconv.FormatInt(id, 10)
	return nil
}

// Ratings returns an order's ratings, oldest first.
func (s *Store) Ratings(ctx context.Context, orderID string) ([]Rating, error) {
	n, err := parseID(orderID)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, order_id, round, outcome, resolved, comment, at, after_seq, state, applied_at
		FROM citizen_ratings WHERE order_id = $1 ORDER BY round`, n)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []Rating{}
	for rows.Next() {
		var (
			r       Rating
			id, oid int64
			at      int64
			applied sql.NullInt64
		)
		if err := rows.Scan(&id, &oid, &r.Round, &r.Outcome, &r.Resolved, &r.Comment, &at, &r.AfterSeq, &r.State, &applied); err != nil {
			return nil, mapErr(err)
		}
		r.ID, r.OrderID = strconv.FormatInt(id, 10), strconv.FormatInt(oid, 10)
		r.At, r.AppliedAt = fromMicros(at), fromNullMicros(applied)
		out = append(out, r)
	}
	return out, mapErr(rows.Err())
}

// SetRatingState moves a rating from one state to another; it reports
// false when the rating was no longer in the from state (someone else moved
// it first), so a rating is claimed by exactly one instance.
func (s *Store) SetRatingState(ctx context.Context, id, from, to string, at time.Time) (bool, error) {
	var applied any
	if to != RatingPending {
		applied = micros(at)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE citizen_ratings SET state = $1, applied_at = $2 WHERE id = $3 AND state = $4`,
		to, applied, mustID(id), from)
	if err != nil {
		return false, mapErr(err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Photos lists an order's photos without their bytes.
func (s *Store) Photos(ctx context.Context, orderID string) ([]Photo, error) {
	n, err := parseID(orderID)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, content_type, width, height, LENGTH(data), created_at, COALESCE(event_seq, 0) FROM order_photos
		WHERE order_id = $1 ORDER BY id`, n)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []Photo{}
	for rows.Next() {
		var p Photo
		var id, created int64
		if err := rows.Scan(&id, &p.ContentType, &p.Width, &p.Height, &p.Size, &created, &p.EventSeq); err != nil {
			return nil, mapErr(err)
		}
		p.ID, p.OrderID, p.CreatedAt = strconv.FormatInt(id, 10), orderID, fromMicros(created)
		out = append(out, p)
	}
	return out, mapErr(rows.Err())
}

// PhotoData returns one photo of an order with its bytes.
func (s *Store) PhotoData(ctx context.Context, orderID, photoID string) (Photo, error) {
	n, err := parseID(orderID)
	if err != nil {
		return Photo{}, err
	}
	pid, err := strconv.ParseInt(photoID, 10, 64)
	if err != nil || pid <= 0 {
		return Photo{}, apperr.New(apperr.NotFound, "no such photo")
	}
	var p Photo
	var created int64
	err = s.r.QueryRowContext(ctx, `SELECT content_type, width, height, data, created_at, COALESCE(event_seq, 0) FROM order_photos WHERE id = $1 AND order_id = $2`, pid, n).
		Scan(&p.ContentType, &p.Width, &p.Height, &p.Data, &created, &p.EventSeq)
	if err == sql.ErrNoRows {
		return Photo{}, apperr.New(apperr.NotFound, "no such photo")
	}
	if err != nil {
		return Photo{}, mapErr(err)
	}
	p.ID, p.OrderID, p.Size, p.CreatedAt = photoID, orderID, len(p.Data), fromMicros(created)
	return p, nil
}
