package store

import (
	"context"
	"database/sql"
	"time"
)

// FeedDeadline returns the municipal platform's deadline of an order it
// pushed (feed_orders.deadline): nil when the order did not come from a
// platform or the platform set no deadline.
func (s *Store) FeedDeadline(ctx context.Context, orderID string) (*time.Time, error) {
	id, err := parseID(orderID)
	if err != nil {
		return nil, nil
	}
	var dl sql.NullInt64
	err = s.r.QueryRowContext(ctx, `SELECT deadline FROM feed_orders WHERE order_id=$1`, id).Scan(&dl)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, mapErr(err)
	}
	return fromNullMicros(dl), nil
}
