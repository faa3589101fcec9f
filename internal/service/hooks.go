package service

import (
	"context"
	"database/sql"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/store"
)

// CreateOrderWith creates an order through the same path as intake
// (validation, the category suggested from its text, search tokens, the
// intelligence told) and runs after in the order's own transaction, with the
// order's id and number set: another module's rows (a patrol finding that
// became this order) commit exactly when the order does. The caller has
// already decided that a may do this (the module's own rules); the source
// must be one of allowed. When in.Category is empty and the text suggests
// one, the suggestion is taken, since no operator is there to pick it.
func (s *Service) CreateOrderWith(ctx context.Context, a Actor, in order.NewOrder, allowed []order.Source,
	after func(ctx context.Context, tx *sql.Tx, o *order.Order) error) (OrderView, error) {
	if in.Category == "" && s.Intel != nil {
		if sug := s.Intel.Suggest(in.Title, in.Description); sug.Category != nil && s.categoryKnown(sug.Category.Code) {
			in.Category = sug.Category.Code
		}
	}
	return s.createWith(ctx, a, in, allowed, func(o *order.Order, ev order.Event, tokens []string) error {
		return s.store.CreateOrderWith(ctx, o, ev, tokens, after)
	})
}

// NoteOrdersWith appends a `note` event with body to each order's timeline
// (each in its own hash chain, its version checked) and runs write first in
// the same transaction: a meeting linked to orders is written together with
// the notes that point to it, and what write returns (the new meeting's id)
// is added to the notes' body before they are hashed. The orders must exist
// and be visible to a (else Invalid on field); their state does not change
// and closed orders take the note too, since a meeting may look back at a
// closed case.
func (s *Service) NoteOrdersWith(ctx context.Context, a Actor, field string, ids []string, body map[string]any,
	write func(ctx context.Context, tx *sql.Tx) (map[string]any, error)) error {
	before := func(ctx context.Context, tx *sql.Tx) error {
		extra, err := write(ctx, tx)
		for k, v := range extra {
			body[k] = v
		}
		return err
	}
	if len(ids) == 0 {
		return s.store.DB().Tx(ctx, func(tx *sql.Tx) error { return before(ctx, tx) })
	}
	now := s.now()
	note := func(cur order.Order) store.Change {
		n := cur
		n.Version = cur.Version + 1
		n.UpdatedAt = now
		ev := order.Event{OrderID: cur.ID, At: now, Actor: a.Username, Action: string(order.ActNote), From: cur.Status, To: cur.Status, Body: body}
		return store.Change{Order: n, PrevVersion: cur.Version, Event: ev}
	}
	missing := func(id string) error { return apperr.FieldProblem(field, apperr.NoOrder(truncateStr(id, 40))) }
	_, err := s.store.UpdateOrder(ctx, ids[0], func(cur order.Order, load store.Loader) (store.Mutation, error) {
		if !cur.Visible(a) {
			return store.Mutation{}, missing(ids[0])
		}
		m := store.Mutation{Changes: []store.Change{note(cur)}, Before: before}
		for _, id := range ids[1:] {
			o, err := load(id)
			if apperr.Is(err, apperr.NotFound) || (err == nil && !o.Visible(a)) {
				return store.Mutation{}, missing(id)
			}
			if err != nil {
				return store.Mutation{}, err
			}
			m.Changes = append(m.Changes, note(o))
		}
		return m, nil
	})
	if apperr.Is(err, apperr.NotFound) {
		return missing(ids[0])
	}
	return err
}

// OrderIDByNumber finds the id of the order numbered number that a may
// see, for the pages where a worker types an order's number (linking a
// meeting to an order): NotFound when there is none or it is not a's.
func (s *Service) OrderIDByNumber(ctx context.Context, a Actor, number string) (string, error) {
	o, err := s.store.GetOrderByNumber(ctx, number)
	if err != nil {
		return "", err
	}
	if !o.Visible(a) {
		return "", apperr.New(apperr.NotFound, "no order %s", truncateStr(number, 20))
	}
	return o.ID, nil
}

// Deliver puts a community module's notice into the staff's inbox (the
// orders' notifications), once: n names its action and meeting (the only
// kind so far), and a second delivery of the same (action, kind, target,
// deadline) stores nothing, however many sweepers run. It reports whether
// this call stored it.
func (s *Service) Deliver(ctx context.Context, n store.Notification) (bool, error) {
	if n.ActionID == "" || n.MeetingID == "" || n.OrderID != "" {
		return false, apperr.New(apperr.Internal, "a delivered notice names an action and its meeting")
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = s.now()
	}
	return s.store.Notify(ctx, n)
}

// ActionNotices lists a's inbox entries about meetings' actions, newest
// first (what GET /api/v1/meeting_notices shows).
func (s *Service) ActionNotices(ctx context.Context, a Actor, limit int) ([]store.Notification, error) {
	list, err := s.store.ActionNotifications(ctx, inboxes(a), limit)
	if list == nil {
		list = []store.Notification{}
	}
	return list, err
}
