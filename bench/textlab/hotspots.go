package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"hotline/internal/textproc"
	"hotline/internal/textproc/textdata"
)

// runHotspotsGrid scores the clusterer on the hand-labelled hotspots
// (B-cubed, tuning and test halves) over a grid of the three thresholds:
// the search behind the defaults in docs/intelligence.md, which used to
// run inside TestHandLabelledHotspots under an environment variable. It
// reads and scores the labels as that test does (textdata.ReadHotspotLabels,
// Clusterer.Score), so the figures agree with the test's for the same
// setting. Choose on the tuning half; the test half is for reporting.
func runHotspotsGrid(l *lab, args []string) error {
	fs := flag.NewFlagSet("hotspots-grid", flag.ContinueOnError)
	labels := fs.String("labels", "internal/textproc/testdata/hotspot_labels.csv", "the hand labels (run from the repository root, or give the path)")
	ths := fs.String("threshold", "0.3,0.35,0.4,0.5", "Threshold values (cosine to join a cluster), comma-separated")
	pts := fs.String("place", "0.05,0.08,0.12,0.16", "PlaceThreshold values (problem-word cosine at the same place)")
	cts := fs.String("conflict", "0.6,0.75,0.9,2", "ConflictThreshold values (cosine across places; 2 = never)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("hotspots-grid: unexpected arguments %q", fs.Args())
	}
	th, err := floatList("threshold", *ths)
	if err != nil {
		return err
	}
	pt, err := floatList("place", *pts)
	if err != nil {
		return err
	}
	ct, err := floatList("conflict", *cts)
	if err != nil {
		return err
	}
	gold, err := textdata.ReadHotspotLabels(*labels)
	if err != nil {
		return fmt.Errorf("hand labels: %w (give -labels)", err)
	}
	teddy, _, err := textdata.TeddyHotspots(l.dir)
	if err != nil {
		return err
	}
	docs := clusterDocs(teddy)
	var opts []textproc.ClusterOptions
	for _, a := range th {
		for _, b := range pt {
			for _, c := range ct {
				opts = append(opts, textproc.ClusterOptions{Threshold: a, PlaceThreshold: b, ConflictThreshold: c})
			}
		}
	}
	fmt.Printf("%d messages, %d labelled (%d tuning, %d test), %d settings\n", len(docs), len(gold.All), len(gold.Tune), len(gold.Test), len(opts))
	start := time.Now()
	err = textproc.ClusterGrid(docs, opts, func(i int, c *textproc.Clusterer) {
		o := opts[i]
		fmt.Printf("threshold %.2f place %.2f conflict %.2f: tuning %v | test %v\n",
			o.Threshold, o.PlaceThreshold, o.ConflictThreshold, c.Score(gold.Tune), c.Score(gold.Test))
	})
	fmt.Printf("(%v)\n", time.Since(start).Round(time.Millisecond))
	return err
}

// floatList parses "0.3,0.4" into the values of the flag name; each must
// be positive (0 would silently mean the default).
func floatList(name, s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("-%s: %q is not a positive number", name, f)
		}
		out = append(out, v)
	}
	return out, nil
}
