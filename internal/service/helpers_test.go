package service_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"hotline/internal/calendar"
	"hotline/internal/dashboard"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/service"
	"hotline/internal/store"
)

// clock is a settable time source for Service.Now, safe for concurrent reads.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// sh parses a Shanghai wall-clock time "2006-01-02 15:04:05".
func sh(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, calendar.Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// openService opens and migrates the database and builds a service on it
// with its own clock. Each call is a separate connection pool, as a separate
// server process would have.
func openService(t *testing.T, dbURL string, clk *clock) *service.Service {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(ctx, st, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	svc.Now = clk.Now
	return svc
}

// dashOf builds the dashboards on a test service's store, names and clock,
// as the app does.
func dashOf(svc *service.Service) *dashboard.Service {
	d := dashboard.New(service.StoreOf(svc), svc)
	d.Now = func() time.Time { return svc.Now() }
	return d
}

// testUnits are the units of the service tests.
var testUnits = []org.Unit{
	{Code: "center", Name: "城运中心", Kind: "center"},
	{Code: "binyang", Name: "宾阳路居委会", Kind: "committee"},
	{Code: "cityops", Name: "城市管理办", Kind: "section"},
	{Code: "housing", Name: "房管办", Kind: "section"},
}

func putUnits(t *testing.T, svc *service.Service) {
	t.Helper()
	ctx := context.Background()
	for _, u := range testUnits {
		u.Active = true
		if err := service.StoreOf(svc).PutUnit(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
}

var (
	operator   = order.Actor{Username: "operator", Role: order.RoleOperator, Unit: "center"}
	dispatcher = order.Actor{Username: "dispatcher", Role: order.RoleDispatcher, Unit: "center"}
	leader     = order.Actor{Username: "leader", Role: order.RoleLeader, Unit: "center"}
)

func handler(unit string) order.Actor {
	return order.Actor{Username: unit, Role: order.RoleHandler, Unit: unit}
}

// newOrder creates an order and returns its id.
func newOrder(t *testing.T, svc *service.Service, typ order.Type, urg order.Urgency, title string) string {
	t.Helper()
	v, err := svc.CreateOrder(context.Background(), operator, order.NewOrder{Type: typ, Source: order.SourceHotline, Urgency: urg,
		Title: title, Description: title + "，请尽快处理。", Caller: &order.Caller{Name: "王先生", Phone: "13800000101"}})
	if err != nil {
		t.Fatalf("create %s: %v", title, err)
	}
	return v.ID
}

// act takes an action on the order's current version and returns the order after it.
func act(t *testing.T, svc *service.Service, a order.Actor, id string, action order.Action, in order.Input) order.Order {
	t.Helper()
	ctx := context.Background()
	cur, err := service.StoreOf(svc).GetOrder(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	in.Version = &cur.Version
	v, err := svc.Act(ctx, a, id, action, in)
	if err != nil {
		t.Fatalf("order %s (%s) %s by %s: %v", id, cur.Status, action, a.Username, err)
	}
	return v.Order
}

func getOrder(t *testing.T, svc *service.Service, id string) order.Order {
	t.Helper()
	o, err := service.StoreOf(svc).GetOrder(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}
