package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"hotline/internal/demo"
	"hotline/internal/gen"
	"hotline/internal/order"
	"hotline/internal/store"
	"hotline/internal/textproc"
)

func init() {
	register("bench", "benchmark data: bench generate --db URL --orders N [--years 3] [--seed S]", runBench)
}

const benchUsage = "bench generate --db URL --orders N [--years 3] [--seed S]"

// runBench writes realistic generated orders for measuring the dashboards at
// scale (docs/benchmarks.md).
func runBench(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "generate" {
		return fmt.Errorf("%w: usage: hotline %s", errUsage, benchUsage)
	}
	fs := flags(e, "bench generate")
	db := fs.String("db", "", "database URL: sqlite:PATH or postgres://… (or $HOTLINE_DB)")
	n := fs.Int("orders", 0, "number of orders to generate")
	years := fs.Int("years", 3, "years of history, ending now")
	seed := fs.Uint64("seed", 1, "random seed (the same seed gives the same orders)")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *n <= 0 || *n > 50_000_000 {
		return fmt.Errorf("%w: --orders must be 1 to 50000000", errUsage)
	}
	if *years < 1 || *years > 20 {
		return fmt.Errorf("%w: --years must be 1 to 20", errUsage)
	}
	url, err := dbURL(e, *db, true)
	if err != nil {
		return err
	}
	need := uint64(*n) * gen.BytesPerOrder
	if dir := dataDir(ctx, url); dir != "" {
		free, err := freeBytes(dir)
		if err == nil && free < need+need/5 {
			return fmt.Errorf("bench generate: %d orders need about %.1f GB of disk; %s has %.1f GB free: refusing (use fewer --orders or free some space)",
				*n, float64(need)/1e9, dir, float64(free)/1e9)
		}
		if err == nil {
			fmt.Fprintf(e.stderr, "disk: about %.1f GB needed, %.1f GB free in %s\n", float64(need)/1e9, float64(free)/1e9, dir)
		}
	} else {
		fmt.Fprintf(e.stderr, "disk: cannot see the database server's disk; about %.1f GB will be needed there\n", float64(need)/1e9)
	}

	st, svc, done, err := openStoreService(ctx, e, url)
	if err != nil {
		return err
	}
	defer done()
	units, err := st.Units(ctx)
	if err != nil {
		return err
	}
	if len(units) == 0 {
		fmt.Fprintln(e.stderr, "empty database: loading the demo subdistrict (units, categories, compounds) first")
		if err := demo.Load(ctx, svc, st); err != nil {
			return err
		}
		if units, err = st.Units(ctx); err != nil {
			return err
		}
	}
	cfg := gen.Config{Orders: *n, Years: *years, Seed: *seed, End: time.Now().UTC(),
		Schedule: order.Schedule{Policy: svc.Policy(), Calendar: svc.Calendar},
		// What the server's intelligence (intel.Intel.Tokens) indexes on create.
		Tokens: textproc.Default().SearchTokens}
	for _, u := range units {
		if u.Kind != "center" && u.Active {
			cfg.Units = append(cfg.Units, u)
		}
	}
	cats, err := st.Categories(ctx)
	if err != nil {
		return err
	}
	for _, c := range cats {
		if strings.Contains(c.Code, ".") && c.Active && c.Unit != "" {
			cfg.Categories = append(cfg.Categories, c)
		}
	}
	if cfg.Compounds, err = st.Compounds(ctx, ""); err != nil {
		return err
	}
	start := time.Now()
	last := start
	cfg.Progress = func(k int) {
		if time.Since(last) > 5*time.Second || k == *n {
			last = time.Now()
			el := time.Since(start).Seconds()
			fmt.Fprintf(e.stderr, "\r%d/%d orders (%.0f/s)   ", k, *n, float64(k)/el)
		}
	}
	events, err := gen.Generate(ctx, st, cfg)
	fmt.Fprintln(e.stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "generated %d orders, %d events in %s (rollups rebuilt)\n", *n, events, time.Since(start).Round(time.Second))
	return nil
}

// dataDir is a local folder holding the database, when it can be known: the
// SQLite file's folder, or a local PostgreSQL server's data directory.
func dataDir(ctx context.Context, url string) string {
	if p, ok := strings.CutPrefix(url, "sqlite:"); ok {
		d := filepath.Dir(p)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return ""
		}
		return d
	}
	st, err := store.Open(ctx, url)
	if err != nil {
		return ""
	}
	defer st.Close()
	d, err := st.DataDirectory(ctx)
	if err != nil {
		return ""
	}
	if _, err := os.Stat(d); err != nil {
		return ""
	}
	return d
}

func freeBytes(dir string) (uint64, error) {
	var s syscall.Statfs_t
	if err := syscall.Statfs(dir, &s); err != nil {
		return 0, err
	}
	return s.Bavail * uint64(s.Bsize), nil
}
