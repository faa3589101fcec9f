package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/order"
)

// FeedPlatform is a municipal platform allowed to push orders (the feed of
// issue 6). Secret is sealed by internal/feed; the store never sees it in
// the clear.
type FeedPlatform struct {
	Name       string
	Secret     string
	DeliverURL string
	Active     bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// PutFeedPlatform adds a platform or replaces its secret, URL and state.
func (s *Store) PutFeedPlatform(ctx context.Context, p FeedPlatform) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO feed_platforms (name, secret, deliver_url, active, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$5)
			ON CONFLICT(name) DO UPDATE SET secret=excluded.secret, deliver_url=excluded.deliver_url, active=excluded.active, updated_at=excluded.updated_at`,
			p.Name, p.Secret, p.DeliverURL, p.Active, micros(p.UpdatedAt))
		return err
	})
}

// FeedPlatform returns a platform by name.
func (s *Store) FeedPlatform(ctx context.Context, name string) (FeedPlatform, error) {
	var p FeedPlatform
	var c, u int64
	err := s.r.QueryRowContext(ctx, `SELECT name, secret, deliver_url, active, created_at, updated_at FROM feed_platforms WHERE name=$1`, name).
		Scan(&p.Name, &p.Secret, &p.DeliverURL, &p.Active, &c, &u)
	if err == sql.ErrNoRows {
		return p, apperr.New(apperr.NotFound, "no platform %q", truncate(name, 40))
	}
	if err != nil {
		return p, mapErr(err)
	}
	p.CreatedAt, p.UpdatedAt = fromMicros(c), fromMicros(u)
	return p, nil
}

// FeedPlatforms lists every platform.
func (s *Store) FeedPlatforms(ctx context.Context) ([]FeedPlatform, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, secret, deliver_url, active, created_at, updated_at FROM feed_platforms ORDER BY name`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []FeedPlatform
	for rows.Next() {
		var p FeedPlatform
		var c, u int64
		if err := rows.Scan(&p.Name, &p.Secret, &p.DeliverURL, &p.Active, &c, &u); err != nil {
			return nil, mapErr(err)
		}
		p.CreatedAt, p.UpdatedAt = fromMicros(c), fromMicros(u)
		out = append(out, p)
	}
	return out, mapErr(rows.Err())
}

// UseFeedNonce records a request signature until expires; it reports false
// when the signature was already used (a replay). Expired signatures are
// purged on the way.
func (s *Store) UseFeedNonce(ctx context.Context, platform, signature string, now, expires time.Time) (bool, error) {
	fresh := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM feed_nonces WHERE expires_at < $1`, micros(now)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO feed_nonces (platform, signature, expires_at) VALUES ($1,$2,$3)
			ON CONFLICT(platform, signature) DO NOTHING`, platform, signature, micros(expires))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		fresh = n == 1
		return nil
	})
	return fresh, err
}

// FeedLink ties an order to the platform that pushed it.
type FeedLink struct {
	Platform          string
	PlatformID        string
	Deadline          *time.Time
	PlatformCreatedAt *time.Time
}

