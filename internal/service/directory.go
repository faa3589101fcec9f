package service

// The directory every logged-in user reads (units, categories, compounds);
// what admins change of it, and of users and settings, is internal/admin.

import (
	"context"

	"hotline/internal/access"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/place"
	"hotline/internal/store"
)

func requireRole(a Actor, roles ...order.Role) error { return access.RequireRole(a.Role, roles...) }

// Units lists the units (everyone logged in may read them).
func (s *Service) Units(ctx context.Context) ([]org.Unit, error) { return s.store.Units(ctx) }

// Categories lists the category catalogue.
func (s *Service) Categories(ctx context.Context) ([]org.Category, error) {
	return s.store.Categories(ctx)
}

// Compounds lists the compounds, optionally of one committee.
func (s *Service) Compounds(ctx context.Context, committee string) ([]place.OrderCompound, error) {
	return s.store.Compounds(ctx, committee)
}

func (s *Service) audit(ctx context.Context, a Actor, action, target string) {
	if err := s.store.Audit(ctx, store.AuditEntry{At: s.now(), Actor: a.Username, Action: action, Target: target}); err != nil {
		s.Log.Error("audit write failed", "err", err)
	}
}
