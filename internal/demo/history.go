package demo

import (
	"context"
	"fmt"
	"time"

	histgen "hotline/internal/gen"
	"hotline/internal/order"
	"hotline/internal/service"
)

// HistoryOrders is the size of the demo's past year: about what a
// subdistrict of 宾阳路's size (three committees, some 25,000 people) gets
// from 12345 in a year, enough for every rate and ranking to mean something.
const HistoryOrders = 20000

// historySeed fixes the demo's year: the same start-up gives the same
// orders (relative to the day it runs).
const historySeed = 18

// loadHistory writes the demo's past year, ending at end, through the
// simulator (internal/gen) and the store's bulk history path, which also
// rebuilds the rollups the dashboards read. The hand-written orders come
// after it, so they are the newest.
func loadHistory(ctx context.Context, svc *service.Service, st Store, n int, end time.Time) error {
	units, err := st.Units(ctx)
	if err != nil {
		return err
	}
	cats, err := st.Categories(ctx)
	if err != nil {
		return err
	}
	cfg := histgen.Config{Orders: n, Years: 1, Seed: historySeed, End: end,
		Schedule: order.Schedule{Policy: svc.Policy(), Calendar: svc.Calendar},
		Tokens:   svc.TextTokens,
		Demo:     &histgen.Demo{Calendar: svc.Calendar}}
	for _, u := range units {
		if u.Kind != "center" && u.Active {
			cfg.Units = append(cfg.Units, u)
		}
	}
	for _, c := range cats {
		if c.Active {
			cfg.Categories = append(cfg.Categories, c)
		}
	}
	if cfg.Compounds, err = st.Compounds(ctx, ""); err != nil {
		return err
	}
	for _, c := range cfg.Compounds {
		bs, err := st.Buildings(ctx, c.Code)
		if err != nil {
			return err
		}
		cfg.Demo.Buildings = append(cfg.Demo.Buildings, bs...)
	}
	if _, err := histgen.Generate(ctx, st, cfg); err != nil {
		return fmt.Errorf("demo history: %w", err)
	}
	return nil
}
