package textproc

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"testing"
)

// hotspotLabels reads testdata/hotspot_labels.csv: message id → hand-labelled
// cluster ("" for a message that belongs to no hotspot), split into a tuning
// half (odd cluster numbers, every other unclustered message) and a test
// half (the rest), so settings chosen on one half are reported on the other.
func hotspotLabels(t testing.TB) (all, tune, test map[string]string) {
	t.Helper()
	f, err := os.Open("testdata/hotspot_labels.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	all, tune, test = map[string]string{}, map[string]string{}, map[string]string{}
	none := 0
	for _, r := range rows[1:] {
		k, err := strconv.Atoi(r[1])
		if err != nil {
			t.Fatalf("bad cluster %q", r[1])
		}
		g := ""
		if k > 0 {
			g = r[1]
		}
		all[r[0]] = g
		half := tune
		if k > 0 && k%2 == 0 || k == 0 && none%2 == 1 {
			half = test
		}
		if k == 0 {
			none++
		}
		half[r[0]] = g
	}
	return all, tune, test
}

// bcubedScore is a B-cubed result on one half of the labels.
type bcubedScore struct{ p, r, f float64 }

func (s bcubedScore) String() string { return fmt.Sprintf("P %.3f R %.3f F1 %.3f", s.p, s.r, s.f) }

// evalHotspots clusters the whole Teddy hotspot file and scores it on the
// tuning and test halves of the hand labels.
func evalHotspots(t testing.TB, docs []ClusterDoc, opts ClusterOptions) (tune, test bcubedScore) {
	t.Helper()
	_, tuneGold, testGold := hotspotLabels(t)
	c := ClusterAll(docs, opts)
	pred := map[string]string{}
	for _, d := range docs {
		if k, ok := c.ClusterOf(d.ID); ok {
			pred[d.ID] = k
		}
	}
	tune.p, tune.r, tune.f = BCubed(tuneGold, pred)
	test.p, test.r, test.f = BCubed(testGold, pred)
	return tune, test
}

// TestHandLabelledHotspots scores today's and the old clusterer on the hand
// labels in the same run (the figures in docs/intelligence.md).
func TestHandLabelledHotspots(t *testing.T) {
	docs, _ := teddyHotspotDocs(t)
	all, _, _ := hotspotLabels(t)
	for id := range all {
		found := false
		for _, d := range docs {
			if d.ID == id {
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("labelled message %s is not in the data file", id)
		}
	}
	oldTune, oldTest := evalHotspots(t, docs, ClusterOptions{})
	t.Logf("old clusterer (cosine 0.4): tuning half %v, test half %v", oldTune, oldTest)
}
