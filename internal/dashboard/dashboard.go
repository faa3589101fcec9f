// Package dashboard is the leaders' figures: the dashboards of issue 5
// (overview, ranking, trends, map, praise), the statistics of api.md
// (summary, units) and their workbooks. Counts come from the rollups
// (store/rollup_read.go), which are exact; what the rollups cannot hold
// (overdue now, repeat callers and places, map points, praise texts) is read
// from indexed queries over one period. See docs/dashboards.md.
//
// It was part of the orders' service; it is a service of its own because it
// only reads: it needs the store's rollup reads (Store) and, from the orders'
// service, the cached units and names and the order list for the export
// (Orders), never the orders' actions, transactions or caches.
package dashboard

import (
	"context"
	"crypto/rand"
	"sort"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/place"
	"hotline/internal/service"
	"hotline/internal/stats"
	"hotline/internal/store"
)

// Store is the store's reads the dashboards make: the rollups, the live
// counts the rollups cannot hold, and the directory for names.
type Store interface {
	RateCounts(ctx context.Context, f store.RollupFilter, dim string, now time.Time) (map[string]*store.MetricCounts, error)
	Metrics(ctx context.Context, from, to, now time.Time, unit string, byUnit bool) (map[string]*store.MetricCounts, error)
	OverdueNow(ctx context.Context, now time.Time, unit string) (int, error)
	DayTotals(ctx context.Context, f store.RollupFilter) ([]store.DayTotal, error)
	CreatedGroups(ctx context.Context, f store.RollupFilter) ([]store.CreatedRow, error)
	CreatedUnitDays(ctx context.Context, f store.RollupFilter) ([]store.Count, error)
	CreatedCategoryDays(ctx context.Context, f store.RollupFilter) ([]store.Count, error)
	PlaceOrders(ctx context.Context, f store.DashFilter, fn func(id int64, compound, address, phone string, created time.Time)) error
	CompoundCounts(ctx context.Context, f store.DashFilter) (map[string]int, error)
	DashOrders(ctx context.Context, f store.DashFilter, fn func(store.DashOrder) error) error
	Units(ctx context.Context) ([]org.Unit, error)
	Compounds(ctx context.Context, committee string) ([]place.OrderCompound, error)
}

// Orders is what the dashboards ask of the orders' service: its cached
// units and the names it shows (so a page and its export agree), and the
// order list, whose visibility rules the order-list export keeps.
type Orders interface {
	Unit(code string) (org.Unit, bool)
	UnitLabel(code string) string
	CategoryNames(ctx context.Context) map[string]string
	ListOrders(ctx context.Context, a order.Actor, q service.ListQuery) ([]service.OrderView, string, error)
	Place(o *order.Order) string
}

// Service reads the figures. Create it with New.
type Service struct {
	store  Store
	orders Orders
	// Now is the clock (tests set it).
	Now func() time.Time
	// Callers keys the repeat callers of the trends (a keyed hash of the
	// phone; no number is shown). The app derives it from the data key, so
	// every instance gives a caller the same key; without one it is random
	// per process (keys then differ between instances and restarts).
	Callers *stats.Hasher
}

// New builds the dashboards on the store's reads and the orders' service.
func New(st Store, orders Orders) *Service {
	return &Service{store: st, orders: orders, Now: time.Now, Callers: randomHasher()}
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// randomHasher is the repeat callers' hasher without a data key.
func randomHasher() *stats.Hasher {
	k := make([]byte, 32)
	rand.Read(k)
	return stats.NewHasher(k)
}

// dashboardScope checks who may read a dashboard and returns the unit the
// figures are restricted to: leaders, dispatchers and admins read any unit
// (or all); a handler reads only their own unit, whatever was asked.
func (s *Service) dashboardScope(a order.Actor, unit string) (string, error) {
	switch a.Role {
	case order.RoleLeader, order.RoleDispatcher, order.RoleAdmin:
	case order.RoleHandler:
		if a.Unit == "" { // the empty unit would mean every unit
			return "", apperr.New(apperr.Forbidden, "a handler without a unit sees no dashboard")
		}
		if unit != "" && unit != a.Unit {
			return "", apperr.New(apperr.Forbidden, "a handler sees only the dashboards of their own unit")
		}
		return a.Unit, nil
	default:
		return "", apperr.New(apperr.Forbidden, "role %s may not read the dashboards", a.Role)
	}
	if unit != "" {
		if _, ok := s.orders.Unit(unit); !ok {
			return "", apperr.FieldProblem("unit", apperr.UnknownUnit(unit))
		}
	}
	return unit, nil
}

// DashPeriod is a period of Shanghai dates, both inclusive, and the day
// numbers [FromDay, ToDay) of the rollups.
type DashPeriod struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Days    int    `json:"days"`
	FromDay int64  `json:"-"`
	ToDay   int64  `json:"-"`
}

func (p DashPeriod) start() time.Time { return store.DayStart(p.FromDay) }
func (p DashPeriod) end() time.Time   { return store.DayStart(p.ToDay) }

func periodOf(start, end time.Time) DashPeriod {
	d0, d1 := store.DayOf(start), store.DayOf(end)
	return DashPeriod{From: store.DayDate(d0), To: store.DayDate(d1 - 1), Days: int(d1 - d0), FromDay: d0, ToDay: d1}
}

func daysPeriod(d0, d1 int64) DashPeriod {
	return DashPeriod{From: store.DayDate(d0), To: store.DayDate(d1 - 1), Days: int(d1 - d0), FromDay: d0, ToDay: d1}
}

// PeriodOf parses from/to like Period (default: this month so far).
func (s *Service) PeriodOf(from, to string) (DashPeriod, error) {
	start, end, err := Period(from, to, s.now())
	if err != nil {
		return DashPeriod{}, err
	}
	return periodOf(start, end), nil
}

func nameOr(m map[string]string, k string) string {
	if n, ok := m[k]; ok {
		return n
	}
	return k
}

func sortCounts(c []KeyCount) {
	sort.SliceStable(c, func(i, j int) bool {
		if c[i].N != c[j].N {
			return c[i].N > c[j].N
		}
		return c[i].Key < c[j].Key
	})
}
