package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"hotline/internal/apperr"
	"hotline/internal/importer"
	"hotline/internal/service"
)

func init() {
	register("import", "bulk import: import --db URL --format nyc311|la311|open311json|orders-csv FILE", runImport)
}

// maxReported is how many bad rows are listed one by one.
const maxReported = 200

func runImport(ctx context.Context, e env, args []string) error {
	fs := flags(e, "import")
	db := fs.String("db", "", "database URL")
	format := fs.String("format", "", "input format: "+strings.Join(importer.Formats(), ", "))
	batch := fs.Int("batch", 5000, "orders per transaction")
	if err := fs.Parse(args); err != nil {
		return parse(fs, args)
	}
	// FILE may come before or after the flags.
	rest := fs.Args()
	if len(rest) == 0 {
		return fmt.Errorf("%w: import: FILE is required (- for standard input)", errUsage)
	}
	file := rest[0]
	if err := parse(fs, rest[1:]); err != nil {
		return err
	}
	if *format == "" {
		return fmt.Errorf("%w: import: --format is required: %s", errUsage, strings.Join(importer.Formats(), ", "))
	}
	var in io.Reader = e.stdin
	var size int64
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		in = f
	}
	counter := &importer.CountingReader{R: in}
	src, err := importer.NewSource(*format, counter)
	if err != nil {
		return fmt.Errorf("%w: import: %v", errUsage, err)
	}
	url, err := dbURL(e, *db, true)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, e, url)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	svc, err := service.New(ctx, st, newIntel(logger(e)), logger(e))
	if err != nil {
		return err
	}
	var bar *importer.Bar
	if importer.IsTerminal(e.stderr) {
		bar = importer.StartBar(e.stderr, counter.N, size)
	}
	reported := 0
	opt := importer.Options{Batch: *batch,
		OnError: func(re importer.RowError) {
			reported++
			if reported > maxReported {
				return
			}
			if bar != nil {
				fmt.Fprint(e.stderr, "\r\033[K")
			}
			msg := re.Err.Error()
			var ae *apperr.Error
			if errors.As(re.Err, &ae) {
				msg = ae.Message
			}
			fmt.Fprintf(e.stderr, "line %d: %s (skipped)\n", re.Line, msg)
		},
		Progress: func(s importer.Stats) {
			if bar != nil {
				bar.Update(s)
			}
		}}
	stats, err := importer.Run(ctx, svc, src, opt)
	if bar != nil {
		bar.Update(stats)
		bar.Stop()
	}
	if reported > maxReported {
		fmt.Fprintf(e.stderr, "… and %d more bad rows\n", reported-maxReported)
	}
	fmt.Fprintf(e.stdout, "imported %d, skipped %d (%d already present, %d bad) in %.2fs\n",
		stats.Imported, stats.Skipped(), stats.Existing, stats.Bad, stats.Elapsed.Seconds())
	if err != nil {
		return fmt.Errorf("import stopped after %d rows: %w", stats.Rows, err)
	}
	return nil
}
