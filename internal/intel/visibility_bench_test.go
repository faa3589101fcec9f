package intel_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/demo"
	"hotline/internal/gen"
	"hotline/internal/intel"
	"hotline/internal/order"
	"hotline/internal/service"
	"hotline/internal/store"
	"hotline/internal/testenv"
	"hotline/internal/textproc"
)

// BenchmarkPastCasesVisibility: similar past cases over 20,000 generated
// orders, as the dispatcher (every order: the candidates asked are the
// cases shown, nothing read) beside a handler (issue 12, defect 4: 4×limit
// candidates asked, then 100 if too few are the handler's; their units read
// in one query and each kept if the handler may open it), alternated.
//
//	go test -run '^$' -bench PastCasesVisibility -benchtime 200x ./internal/intel/
func BenchmarkPastCasesVisibility(b *testing.B) {
	ctx := context.Background()
	db := testenv.SQLiteURL(b)
	st, err := store.Open(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	svc, err := service.New(ctx, st, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	if err := demo.Load(ctx, svc, st); err != nil {
		b.Fatal(err)
	}
	cfg := gen.Config{Orders: 20000, Years: 1, Seed: 12, End: time.Now().UTC(),
		Schedule: order.Schedule{Policy: svc.Policy(), Calendar: svc.Calendar}, Tokens: textproc.Default().SearchTokens}
	units, _ := st.Units(ctx)
	for _, u := range units {
		if u.Kind != "center" && u.Active {
			cfg.Units = append(cfg.Units, u)
		}
	}
	cats, _ := st.Categories(ctx)
	for _, c := range cats {
		if strings.Contains(c.Code, ".") && c.Active && c.Unit != "" {
			cfg.Categories = append(cfg.Categories, c)
		}
	}
	if cfg.Compounds, err = st.Compounds(ctx, ""); err != nil {
		b.Fatal(err)
	}
	if _, err := gen.Generate(ctx, st, cfg); err != nil {
		b.Fatal(err)
	}
	st.Close()

	in := intel.New()
	m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: db, Intel: in, Sweep: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Store.Close()
	h := order.Actor{Username: "cityops", Role: order.RoleHandler, Unit: "cityops"}
	list, _, err := m.Svc.ListOrders(ctx, h, service.ListQuery{Status: []order.Status{order.Closed}, Limit: 50})
	if err != nil || len(list) < 50 {
		b.Fatalf("cityops' closed orders: %d %v", len(list), err)
	}
	for _, who := range []order.Actor{h, disp, h, disp} {
		b.Run(string(who.Role), func(b *testing.B) {
			shown := 0
			for i := range b.N {
				cs, err := m.Svc.PastCases(ctx, who, list[i%len(list)].ID, 5)
				if err != nil {
					b.Fatal(err)
				}
				shown += len(cs)
			}
			b.ReportMetric(float64(shown)/float64(b.N), "cases/op")
		})
	}
}
