package service

// What the web pages (internal/web) need beyond the JSON API's calls. Kept
// small: each function is a thin, permission-checked pass to the store or
// the existing service calls.

import (
	"context"
	"strings"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/place"
	"hotline/internal/store"
)

// Buildings lists the buildings of a compound (the intake form's picker).
func (s *Service) Buildings(ctx context.Context, compound string) ([]place.OrderBuilding, error) {
	if !s.compoundKnown(compound) {
		return []place.OrderBuilding{}, nil
	}
	return s.store.Buildings(ctx, compound)
}

// StatusCounts counts the orders the actor may see, per status (the queue's
// and the inbox's tab counts). Handlers count their own unit's orders.
func (s *Service) StatusCounts(ctx context.Context, a Actor) (map[order.Status]int, error) {
	if a.Role == order.RoleHandler && a.Unit == "" {
		return map[order.Status]int{}, nil
	}
	seen, err := listScope(a)
	if err != nil {
		return nil, err
	}
	return s.store.CountByStatus(ctx, seen)
}

// LinkCall records a call at intake and links it to an existing open order
// (并单) in one step: the new order is created by the operator and merged
// into the parent at once, so the caller joins the parent's co-callers and
// is called back with it. Merging is otherwise a dispatcher's action; an
// operator may do it only for the call they are taking, here.
func (s *Service) LinkCall(ctx context.Context, a Actor, in order.NewOrder, into string) (OrderView, error) {
	if a.Role != order.RoleOperator && a.Role != order.RoleDispatcher {
		return OrderView{}, apperr.New(apperr.Forbidden, "role %s may not create orders", a.Role)
	}
	parent, err := s.store.GetOrder(ctx, into)
	if apperr.Is(err, apperr.NotFound) {
		return OrderView{}, apperr.FieldProblem("into", apperr.NoOrder(into))
	}
	if err != nil {
		return OrderView{}, err
	}
	if !parent.Status.Open() {
		return OrderView{}, apperr.FieldProblem("into", apperr.Problem{Text: "the order to merge into must be open; it is " + string(parent.Status), Code: apperr.ProblemMergeTarget})
	}
	v, err := s.CreateOrder(ctx, a, in)
	if err != nil {
		return OrderView{}, err
	}
	merger := Actor{Username: a.Username, Role: order.RoleDispatcher, Unit: a.Unit}
	ver := v.Version
	if _, err := s.Act(ctx, merger, v.ID, order.ActMerge, order.Input{Version: &ver, Into: into}); err != nil {
		return v, err
	}
	return s.GetOrder(ctx, a, into)
}

// CountOrders counts the orders of a list query up to limit (at most 200),
// reporting whether there are more: the tab counts of the queue and the
// inbox. Unlike ListOrders it shows no caller, so it writes no audit entry.
func (s *Service) CountOrders(ctx context.Context, a Actor, q ListQuery, limit int) (int, bool, error) {
	if a.Role == order.RoleHandler && a.Unit == "" {
		return 0, false, nil
	}
	seen, err := listScope(a)
	if err != nil {
		return 0, false, err
	}
	f := store.Filter{Statuses: q.Status, Unit: q.Unit, Type: q.Type, Category: q.Category, Overdue: q.Overdue,
		Supervised: q.Supervised, From: q.From, To: q.To, Now: s.now(), Limit: limit, SeenBy: seen}
	return s.store.CountMatching(ctx, f, limit)
}

// Place is where an order is, written once for every page and export
// (order.Place with the compound's name; an unknown code shows as itself).
func (s *Service) Place(o *order.Order) string {
	return order.Place(s.CompoundName(o.Compound), o.Building, o.Address)
}

// CompoundName is a compound's name (its code when unknown).
func (s *Service) CompoundName(code string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c, ok := s.compounds[code]; ok {
		return c.Name
	}
	return code
}

// SuggestUnit is the one unit suggested for dispatching an order, the same
// at intake, in the queue and on the order page: what the text suggests
// (the intelligence, learnt from which unit kept such orders; intake shows
// the same call's answer) and, when it has nothing, the category's unit
// (or its parent's).
func (s *Service) SuggestUnit(o *order.Order) string {
	if sug := s.Suggest(o.Title, o.Description); sug.Unit != nil && sug.Unit.Code != "" {
		return sug.Unit.Code
	}
	if c, ok := s.Category(o.Category); ok && c.Unit != "" {
		return c.Unit
	}
	if i := strings.IndexByte(o.Category, '.'); i > 0 {
		if c, ok := s.Category(o.Category[:i]); ok {
			return c.Unit
		}
	}
	return ""
}

// OrderPhotos lists an order's photos (without their bytes) for staff who
// may see the order: the citizen's and the handlers' site photos.
func (s *Service) OrderPhotos(ctx context.Context, a Actor, id string) ([]order.Photo, error) {
	if _, err := s.visibleOrder(ctx, a, id); err != nil {
		return nil, err
	}
	return s.store.Photos(ctx, id)
}
