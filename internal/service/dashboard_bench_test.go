package service_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"hotline/internal/gen"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/place"
	"hotline/internal/service"
	"hotline/internal/store"
	"hotline/internal/testenv"
	"hotline/internal/textproc"
)

// BenchmarkDashboard times the overview (this month, from the rollups) and
// the trends (eight weeks of categories, 92 days of repeat callers and
// places read from the orders) over a generated year of 20,000 orders on
// SQLite.
func BenchmarkDashboard(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, testenv.SQLiteURL(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	for _, u := range testUnits {
		u.Active = true
		if err := st.PutUnit(ctx, u); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []org.Category{{Code: "env.noise", Name: "噪音", Unit: "cityops"}, {Code: "housing.leak", Name: "漏水", Unit: "housing"}} {
		c.Attributes, c.Active = []byte("[]"), true
		if err := st.PutCategory(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	var comps []place.OrderCompound
	for _, c := range []string{"c1", "c2", "c3"} {
		comps = append(comps, place.OrderCompound{Code: c, Name: c, Committee: "binyang"})
		if err := st.PutCompound(ctx, comps[len(comps)-1]); err != nil {
			b.Fatal(err)
		}
	}
	svc, err := service.New(ctx, st, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	end := time.Date(2026, 3, 20, 4, 0, 0, 0, time.UTC)
	svc.Now = func() time.Time { return end }
	cats, _ := st.Categories(ctx)
	if _, err := gen.Generate(ctx, st, gen.Config{Orders: 20000, Years: 1, Seed: 3, End: end, Units: testUnits[1:], Categories: cats,
		Compounds: comps, Schedule: order.Schedule{Policy: svc.Policy(), Calendar: svc.Calendar}, Tokens: textproc.Default().SearchTokens}); err != nil {
		b.Fatal(err)
	}
	from := store.DayDate(store.DayOf(end) - 91)
	to := store.DayDate(store.DayOf(end))
	d := dashOf(svc)
	b.Run("overview", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.Overview(ctx, leader, "", "", ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("trends", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.Trends(ctx, leader, from, to, "", 8, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}
