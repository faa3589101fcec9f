package service

import (
	"context"
	"strings"
	"time"

	"hotline/internal/order"
)

// EarlierOrder is one of a caller's earlier orders as intake shows it:
// what it was about and where it stands, without the caller's own details
// (the operator has just typed the number).
type EarlierOrder struct {
	ID, Number, Title string
	Status            order.Status
	Unit              string
	CreatedAt         time.Time
}

// CallerHistory lists the earlier orders of the caller with this phone
// number, newest first, for intake. Only roles that see callers in full
// (order.SeesCallerInFull) get any: to anyone else a phone number's history
// would reveal who called about what, so they get none, not a masked list.
// A number shorter than 7 characters finds nothing (half-typed).
func (s *Service) CallerHistory(ctx context.Context, a Actor, phone string, limit int) ([]EarlierOrder, error) {
	phone = strings.TrimSpace(phone)
	if !order.SeesCallerInFull(a.Role) || len(phone) < 7 || len(phone) > 24 {
		return nil, nil
	}
	list, err := s.store.OrdersByPhone(ctx, phone, limit)
	if err != nil {
		return nil, err
	}
	out := make([]EarlierOrder, 0, len(list))
	for _, o := range list {
		if !o.Visible(a) {
			continue
		}
		out = append(out, EarlierOrder{ID: o.ID, Number: o.Number, Title: o.Title, Status: o.Status, Unit: o.Unit, CreatedAt: o.CreatedAt})
	}
	return out, nil
}
