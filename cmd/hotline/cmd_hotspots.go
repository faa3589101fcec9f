package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"hotline/internal/csvsafe"
	"hotline/internal/intel"
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
// --out the competition's two tables as a workbook. The work is
// intel.HotspotsOfFile's; this reads the flags and the file, and prints.
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
	msgs, err := hotspotMessages(tab, *idCol, *textCols, *userCol, *likesCol, *dislikesCol, *timeCol)
	if err != nil {
		return err
	}
	hs, err := intel.HotspotsOfFile(ctx, msgs, intel.FileOptions{Threshold: *threshold, Legacy: *legacy,
		Timed: *timeCol != "", Window: time.Duration(*windowDays * float64(24*time.Hour))})
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return fmt.Errorf("hotspots: %w", err)
	}
	if hs.BadTimes > 0 {
		fmt.Fprintf(e.stderr, "%d rows have no readable time in %s; they are clustered without a time limit\n", hs.BadTimes, *timeCol)
	}
	if *top == 0 && *out == "" {
		return printClusterCSV(e, hs)
	}
	ranked := hs.Ranking(*top, time.Now())
	if *top > 0 {
		if err := printRanking(e, ranked); err != nil {
			return err
		}
	}
	if *out != "" {
		if err := writeHotspotBook(e, *out, hs, ranked); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stderr, "%d messages, %d hotspots of 2 or more (%v)\n", hs.Messages, len(hs.Clusters), hs.Took)
	return nil
}

// hotspotMessages reads the messages out of the file's columns: the id,
// the text columns (title first), and the optional sender, likes,
// dislikes and time columns ("" for none).
func hotspotMessages(tab *intelTable, idCol, textCols, userCol, likesCol, dislikesCol, timeCol string) ([]intel.FileMessage, error) {
	ids, err := tab.columns("hotspots", "--id-col", []string{idCol})
	if err != nil {
		return nil, err
	}
	texts, err := tab.columns("hotspots", "--text-cols", intelSplitCols(textCols))
	if err != nil {
		return nil, err
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
	var timeIdx, userIdx, likesIdx, dislikesIdx int
	for _, c := range []struct {
		idx        *int
		flag, name string
	}{{&timeIdx, "--time-col", timeCol}, {&userIdx, "--user-col", userCol}, {&likesIdx, "--likes-col", likesCol}, {&dislikesIdx, "--dislikes-col", dislikesCol}} {
		if *c.idx, err = optional(c.flag, c.name); err != nil {
			return nil, err
		}
	}
	cell := func(row, col int) string {
		if col < 0 {
			return ""
		}
		return tab.cell(row, col)
	}
	msgs := make([]intel.FileMessage, len(tab.rows))
	for i := range tab.rows {
		msgs[i] = intel.FileMessage{ID: tab.cell(i, ids[0]), Text: tab.text(i, texts), Subject: tab.cell(i, texts[0]), Body: tab.text(i, texts[1:]),
			Caller: cell(i, userIdx), Likes: cell(i, likesIdx), Dislikes: cell(i, dislikesIdx), Time: cell(i, timeIdx)}
	}
	return msgs, nil
}

// printRanking prints the ranking as a table, the competition's columns.
func printRanking(e env, ranked []textproc.Ranked) error {
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "热度排名\t问题ID\t热度指数\t时间范围\t地点/人群\t问题描述\t留言数\t不同留言人")
	for _, r := range ranked {
		place := r.Place
		if place == "" {
			place = "—"
		}
		fmt.Fprintf(w, "%d\t%s\t%.1f\t%s\t%s\t%s\t%d\t%d\n", r.Rank, r.ID, r.Heat.Value, report.TimeRange(r.Cluster), place, report.Problem(r.Cluster), r.Size, r.Heat.Callers)
	}
	return w.Flush()
}

// writeHotspotBook writes the ranking and its messages to an .xlsx file.
func writeHotspotBook(e env, path string, hs *intel.FileHotspots, ranked []textproc.Ranked) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("hotspots: %w", err)
	}
	if err := hs.Workbook(ranked).WriteXLSX(f); err != nil {
		f.Close()
		return fmt.Errorf("hotspots: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("hotspots: %w", err)
	}
	fmt.Fprintf(e.stderr, "wrote %d hotspots to %s\n", len(ranked), path)
	return nil
}

// printClusterCSV prints the script output: cluster,id, one row per message
// in a cluster of 2 or more, the largest clusters first, members in input
// order; then a summary on standard error.
func printClusterCSV(e env, hs *intel.FileHotspots) error {
	w := csvsafe.NewWriter(e.stdout) // ids and labels come from the input file
	_ = w.Write([]string{"cluster", "id"})
	clustered := 0
	for k, c := range hs.Clusters {
		for _, id := range hs.Members(c) {
			_ = w.Write([]string{strconv.Itoa(k + 1), id})
			clustered++
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d messages, %d in %d clusters of 2 or more (%v)\n", hs.Messages, clustered, len(hs.Clusters), hs.Took)
	for k, c := range hs.Clusters[:min(10, len(hs.Clusters))] {
		span := ""
		if !c.First.IsZero() {
			span = fmt.Sprintf(" %s..%s", c.First.Format("2006-01-02"), c.Last.Format("2006-01-02"))
		}
		fmt.Fprintf(e.stderr, "  cluster %d: %d messages%s  %s\n", k+1, c.Size, span, c.Label)
	}
	return nil
}
