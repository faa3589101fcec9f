package app

import (
	"context"
	"database/sql"
	"net/http"

	"hotline/internal/access"
	"hotline/internal/community/patrol"
	"hotline/internal/community/patrol/patrolapi"
	"hotline/internal/community/patrol/patroldb"
	"hotline/internal/order"
	"hotline/internal/service"
)

// patrolOrders adapts the orders' service to patrol.OrderCreator: a
// finding becomes an order through the one create path, in whose
// transaction the finding is written.
type patrolOrders struct{ svc *service.Service }

func (p patrolOrders) CreatePatrolOrder(ctx context.Context, u access.User, in order.NewOrder,
	after func(ctx context.Context, tx *sql.Tx, id, number string) error) (string, string, error) {
	in.Source = order.SourcePatrol
	v, err := p.svc.CreateOrderWith(ctx, service.ActorOf(u), in, []order.Source{order.SourcePatrol},
		func(ctx context.Context, tx *sql.Tx, o *order.Order) error { return after(ctx, tx, o.ID, o.Number) })
	return v.ID, v.Number, err
}

// newPatrol migrates the patrol module and builds its service. Volunteers'
// phones are sealed, so without a data key the module is off, as the
// registry is: its schema is migrated, its routes answer 503 saying why
// (patrolapi.NoKey) and its pages say so, and m.Patrol stays nil.
func (m *Main) newPatrol(ctx context.Context) error {
	db := m.Store.DB()
	if err := patroldb.Migrate(ctx, db); err != nil {
		return err
	}
	if m.DataKey == nil {
		m.Log.Warn("volunteers and patrols are off: no data key (HOTLINE_DATA_KEY or --data-key-file)")
		return nil
	}
	m.Patrol = &patrol.Service{Store: patroldb.New(db, m.DataKey), Orders: patrolOrders{m.Svc}}
	return nil
}

func (m *Main) mountPatrol(mux *http.ServeMux) {
	if m.Patrol == nil {
		patrolapi.MountUnavailable(m.API.Routes(mux)) // no data key: 503 saying how to set one, not 404
		return
	}
	patrolapi.Mount(m.API.Routes(mux), m.Patrol)
}
