package dashboard

import (
	"context"
	"encoding/json"
	"strings"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/store"
)

// MapCompound is a compound on the hotspot map.
type MapCompound struct {
	Code      string          `json:"code"`
	Name      string          `json:"name"`
	Committee string          `json:"committee"`
	Outline   json.RawMessage `json:"outline"` // GeoJSON geometry or feature, null when none
	Lat       *float64        `json:"lat"`
	Lng       *float64        `json:"lng"`
	Orders    int             `json:"orders"`
}

// MapPoint is an order on the map: its own position, or its compound's
// centroid (approximate=true).
type MapPoint struct {
	ID          string  `json:"id"`
	Number      string  `json:"number"`
	Type        string  `json:"type"`
	Status      string  `json:"status"`
	Category    string  `json:"category"`
	Compound    string  `json:"compound,omitempty"`
	Lat         float64 `json:"lat"`
	Lng         float64 `json:"lng"`
	Approximate bool    `json:"approximate"`
	URL         string  `json:"url"`
}

// MapView is the hotspot map's data.
type MapView struct {
	Period    DashPeriod    `json:"period"`
	Unit      string        `json:"unit,omitempty"`
	Category  string        `json:"category,omitempty"`
	Compounds []MapCompound `json:"compounds"`
	Points    []MapPoint    `json:"points"`
	// Total is the orders of the period (with the filters); Points are the
	// newest MaxMapPoints of them that have a position or a compound
	// (Truncated when the period has more orders than that).
	Total     int  `json:"total"`
	Truncated bool `json:"truncated"`
}

// MaxMapPoints caps the points of one map answer (newest first).
const MaxMapPoints = 2000

// Map returns the compounds (GeoJSON outlines, centroids, the number
// of orders of the period at each) and the orders as points.
func (s *Service) Map(ctx context.Context, a order.Actor, from, to, unit, category string) (MapView, error) {
	unit, err := s.dashboardScope(a, unit)
	if err != nil {
		return MapView{}, err
	}
	p, err := s.PeriodOf(from, to)
	if err != nil {
		return MapView{}, err
	}
	if len(category) > 100 {
		return MapView{}, apperr.Field("category", "too long")
	}
	cs, err := s.store.Compounds(ctx, "")
	if err != nil {
		return MapView{}, err
	}
	mv := MapView{Period: p, Unit: unit, Category: category, Compounds: []MapCompound{}, Points: []MapPoint{}}
	idx := map[string]int{}
	for _, c := range cs {
		mc := MapCompound{Code: c.Code, Name: c.Name, Committee: c.Committee, Lat: c.Lat, Lng: c.Lng, Outline: json.RawMessage("null")}
		if strings.TrimSpace(c.GeoJSON) != "" && json.Valid([]byte(c.GeoJSON)) {
			mc.Outline = json.RawMessage(c.GeoJSON)
		}
		idx[c.Code] = len(mv.Compounds)
		mv.Compounds = append(mv.Compounds, mc)
	}
	f := store.DashFilter{From: p.start(), To: p.end(), Unit: unit, Category: category}
	counts, err := s.store.CompoundCounts(ctx, f)
	if err != nil {
		return MapView{}, err
	}
	for c, n := range counts {
		mv.Total += n
		if i, ok := idx[c]; ok {
			mv.Compounds[i].Orders += n
		}
	}
	f.Limit = MaxMapPoints + 1
	err = s.store.DashOrders(ctx, f, func(o store.DashOrder) error {
		i, inCompound := idx[o.Compound]
		pt := MapPoint{ID: o.ID, Number: o.Number, Type: o.Type, Status: o.Status, Category: o.Category, Compound: o.Compound, URL: "/orders/" + o.ID}
		switch {
		case o.Lat != nil && o.Lng != nil:
			pt.Lat, pt.Lng = *o.Lat, *o.Lng
		case inCompound && mv.Compounds[i].Lat != nil && mv.Compounds[i].Lng != nil:
			pt.Lat, pt.Lng, pt.Approximate = *mv.Compounds[i].Lat, *mv.Compounds[i].Lng, true
		default:
			return nil
		}
		mv.Points = append(mv.Points, pt)
		return nil
	})
	if err != nil {
		return MapView{}, err
	}
	if len(mv.Points) > MaxMapPoints {
		mv.Points = mv.Points[:MaxMapPoints]
	}
	mv.Truncated = mv.Total > MaxMapPoints
	return mv, nil
}
