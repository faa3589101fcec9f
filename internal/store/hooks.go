package store

import (
	"context"
	"database/sql"

	"hotline/internal/order"
)

// CreateOrderWith stores a new order like CreateOrder and runs after inside
// the same transaction, once the order has its id and number: the
// in-transaction hook through which another module (a patrol finding) writes
// its own rows so that they and the order commit or fail together, without
// reaching inside the store. A create with a hook takes the per-order path of
// the group commit (its own savepoint).
func (s *Store) CreateOrderWith(ctx context.Context, o *order.Order, ev order.Event, tokens []string,
	after func(ctx context.Context, tx *sql.Tx, o *order.Order) error) error {
	var hook func(ctx context.Context, tx *sql.Tx, id int64) error
	if after != nil {
		hook = func(ctx context.Context, tx *sql.Tx, _ int64) error { return after(ctx, tx, o) }
	}
	return s.createOrder(ctx, o, ev, tokens, nil, hook)
}
