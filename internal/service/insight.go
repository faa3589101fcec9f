package service

import (
	"context"
	"sort"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/place"
	"hotline/internal/store"
	"hotline/internal/textproc"
)

// PastCase is a closed order like the one at hand, with its reply.
type PastCase struct {
	ID     string  `json:"id"`
	Number string  `json:"number"`
	Title  string  `json:"title"`
	Reply  string  `json:"reply"`
	Score  float64 `json:"score"`
}

// Hotspot is a cluster of orders about one problem (many callers, one
// construction site), for proactive governance (未诉先办).
type Hotspot struct {
	ID    string   `json:"id"`
	Label string   `json:"label"`
	Place string   `json:"place"`
	Terms []string `json:"terms"`
	Size  int      `json:"size"`
	Open  int      `json:"open"`
	// Distinct counts the calls that are not copies of another (a repost
	// counts once toward heat). Regrown flags a hotspot that was handled
	// (orders merged into one case) and has new open orders since.
	Distinct int  `json:"distinct"`
	Regrown  bool `json:"regrown"`
	// Case is the order its calls were merged into (a case made from the
	// hotspot, or the call the others were merged into), nil while nobody
	// handles it.
	Case    *HotspotCase `json:"case"`
	First   time.Time    `json:"first"`
	Last    time.Time    `json:"last"`
	Heat    float64      `json:"heat"`
	Members []string     `json:"members"`
}

// TrainResult reports a training run of the suggestion models.
type TrainResult struct {
	Models  []textproc.ModelVersion `json:"models"`
	Skipped string                  `json:"skipped,omitempty"`
}

// Insight is the optional, richer side of the intelligence: past cases,
// hotspots and training. The intel package implements it.
type Insight interface {
	PastCases(title, description, exclude string, limit int) []PastCase
	Hotspots(minSize, limit int, now time.Time) []Hotspot
	OpenMembers(h Hotspot) []string
	Train(ctx context.Context, st TextStore) (TrainResult, error)
}

// TextStore is what the text intelligence reads and writes of the orders'
// store: the orders' texts it learns from, its models, the nightly job's
// claim, and the catalogue and compounds it suggests from. The service hands
// its own store through it (Reload, Retrain) and the app the same one at
// start and nightly; the intelligence gets nothing else of the database. It
// is declared here, beside Insight, because the two sides must name the
// same type for the intelligence to satisfy Insight.
type TextStore interface {
	ForEachOrderText(ctx context.Context, open bool, limit int, fn func(store.OrderText) error) error
	ForEachMergedOrderText(ctx context.Context, since time.Time, limit int, fn func(store.OrderText) error) error
	LatestModelID(ctx context.Context, kind string) (string, error)
	LatestModel(ctx context.Context, kind string) (textproc.ModelVersion, error)
	SaveModel(ctx context.Context, m *textproc.ModelVersion) error
	ClaimJobRun(ctx context.Context, job, period, owner string, now time.Time) (bool, error)
	Categories(ctx context.Context) ([]org.Category, error)
	Compounds(ctx context.Context, committee string) ([]place.OrderCompound, error)
}

func (s *Service) insight() (Insight, error) {
	if in, ok := s.Intel.(Insight); ok {
		return in, nil
	}
	return nil, apperr.New(apperr.NotFound, "the text intelligence is not running on this server")
}

// PastCases returns the closed orders most like an order, with their replies,
// among those the actor may read (visibleIDs): a handler is shown its own
// unit's past cases only, as it could open no other.
func (s *Service) PastCases(ctx context.Context, a Actor, id string, limit int) ([]PastCase, error) {
	in, err := s.insight()
	if err != nil {
		return nil, err
	}
	o, err := s.visibleOrder(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 20 {
		limit = 5
	}
	return keepVisible(ctx, s, a, limit,
		func(n int) []PastCase { return in.PastCases(o.Title, o.Description, o.ID, n) },
		func(c PastCase) string { return c.ID })
}

// Hotspots lists the hottest clusters. A cluster is made of every order's
// text (its label and terms come from all its members), so only those who
// may read every order (order.ScopeOf: leaders, dispatchers, operators,
// admins) see them; a handler is refused rather than shown a cluster built
// partly from other units' orders.
func (s *Service) Hotspots(ctx context.Context, a Actor, limit int) ([]Hotspot, error) {
	if !order.ScopeOf(a).All {
		return nil, apperr.New(apperr.Forbidden, "hotspots are made of every unit's orders: the center's roles only")
	}
	in, err := s.insight()
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	hs := in.Hotspots(2, limit, s.now())
	if hs == nil {
		hs = []Hotspot{}
	}
	return hs, nil
}

// MergeHotspot turns a hotspot into one case: every open order of the
// cluster is merged into its oldest open order. It returns the parent.
func (s *Service) MergeHotspot(ctx context.Context, a Actor, clusterID string) (OrderView, error) {
	if err := requireRole(a, order.RoleDispatcher); err != nil {
		return OrderView{}, err
	}
	in, err := s.insight()
	if err != nil {
		return OrderView{}, err
	}
	var h *Hotspot
	for _, c := range in.Hotspots(2, 0, s.now()) {
		if c.ID == clusterID {
			h = &c
			break
		}
	}
	if h == nil {
		return OrderView{}, apperr.New(apperr.NotFound, "no hotspot %s", truncateStr(clusterID, 20))
	}
	ids := in.OpenMembers(*h)
	sort.Slice(ids, func(i, j int) bool {
		return len(ids[i]) < len(ids[j]) || (len(ids[i]) == len(ids[j]) && ids[i] < ids[j])
	})
	if len(ids) < 2 {
		return OrderView{}, apperr.New(apperr.Conflict, "the hotspot has fewer than two open orders to merge")
	}
	parent := ids[0]
	var failed []string
	for _, id := range ids[1:] {
		o, err := s.store.GetOrder(ctx, id)
		if err != nil || !o.Status.Open() {
			continue
		}
		v := o.Version
		if _, err := s.Act(ctx, a, id, order.ActMerge, order.Input{Version: &v, Into: parent}); err != nil {
			failed = append(failed, o.Number)
		}
	}
	pv, err := s.GetOrder(ctx, a, parent)
	if err != nil {
		return OrderView{}, err
	}
	if len(failed) > 0 {
		s.Log.Warn("hotspot merge skipped orders", "hotspot", clusterID, "orders", strings.Join(failed, ","))
	}
	return pv, nil
}

// Retrain trains new versions of the suggestion models now (admin).
func (s *Service) Retrain(ctx context.Context, a Actor) (TrainResult, error) {
	if err := requireRole(a, order.RoleAdmin); err != nil {
		return TrainResult{}, err
	}
	in, err := s.insight()
	if err != nil {
		return TrainResult{}, err
	}
	res, err := in.Train(ctx, s.store)
	if err == nil {
		s.audit(ctx, a, "retrain", "models")
	}
	return res, err
}

// Models lists the trained model versions with their held-out accuracy.
func (s *Service) Models(ctx context.Context, a Actor) ([]textproc.ModelVersion, error) {
	if err := requireRole(a, order.RoleAdmin, order.RoleLeader, order.RoleDispatcher); err != nil {
		return nil, err
	}
	ms, err := s.store.Models(ctx, 50)
	if ms == nil {
		ms = []textproc.ModelVersion{}
	}
	return ms, err
}
