package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"hotline/internal/csvsafe"
	"hotline/internal/textproc"
)

func init() {
	register("hotspots", "cluster messages about the same problem: hotspots --in CSV --id-col ID --text-cols A,B [--time-col T]", runHotspots)
}

const hotspotsUsage = "hotspots --in CSV --id-col ID --text-cols A,B [--time-col T] [--window-days 60] [--threshold 0.4]"

// runHotspots finds the problems many residents write about (热点问题): it
// prints which messages belong together, one CSV row per message in a
// cluster of two or more, the largest clusters first.
func runHotspots(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("hotspots", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	in := fs.String("in", "", "CSV file (UTF-8, header row), - for standard input")
	idCol := fs.String("id-col", "", "column holding the message id")
	textCols := fs.String("text-cols", "", "comma-separated text columns, title first")
	timeCol := fs.String("time-col", "", "optional column with the message time (YYYY-MM-DD HH:MM[:SS], China time, or RFC 3339): messages are taken in time order and only join clusters within --window-days")
	windowDays := fs.Float64("window-days", 60, "with --time-col: how far apart in time messages of one cluster may be (0: no limit)")
	threshold := fs.Float64("threshold", 0.4, "cosine similarity to a cluster's centroid needed to join it (higher: smaller, tighter clusters)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: hotline "+hotspotsUsage)
		fmt.Fprintln(fs.Output(), "prints CSV cluster,id: one row per message in a cluster of 2 or more")
		fs.PrintDefaults()
	}
	if ok, err := intelParseFlags(fs, args); !ok {
		return err
	}
	switch {
	case *in == "":
		return fmt.Errorf("%w: hotspots: --in is required", errUsage)
	case *idCol == "":
		return fmt.Errorf("%w: hotspots: --id-col is required", errUsage)
	case *textCols == "":
		return fmt.Errorf("%w: hotspots: --text-cols is required", errUsage)
	case *threshold <= 0 || *threshold > 1:
		return fmt.Errorf("%w: hotspots: --threshold must be in (0, 1]", errUsage)
	case *windowDays < 0:
		return fmt.Errorf("%w: hotspots: --window-days must not be negative", errUsage)
	}
	tab, err := readIntelCSV(e, *in)
	if err != nil {
		return err
	}
	ids, err := tab.columns("hotspots", "--id-col", []string{*idCol})
	if err != nil {
		return err
	}
	texts, err := tab.columns("hotspots", "--text-cols", intelSplitCols(*textCols))
	if err != nil {
		return err
	}
	timeIdx := -1
	if *timeCol != "" {
		tc, err := tab.columns("hotspots", "--time-col", []string{*timeCol})
		if err != nil {
			return err
		}
		timeIdx = tc[0]
	}

	opts := textproc.ClusterOptions{Threshold: *threshold}
	if timeIdx >= 0 {
		opts.Window = time.Duration(*windowDays * float64(24*time.Hour))
	}
	docs := make([]textproc.ClusterDoc, len(tab.rows))
	rowOf := make(map[string]int, len(tab.rows))
	badTimes := 0
	for i := range tab.rows {
		id := tab.cell(i, ids[0])
		if _, dup := rowOf[id]; dup {
			return fmt.Errorf("hotspots: id %q appears twice (rows %d and %d of the data)", id, rowOf[id]+1, i+1)
		}
		rowOf[id] = i
		docs[i] = textproc.ClusterDoc{ID: id, Text: tab.text(i, texts)}
		if timeIdx >= 0 {
			at, ok := parseMessageTime(tab.cell(i, timeIdx))
			if !ok {
				badTimes++
			}
			docs[i].At = at
		}
	}
	if badTimes > 0 {
		fmt.Fprintf(e.stderr, "%d rows have no readable time in %s; they are clustered without a time limit\n", badTimes, *timeCol)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	clusters := textproc.ClusterAll(docs, opts).Clusters(2)
	if err := ctx.Err(); err != nil {
		return err
	}

	w := csvsafe.NewWriter(e.stdout) // ids and labels come from the input file
	_ = w.Write([]string{"cluster", "id"})
	clustered := 0
	for n, c := range clusters {
		// Members in input order, so the output is easy to check against
		// the file.
		rows := make([]int, 0, len(c.Members))
		for _, id := range c.Members {
			rows = append(rows, rowOf[id])
		}
		slices.Sort(rows)
		for _, r := range rows {
			_ = w.Write([]string{strconv.Itoa(n + 1), tab.cell(r, ids[0])})
		}
		clustered += len(rows)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d messages, %d in %d clusters of 2 or more (%v)\n", len(docs), clustered, len(clusters), time.Since(start).Round(time.Millisecond))
	for n, c := range clusters[:min(10, len(clusters))] {
		span := ""
		if !c.First.IsZero() {
			span = fmt.Sprintf(" %s..%s", c.First.Format("2006-01-02"), c.Last.Format("2006-01-02"))
		}
		fmt.Fprintf(e.stderr, "  cluster %d: %d messages%s  %s\n", n+1, c.Size, span, c.Label)
	}
	return nil
}

// shanghai is China time, in which the data's times are written; fixed
// +08:00 (China has no daylight saving) so no time zone database is needed.
var shanghai = time.FixedZone("CST", 8*3600)

// parseMessageTime reads the time formats found in hotline exports.
func parseMessageTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/01/02 15:04:05", "2006/01/02 15:04", "2006-01-02", "2006/01/02"} {
		if t, err := time.ParseInLocation(layout, s, shanghai); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