// FeedOrder returns the order a platform pushed under its id, with its link;
// NotFound when there is none.
func (s *Store) FeedOrder(ctx context.Context, source order.Source, externalID string) (order.Order, FeedLink, error) {
	var l FeedLink
	var id int64
	var plat sql.NullString
	var pid sql.NullString
	var dl, pc sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT o.id, f.platform, f.platform_id, f.deadline, f.platform_created_at
		FROM orders o LEFT JOIN feed_orders f ON f.order_id = o.id
		WHERE o.source=$1 AND o.external_id=$2`, string(source), externalID).Scan(&id, &plat, &pid, &dl, &pc)
	if err == sql.ErrNoRows {
		return order.Order{}, l, apperr.New(apperr.NotFound, "no order with platform id %q", truncate(externalID, 40))
	}
	if err != nil {
		return order.Order{}, l, mapErr(err)
	}
	l.Platform, l.PlatformID = plat.String, pid.String
	l.Deadline, l.PlatformCreatedAt = fromNullMicros(dl), fromNullMicros(pc)
	o, err := s.GetOrder(ctx, strconv.FormatInt(id, 10))
	return o, l, err
}

// CreateFeedOrder stores an order pushed by a platform, its link, and the
// outbox row of its creation, in one transaction (with the first event and
// the search tokens, as CreateOrder).
func (s *Store) CreateFeedOrder(ctx context.Context, o *order.Order, ev order.Event, tokens []string, l FeedLink) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.createOrderTx(ctx, tx, o, ev, tokens); err != nil {
			return err
		}
		id := mustID(o.ID)
		if _, err := tx.ExecContext(ctx, `INSERT INTO feed_orders (order_id, platform, platform_id, deadline, platform_created_at) VALUES ($1,$2,$3,$4,$5)`,
			id, l.Platform, l.PlatformID, microsPtr(l.Deadline), microsPtr(l.PlatformCreatedAt)); err != nil {
			return err
		}
		ev.OrderID = o.ID
		ev.Seq = 1
		if err := s.enqueueFeedTx(ctx, tx, *o, ev); err != nil {
			return err
		}
		// Rollups last: the lock order of createOrderTx (store/orders.go).
		return s.rollupCreate(ctx, tx, o) // dashboards (store/rollup.go)
	})
}

// FeedStatus is what the outbox delivers to a platform: one status change.
type FeedStatus struct {
	PlatformOrderID string         `json:"platform_order_id"`
	OrderID         string         `json:"order_id"`
	Number          string         `json:"number"`
	Seq             int            `json:"seq"`
	Action          string         `json:"action"`
	From            string         `json:"from"`
	To              string         `json:"to"`
	Status          string         `json:"status"`
	Unit            *string        `json:"unit"`
	At              time.Time      `json:"at"`
	Due             *time.Time     `json:"due"`
	Body            map[string]any `json:"body"`
}

// enqueueFeedTx writes the outbox row for a status change of an order that
// came through the feed, inside the change's transaction, so the change and
// its delivery are committed together or not at all. Orders that did not
// come through the feed (no feed_orders row) get nothing; events that do not
// change the status get nothing.
func (s *Store) enqueueFeedTx(ctx context.Context, tx *sql.Tx, o order.Order, ev order.Event) error {
	if o.Source != order.SourceCityPlatform || ev.From == ev.To {
		return nil
	}
	st := FeedStatus{PlatformOrderID: o.ExternalID, OrderID: o.ID, Number: o.Number, Seq: ev.Seq, Action: ev.Action,
		From: string(ev.From), To: string(ev.To), Status: string(o.Status), At: ev.At.UTC(), Due: o.Due, Body: ev.Body}
	if o.Unit != "" {
		u := o.Unit
		st.Unit = &u
	}
	if st.Body == nil {
		st.Body = map[string]any{}
	}
	payload, err := json.Marshal(st)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO feed_outbox (platform, order_id, seq, payload, created_at, next_at)
		SELECT platform, order_id, $2, $3, $4, $4 FROM feed_orders WHERE order_id=$1`,
		mustID(o.ID), ev.Seq, string(payload), micros(ev.At))
	return err
}

// OutboxItem is one claimed delivery.
type OutboxItem struct {
	ID       int64
	Platform string
	OrderID  string
	Seq      int
	Payload  []byte
	Attempts int
}

// ClaimOutbox leases up to limit deliverable rows to token until
// now+lease. A row is deliverable when it is due, not leased by someone
// else, and every earlier change of the same order has been delivered (so a
// platform hears of an order's changes in order). PostgreSQL skips rows
// another instance is claiming (FOR UPDATE SKIP LOCKED); SQLite's single
// writer serialises claims; the lease makes both safe across instances.
//
// token names this one claim (not only the instance): every later step
// (OutboxBegin, OutboxDelivered, OutboxFailed, OutboxRelease) acts only
// while lease_owner still equals it, so a worker whose lease ran out and was
// taken over can neither send nor settle the row (issue 12).
func (s *Store) ClaimOutbox(ctx context.Context, token string, now time.Time, lease time.Duration, limit int) ([]OutboxItem, error) {
	var out []OutboxItem
	lock := ""
	if s.Dialect == Postgres {
		lock = " FOR UPDATE OF o SKIP LOCKED"
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `SELECT o.id, o.platform, o.order_id, o.seq, o.payload, o.attempts FROM feed_outbox o
			WHERE o.delivered_at IS NULL AND o.next_at <= $1 AND o.lease_until < $1
			AND NOT EXISTS (SELECT 1 FROM feed_outbox p WHERE p.order_id = o.order_id AND p.delivered_at IS NULL AND p.seq < o.seq)
			ORDER BY o.next_at, o.id LIMIT $2`+lock, micros(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var it OutboxItem
			var oid int64
			var payload string
			if err := rows.Scan(&it.ID, &it.Platform, &oid, &it.Seq, &payload, &it.Attempts); err != nil {
				rows.Close()
				return err
			}
			it.OrderID = strconv.FormatInt(oid, 10)
			it.Payload = []byte(payload)
			out = append(out, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		kept := out[:0]
		for _, it := range out {
			res, err := tx.ExecContext(ctx, `UPDATE feed_outbox SET lease_until=$1, lease_owner=$2 WHERE id=$3 AND lease_until < $4 AND delivered_at IS NULL`,
				micros(now.Add(lease)), token, it.ID, micros(now))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				kept = append(kept, it)
			}
		}
		out = kept
		return nil
	})
	return out, err
}

