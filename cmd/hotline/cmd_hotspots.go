package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"hotline/internal/csvsafe"
	"hotline/internal/report"
	"hotline/internal/textproc"
)

func init() {
	register("hotspots", "find hotspots (one place, one problem, many residents) and rank them by heat: hotspots --in CSV --id-col ID --text-cols A,B [--time-col T] [--top N] [--out FILE.xlsx]", runHotspots)
}

const hotspotsUsage = "hotspots --in CSV --id-col ID --text-cols A,B [--time-col T] [--user-col U] [--likes-col L] [--dislikes-col D] [--window-days 90] [--top N] [--out FILE.xlsx] [--legacy]"

// runHotspots finds the hotspots (热点问题) of a file of messages. Without
// --top or --out it prints which messages belong together (CSV cluster,id,
// for scripts); with --top N it prints the N hottest as a ranking, and with
// --out the competition's two tables as a workbook. Clustering, heat and
// the workbook are textproc's and report's; this only reads the file and
// prints.
func runHotspots(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("hotspots", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	in := fs.String("in", "", "CSV file (UTF-8, header row), - for standard input")
	idCol := fs.String("id-col", "", "column holding the message id")
	textCols := fs.String("text-cols", "", "comma-separated text columns, title (subject) first")
	timeCol := fs.String("time-col", "", "optional column with the message time (YYYY-MM-DD HH:MM[:SS], China time, or RFC 3339): messages are taken in time order and only join hotspots within --window-days")
	userCol := fs.String("user-col", "", "optional column identifying the sender: distinct senders weigh in the heat index (never printed)")
	likesCol := fs.String("likes-col", "", "optional column with likes (点赞数)")
	dislikesCol := fs.String("dislikes-col", "", "optional column with dislikes (反对数)")
	windowDays := fs.Float64("window-days", 90, "with --time-col: a message more than this many days after a hotspot's last one starts a new hotspot (0: no limit)")
	threshold := fs.Float64("threshold", 0, "cosine similarity of the problem words needed to join a hotspot naming no common place (0: the default, 0.4)")
	top := fs.Int("top", 0, "print the N hottest hotspots as a ranking (rank, id, heat, time range, place or group, problem)")
	out := fs.String("out", "", "write the ranking (all hotspots, or the --top N) and the detail of their messages to this .xlsx file")
	legacy := fs.Bool("legacy", false, "cluster on words alone, as before issue 17 (for comparison)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: hotline "+hotspotsUsage)
		fmt.Fprintln(fs.Output(), "without --top or --out, prints CSV cluster,id: one row per message in a cluster of 2 or more")
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
	case *threshold < 0 || *threshold > 1:
		return fmt.Errorf("%w: hotspots: --threshold must be in [0, 1]", errUsage)
	case *windowDays < 0:
		return fmt.Errorf("%w: hotspots: --window-days must not be negative", errUsage)
	case *top < 0:
		return fmt.Errorf("%w: hotspots: --top must not be negative", errUsage)
	case *out != "" && !strings.HasSuffix(strings.ToLower(*out), ".xlsx"):
		return fmt.Errorf("%w: hotspots: --out must name an .xlsx file", errUsage)
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
	optional := func(flagName, name string) (int, error) {
		if name == "" {
			return -1, nil
		}
		c, err := tab.columns("hotspots", flagName, []string{name})
		if err != nil {
			return -1, err
		}
		return c[0], nil
	}
	timeIdx, err := optional("--time-col", *timeCol)
	if err != nil {
		return err
	}
	userIdx, err := optional("--user-col", *userCol)
	if err != nil {
		return err
	}
	likesIdx, err := optional("--likes-col", *likesCol)
	if err != nil {
		return err
	}
	dislikesIdx, err := optional("--dislikes-col", *dislikesCol)
	if err != nil {
		return err
	}

	opts := textproc.ClusterOptions{Threshold: *threshold, Legacy: *legacy}
	if timeIdx >= 0 {
		opts.Window = time.Duration(*windowDays * float64(24*time.Hour))
	}
	docs := make([]textproc.ClusterDoc, len(tab.rows))
	msgs := make(map[string]report.HotspotMessage, len(tab.rows))
	rowOf := make(map[string]int, len(tab.rows))
	badTimes := 0
	var latest time.Time
	count := func(row, col int) int {
		if col < 0 {
			return 0
		}
		n, _ := strconv.Atoi(strings.TrimSpace(tab.cell(row, col)))
		return max(n, 0)
	}
	for i := range tab.rows {
		id := tab.cell(i, ids[0])
		if _, dup := rowOf[id]; dup {
			return fmt.Errorf("hotspots: id %q appears twice (rows %d and %d of the data)", id, rowOf[id]+1, i+1)
		}
		rowOf[id] = i
		docs[i] = textproc.ClusterDoc{ID: id, Text: tab.text(i, texts), Likes: count(i, likesIdx), Dislikes: count(i, dislikesIdx)}
		if userIdx >= 0 {
			docs[i].Caller = tab.cell(i, userIdx)
		}
		m := report.HotspotMessage{ID: id, Subject: tab.cell(i, texts[0]), Text: tab.text(i, texts[1:]), Likes: docs[i].Likes, Dislikes: docs[i].Dislikes}
		if timeIdx >= 0 {
			at, ok := parseMessageTime(tab.cell(i, timeIdx))
			if !ok {
				badTimes++
			} else {
				m.At = at
				if at.After(latest) {
					latest = at
				}
			}
			docs[i].At = at
		}
		msgs[id] = m
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
	took := time.Since(start).Round(time.Millisecond)

	if *top == 0 && *out == "" {
		return printClusterCSV(e, clusters, rowOf, tab, ids[0], len(docs), took)
	}
	// Heat is measured at the file's last message: a file of past messages
	// is ranked as it stood when it was exported.
	now := latest
	if now.IsZero() {
		now = time.Now()
	}
	ranked := textproc.Rank(clusters, now)
	if *top > 0 && len(ranked) > *top {
		ranked = ranked[:*top]
	}
	if *top > 0 {
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "热度排名\t问题ID\t热度指数\t时间范围\t地点/人群\t问题描述\t留言数\t不同留言人")
		for _, r := range ranked {
			place := r.Place
			if place == "" {
				place = "—"
			}
			fmt.Fprintf(w, "%d\t%s\t%.1f\t%s\t%s\t%s\t%d\t%d\n", r.Rank, r.ID, r.Heat.Value, report.TimeRange(r.Cluster), place, report.Problem(r.Cluster), r.Size, r.Heat.Callers)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("hotspots: %w", err)
		}
		if err := report.HotspotBook(ranked, msgs).WriteXLSX(f); err != nil {
			f.Close()
			return fmt.Errorf("hotspots: writing %s: %w", *out, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("hotspots: %w", err)
		}
		fmt.Fprintf(e.stderr, "wrote %d hotspots to %s\n", len(ranked), *out)
	}
	fmt.Fprintf(e.stderr, "%d messages, %d hotspots of 2 or more (%v)\n", len(docs), len(clusters), took)
	return nil
}

// printClusterCSV prints the script output: cluster,id, one row per message
// in a cluster of 2 or more, the largest clusters first, members in input
// order; then a summary on standard error.
func printClusterCSV(e env, clusters []textproc.Cluster, rowOf map[string]int, tab *intelTable, idCol, n int, took time.Duration) error {
	w := csvsafe.NewWriter(e.stdout) // ids and labels come from the input file
	_ = w.Write([]string{"cluster", "id"})
	clustered := 0
	for k, c := range clusters {
		rows := make([]int, 0, len(c.Members))
		for _, id := range c.Members {
			rows = append(rows, rowOf[id])
		}
		slices.Sort(rows)
		for _, r := range rows {
			_ = w.Write([]string{strconv.Itoa(k + 1), tab.cell(r, idCol)})
		}
		clustered += len(rows)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d messages, %d in %d clusters of 2 or more (%v)\n", n, clustered, len(clusters), took)
	for k, c := range clusters[:min(10, len(clusters))] {
		span := ""
		if !c.First.IsZero() {
			span = fmt.Sprintf(" %s..%s", c.First.Format("2006-01-02"), c.Last.Format("2006-01-02"))
		}
		fmt.Fprintf(e.stderr, "  cluster %d: %d messages%s  %s\n", k+1, c.Size, span, c.Label)
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
