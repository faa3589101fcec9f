package service

import (
	"context"

	"hotline/internal/apperr"
	"hotline/internal/order"
)

// Every view of orders goes through order.ScopeOf, the one rule of who may
// read which order: GetOrder and the other reads of one order check it (visibleOrder), the lists and counts
// pass it to the store as SeenBy, and the views derived from other orders
// (similar past cases, similar open orders) keep only the orders it admits
// (visibleIDs). Issue 12, defect 4: similar past cases showed a handler
// another unit's closed order, its reply included, because the past-case
// index knows nothing of units and no check was made on the cases found.

// visibleOrder reads one order for the actor: Forbidden (another unit's)
// when order.Order.Visible does not admit them.
func (s *Service) visibleOrder(ctx context.Context, a Actor, id string) (order.Order, error) {
	o, err := s.store.GetOrder(ctx, id)
	if err != nil {
		return order.Order{}, err
	}
	if !o.Visible(a) {
		return order.Order{}, apperr.New(apperr.Forbidden, "this order belongs to another unit").Because(apperr.ReasonOtherUnit)
	}
	return o, nil
}

// candidatesScoped is how many candidates a derived view asks the text
// intelligence for when its reader sees only part of the orders, so that
// enough remain after the others are left out.
const candidatesScoped = 100

// listScope returns the store's SeenBy filter for the actor: "" for every
// order; a Forbidden error when the actor may read none.
func listScope(a Actor) (string, error) {
	sc := order.ScopeOf(a)
	switch {
	case sc.All:
		return "", nil
	case sc.None():
		if a.Role == order.RoleVolunteer {
			return "", apperr.New(apperr.Forbidden, "volunteers do not see work orders")
		}
		return "", apperr.New(apperr.Forbidden, "role %s without a unit sees no work orders", a.Role)
	}
	return sc.Unit, nil
}

// visibleIDs returns which of the ids the actor may read, deciding on each
// order with order.Order.Visible. Nothing is read when the actor's scope is
// every order or none.
func (s *Service) visibleIDs(ctx context.Context, a Actor, ids []string) (map[string]bool, error) {
	keep := make(map[string]bool, len(ids))
	sc := order.ScopeOf(a)
	switch {
	case sc.All:
		for _, id := range ids {
			keep[id] = true
		}
		return keep, nil
	case sc.None() || len(ids) == 0:
		return keep, nil
	}
	orders, err := s.store.OrderUnits(ctx, ids)
	if err != nil {
		return nil, err
	}
	for id, o := range orders {
		if o.Visible(a) {
			keep[id] = true
		}
	}
	return keep, nil
}

// keepVisible returns the first limit of the candidates find gives (best
// first) that the actor may read. An actor who reads every order gets
// find(limit) as it is, with nothing read from the store. Otherwise find is
// asked for 4×limit candidates, and once more for candidatesScoped when too
// few of those are the actor's: a handler's view stays full without paying
// for a hundred candidates each time.
func keepVisible[T any](ctx context.Context, s *Service, a Actor, limit int, find func(n int) []T, id func(T) string) ([]T, error) {
	out := []T{}
	sc := order.ScopeOf(a)
	if sc.None() {
		return out, nil
	}
	if sc.All {
		return append(out, find(limit)...), nil
	}
	for _, n := range []int{4 * limit, max(4*limit, candidatesScoped)} {
		found := find(n)
		ids := make([]string, len(found))
		for i, f := range found {
			ids[i] = id(f)
		}
		keep, err := s.visibleIDs(ctx, a, ids)
		if err != nil {
			return nil, err
		}
		out = out[:0]
		for _, f := range found {
			if keep[id(f)] && len(out) < limit {
				out = append(out, f)
			}
		}
		if len(out) == limit || len(found) < n || n >= candidatesScoped {
			break // full, no more candidates to ask for, or asked for the most
		}
	}
	return out, nil
}

// SimilarOpen returns the open orders that look like a text, best first,
// among those the actor may read (intake's "similar open orders").
func (s *Service) SimilarOpen(ctx context.Context, a Actor, title, description string, limit int) ([]Similar, error) {
	if s.Intel == nil {
		return []Similar{}, nil
	}
	return keepVisible(ctx, s, a, limit,
		func(n int) []Similar { return s.Intel.Similar(title, description, n) },
		func(x Similar) string { return x.ID })
}
