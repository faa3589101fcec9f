package registry

import (
	"context"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/place"
)

// The reads the web pages need beyond the API's lists (one building, one
// household), with the same rules: places for whoever reads the area's
// places, nothing for the roles that see no residents when asked through
// the resident pages (those check readsResidents themselves).

// Building returns one building u may read.
func (s *Service) Building(ctx context.Context, u access.User, code string) (place.Building, error) {
	b, err := s.Places.Building(ctx, code)
	if err != nil {
		return b, err
	}
	return b, access.Require(access.ReadsPlaces(u, b.Area), "read another area's places")
}

// Household returns one household whose residents u may see.
func (s *Service) Household(ctx context.Context, u access.User, id int64) (place.Household, error) {
	if err := readsResidents(u); err != nil {
		return place.Household{}, err
	}
	h, err := s.Places.Household(ctx, id)
	if err != nil {
		return h, err
	}
	return h, access.Require(access.SeesPersonal(u, h.Area), "see another area's households")
}

// Compounds lists an area's compounds u may read (every area's for
// leaders and admins when area is "").
func (s *Service) Compounds(ctx context.Context, u access.User, area string) ([]place.Compound, error) {
	if err := readsResidents(u); err != nil {
		return nil, err
	}
	sc, err := access.ListScope(u, area)
	if err != nil {
		return nil, err
	}
	cl, ok := s.Places.(compoundLister)
	if !ok {
		return nil, apperr.New(apperr.Internal, "places cannot list compounds")
	}
	return cl.Compounds(ctx, sc.Area)
}

// compoundLister is what Compounds needs of places beyond Places (placedb
// implements it).
type compoundLister interface {
	Compounds(ctx context.Context, area string) ([]place.Compound, error)
}
