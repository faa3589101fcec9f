package store

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"hotline/internal/order"
)

// Observer hears of the store's business events, for metrics: app (through
// the API's registry) turns them into Prometheus series, so the store never
// imports a metrics library. Either func may be nil.
type Observer struct {
	// Batch is one group commit: the creates and audited views it carried.
	Batch func(size int)
	// Notify is one notification stored (a duplicate, refused by its
	// unique key, is not one).
	Notify func(kind string)
}

// observer is the store's Observer; an atomic pointer because the
// committer goroutine reads it while app may set it.
type observer struct{ p atomic.Pointer[Observer] }

// SetObserver sets who hears of batches and notifications.
func (s *Store) SetObserver(o Observer) { s.obs.p.Store(&o) }

func (s *Store) observeBatch(n int) {
	if o := s.obs.p.Load(); o != nil && o.Batch != nil {
		o.Batch(n)
	}
}

func (s *Store) observeNotify(kind string) {
	if o := s.obs.p.Load(); o != nil && o.Notify != nil {
		o.Notify(kind)
	}
}

// Figures are the business figures /metrics shows, counted at scrape time
// from the orders themselves (so every instance reports the same truth).
type Figures struct {
	OpenByStatus  map[order.Status]int
	OverdueByUnit map[string]int // "" is orders overdue with no unit
}

// BusinessFigures counts open orders by status and overdue orders by unit
// (overdueSQL: Order.Overdue as SQL). Both read only open orders, through
// orders_status and the covering orders_open_deadlines.
func (s *Store) BusinessFigures(ctx context.Context, now time.Time) (Figures, error) {
	f := Figures{OpenByStatus: map[order.Status]int{}, OverdueByUnit: map[string]int{}}
	var open []string
	for _, st := range order.Statuses {
		if st.Open() {
			open = append(open, "'"+string(st)+"'")
		}
	}
	in := "status IN (" + strings.Join(open, ",") + ")"
	rows, err := s.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM orders WHERE `+in+` GROUP BY status`)
	if err != nil {
		return f, mapErr(err)
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return f, mapErr(err)
		}
		f.OpenByStatus[order.Status(st)] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, mapErr(err)
	}
	// Only these states have a running deadline (overdueSQL); naming them
	// lets both databases read the covering orders_open_deadlines index
	// instead of every open order's row.
	rows, err = s.r.QueryContext(ctx, `SELECT COALESCE(unit, ''), COUNT(*) FROM orders
		WHERE status IN ('dispatched', 'accepted', 'in_progress', 'return_requested') AND `+strings.ReplaceAll(overdueSQL, "$N", "$1")+`
		GROUP BY COALESCE(unit, '')`, micros(now))
	if err != nil {
		return f, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var unit string
		var n int
		if err := rows.Scan(&unit, &n); err != nil {
			return f, mapErr(err)
		}
		f.OverdueByUnit[unit] = n
	}
	return f, mapErr(rows.Err())
}
