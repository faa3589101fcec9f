// Package importer reads orders from files — NYC and Los Angeles 311
// exports, Open311 GeoReport v2 JSON, and the project's own orders CSV —
// and feeds them to the service's bulk path in batches (hotline import).
// It also writes the orders CSV (the export). docs/import.md maps every
// format's fields to ours.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // the 311 exports are in America/New_York and America/Los_Angeles

	"hotline/internal/service"
)

// RowError is a bad row with its line (the line where a CSV record or a
// JSON element starts).
type RowError = service.RowError

// Source yields the rows of a file: a row, a *RowError for a row that
// cannot be read (then reading goes on), or io.EOF at the end. Any other
// error stops the import.
type Source interface {
	Next() (service.ImportRow, error)
}

type opener func(r io.Reader) (Source, error)

var formats = map[string]opener{}

// Formats lists the formats NewSource knows.
func Formats() []string {
	out := make([]string, 0, len(formats))
	for f := range formats {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// NewSource opens a reader in a format.
func NewSource(format string, r io.Reader) (Source, error) {
	op, ok := formats[format]
	if !ok {
		return nil, fmt.Errorf("unknown format %q: one of %s", format, strings.Join(Formats(), ", "))
	}
	return op(r)
}

// Stats is the running account of an import.
type Stats struct {
	Rows     int // rows read, good and bad
	Imported int
	Existing int // already imported (same source and id): skipped
	Bad      int // could not be imported: skipped, with a message
	Elapsed  time.Duration
}

// Skipped is every row not imported now.
func (s Stats) Skipped() int { return s.Existing + s.Bad }

// Options tune Run.
type Options struct {
	Batch    int              // orders per transaction (default 5000)
	OnError  func(e RowError) // called for every bad row, in file order
	Progress func(s Stats)    // called after every batch
	Now      func() time.Time // for Elapsed; default time.Now
}

// Run reads a whole source and imports it batch by batch: each batch is
// validated and tokenised while the previous one is written, and written in
// one transaction. A failed write stops the import; everything before it
// stays (and a re-run skips it).
func Run(ctx context.Context, svc *service.Service, src Source, opt Options) (Stats, error) {
	if opt.Batch <= 0 {
		opt.Batch = 5000
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	// Parsing, validation and segmentation make many short-lived values
	// while little stays live (two batches): at Go's default GOGC=100 the
	// collector took ~17% of the import's CPU. A larger heap goal for the
	// import's duration (a few hundred MB at most), unless GOGC was set.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	start := opt.Now()
	type prepared struct {
		batch service.ImportBatch
		bad   []RowError
		rows  int
		err   error
	}
	ch := make(chan prepared, 2)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(ch)
		rows := make([]service.ImportRow, 0, opt.Batch)
		var bad []RowError
		n := 0
		flush := func() bool {
			b, more := svc.PrepareImport(rows)
			bad = append(bad, more...)
			sort.SliceStable(bad, func(i, j int) bool { return bad[i].Line < bad[j].Line })
			select {
			case ch <- prepared{batch: b, bad: bad, rows: n}:
			case <-ctx.Done():
				return false
			}
			rows, bad, n = make([]service.ImportRow, 0, opt.Batch), nil, 0
			return true
		}
		for {
			r, err := src.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			var re *RowError
			if errors.As(err, &re) {
				bad = append(bad, *re)
				n++
				continue
			}
			if err != nil {
				select {
				case ch <- prepared{err: err}:
				case <-ctx.Done():
				}
				return
			}
			rows = append(rows, r)
			n++
			if len(rows) == opt.Batch && !flush() {
				return
			}
		}
		if n > 0 {
			flush()
		}
	}()
	var st Stats
	defer func() {
		// Rebuild what the dashboards derive from orders, once, whatever
		// was committed (even when a later batch failed).
		if st.Imported > 0 {
			if err := svc.FinishImport(context.WithoutCancel(ctx)); err != nil && opt.OnError != nil {
				opt.OnError(RowError{Line: 0, Err: fmt.Errorf("rebuilding the dashboard rollups: %w", err)})
			}
		}
	}()
	for p := range ch {
		if p.err != nil {
			st.Elapsed = opt.Now().Sub(start)
			return st, p.err
		}
		st.Rows += p.rows
		for _, e := range p.bad {
			st.Bad++
			if opt.OnError != nil {
				opt.OnError(e)
			}
		}
		res, err := svc.WriteImport(ctx, p.batch)
		if err != nil {
			st.Elapsed = opt.Now().Sub(start)
			return st, err
		}
		st.Imported += res.Imported
		st.Existing += res.Existing
		st.Elapsed = opt.Now().Sub(start)
		if opt.Progress != nil {
			opt.Progress(st)
		}
	}
	st.Elapsed = opt.Now().Sub(start)
	return st, ctx.Err()
}