// OutboxBegin is the step just before a claimed row is sent: if token still
// holds the row's lease (not run out, not taken over), it counts the attempt
// and extends the lease to until, which must cover the whole HTTP exchange
// and recording its outcome. It reports false when the lease was lost: the
// row must not be sent. Counting here, before the request, makes attempts
// the number of requests started, including one a crash interrupted.
func (s *Store) OutboxBegin(ctx context.Context, id int64, token string, now, until time.Time) (attempts int, held bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE feed_outbox SET attempts=attempts+1, lease_until=$1
			WHERE id=$2 AND lease_owner=$3 AND lease_until > $4 AND delivered_at IS NULL RETURNING attempts`,
			micros(until), id, token, micros(now)).Scan(&attempts)
		if err == sql.ErrNoRows {
			return nil
		}
		held = err == nil
		return err
	})
	return attempts, held, mapErr(err)
}

// OutboxDelivered marks a row delivered if token still holds it; it reports
// false when it did not (the lease ran out and another worker took the row
// over: that worker settles it).
func (s *Store) OutboxDelivered(ctx context.Context, id int64, token string, now time.Time) (bool, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE feed_outbox SET delivered_at=$1, lease_until=0, lease_owner='', last_error=''
			WHERE id=$2 AND lease_owner=$3 AND delivered_at IS NULL`, micros(now), id, token)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n == 1, mapErr(err)
}

// OutboxFailed records a failed attempt (counted by OutboxBegin) and when to
// try again, if token still holds the row; it reports whether it did.
func (s *Store) OutboxFailed(ctx context.Context, id int64, token string, next time.Time, msg string) (bool, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE feed_outbox SET next_at=$1, lease_until=0, lease_owner='', last_error=$2
			WHERE id=$3 AND lease_owner=$4 AND delivered_at IS NULL`, micros(next), truncate(msg, 500), id, token)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n == 1, mapErr(err)
}

// OutboxRelease gives back a claimed row that was not sent (its worker is
// stopping, or the claim's lease would end before its turn), so any worker
// may claim it at once instead of after the lease.
func (s *Store) OutboxRelease(ctx context.Context, id int64, token string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE feed_outbox SET lease_until=0, lease_owner='' WHERE id=$1 AND lease_owner=$2 AND delivered_at IS NULL`, id, token)
		return err
	})
}

// OutboxAttempts sums the attempts over the delivered rows and counts the
// rows (the delivery tests: with a receiver that never fails, each row must
// have been sent once).
func (s *Store) OutboxAttempts(ctx context.Context) (rows, attempts int, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(attempts),0) FROM feed_outbox WHERE delivered_at IS NOT NULL`).Scan(&rows, &attempts)
	return rows, attempts, mapErr(err)
}

// OutboxStats counts pending and delivered rows (metrics, tests, the CLI).
func (s *Store) OutboxStats(ctx context.Context) (pending, delivered int, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN delivered_at IS NULL THEN 1 ELSE 0 END),0),
		COALESCE(SUM(CASE WHEN delivered_at IS NULL THEN 0 ELSE 1 END),0) FROM feed_outbox`).Scan(&pending, &delivered)
	return pending, delivered, mapErr(err)
}
