package textdata

import (
	"fmt"
	"regexp"
)

// ClusterQuality summarises a clustering against proxy labels (the
// proxies are explained in docs/intelligence.md): Purity is the share of
// clustered messages with a proxy label that carry their cluster's
// majority label; PairsJoined of Pairs is how many "surely the same
// problem" pairs ended in one cluster.
type ClusterQuality struct {
	Clusters, Clustered int
	Purity              float64
	Pairs, PairsJoined  int
}

func (q ClusterQuality) String() string {
	return fmt.Sprintf("clusters(>=2) %d, messages in them %d, proxy purity %.3f, same-title pairs joined %d/%d (%.3f)",
		q.Clusters, q.Clustered, q.Purity, q.PairsJoined, q.Pairs, float64(q.PairsJoined)/float64(max(q.Pairs, 1)))
}

// measure scores groups (each cluster's member ids; groups of fewer than
// two are ignored) against proxy and the pairs sameKey puts together among
// ids.
func measure(groups [][]string, proxy, sameKey func(id string) string, ids []string) ClusterQuality {
	var q ClusterQuality
	labelled, majority := 0, 0
	member := map[string]int{}
	for gi, g := range groups {
		if len(g) < 2 {
			continue
		}
		q.Clusters++
		q.Clustered += len(g)
		votes := map[string]int{}
		n := 0
		for _, id := range g {
			member[id] = gi + 1
			if p := proxy(id); p != "" {
				votes[p]++
				n++
			}
		}
		best := 0
		for _, v := range votes {
			best = max(best, v)
		}
		if n >= 2 {
			labelled += n
			majority += best
		}
	}
	q.Purity = float64(majority) / float64(max(labelled, 1))
	same := map[string][]string{}
	for _, id := range ids {
		if k := sameKey(id); k != "" {
			same[k] = append(same[k], id)
		}
	}
	for _, g := range same {
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				q.Pairs++
				if member[g[i]] != 0 && member[g[i]] == member[g[j]] {
					q.PairsJoined++
				}
			}
		}
	}
	return q
}

// placeCode finds the anonymised place code of a Teddy title (A3区, A市,
// K8县): messages about one problem name the same place.
var placeCode = regexp.MustCompile(`[A-Z][0-9]*[市县区]`)

// longTitle is the same-problem key: a title of at least 8 characters.
func longTitle(t string) string {
	if len([]rune(t)) >= 8 {
		return t
	}
	return ""
}

// TeddyQuality scores a clustering of the Teddy hotspot messages (ids in
// file order, titles from TeddyHotspots): the proxy label is the place
// code in the title, the same-problem pairs share a long title.
func TeddyQuality(groups [][]string, titles map[string]string, ids []string) ClusterQuality {
	return measure(groups,
		func(id string) string { return placeCode.FindString(titles[id]) },
		func(id string) string { return longTitle(titles[id]) }, ids)
}

// GasQuality scores a clustering of the gas complaints (rows from Gas):
// the proxy label is the province and city, the same-problem pairs share a
// long title.
func GasQuality(groups [][]string, rows map[string]map[string]string, ids []string) ClusterQuality {
	return measure(groups,
		func(id string) string { return rows[id]["province"] + rows[id]["city"] },
		func(id string) string { return longTitle(rows[id]["title"]) }, ids)
}
