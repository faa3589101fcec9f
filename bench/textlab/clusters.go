package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"hotline/internal/textproc"
	"hotline/internal/textproc/textdata"
)

// runClusters prints hotspot cluster quality (the proxies of
// docs/intelligence.md) for several thresholds and windows on both files,
// and on request a sample of clusters to read by hand: titles go to the
// terminal only, never into docs.
func runClusters(l *lab, args []string) error {
	fs := flag.NewFlagSet("clusters", flag.ContinueOnError)
	gasSample := fs.Bool("gas-sample", false, "print a sample of the gas complaints' clusters")
	sample := fs.Float64("sample", -1, "print every 12th Teddy cluster at this threshold (0 = the default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	teddy, titles, err := textdata.TeddyHotspots(l.dir)
	if err != nil {
		return err
	}
	gas, rows, err := textdata.Gas(l.dir)
	if err != nil {
		return err
	}
	tdocs, gdocs := clusterDocs(teddy), clusterDocs(gas)
	tids, gids := idsOf(teddy), idsOf(gas)
	for _, th := range []float64{0.3, 0.35, 0.4, 0.5, 0.6} {
		for _, win := range []time.Duration{0, 30 * 24 * time.Hour} {
			start := time.Now()
			q := textdata.TeddyQuality(groups(textproc.ClusterAll(tdocs, textproc.ClusterOptions{Threshold: th, Window: win}).Clusters(2)), titles, tids)
			fmt.Printf("teddy threshold %.2f window %v: %s (%v)\n", th, win, q, time.Since(start).Round(time.Millisecond))
		}
	}
	for _, th := range []float64{0.3, 0.4, 0.5} {
		q := textdata.GasQuality(groups(textproc.ClusterAll(gdocs, textproc.ClusterOptions{Threshold: th}).Clusters(2)), rows, gids)
		fmt.Printf("gas threshold %.2f: %s\n", th, q)
	}
	if *gasSample {
		for i, c := range textproc.ClusterAll(gdocs, textproc.ClusterOptions{}).Clusters(2) {
			if i%5 != 0 && i > 10 {
				continue
			}
			var ts []string
			for _, id := range c.Members[:min(6, len(c.Members))] {
				r := rows[id]
				body := []rune(r["replyContentMain"])
				ts = append(ts, r["city"]+" | "+r["title"]+" | "+string(body[:min(40, len(body))]))
			}
			fmt.Printf("%s size %d [%s]\n    %s\n", c.ID, c.Size, c.Label, strings.Join(ts, "\n    "))
		}
	}
	if *sample >= 0 {
		// A systematic sample: every 12th cluster by size, all members.
		for i, c := range textproc.ClusterAll(tdocs, textproc.ClusterOptions{Threshold: *sample}).Clusters(2) {
			if i%12 != 0 {
				continue
			}
			var ts []string
			for _, id := range c.Members[:min(12, len(c.Members))] {
				ts = append(ts, titles[id])
			}
			fmt.Printf("%s size %d [%s]\n    %s\n", c.ID, c.Size, c.Label, strings.Join(ts, "\n    "))
		}
	}
	return nil
}

func clusterDocs(rows []textdata.Doc) []textproc.ClusterDoc {
	docs := make([]textproc.ClusterDoc, len(rows))
	for i, r := range rows {
		docs[i] = textproc.ClusterDoc(r)
	}
	return docs
}

func groups(cs []textproc.Cluster) [][]string {
	g := make([][]string, len(cs))
	for i, c := range cs {
		g[i] = c.Members
	}
	return g
}

func idsOf(docs []textdata.Doc) []string {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids
}
