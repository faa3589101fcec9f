package textdata

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
)

// HotspotLabels is the hand labelling of hotspots in the Teddy hotspot
// file (internal/textproc/testdata/hotspot_labels.csv): message id → gold
// cluster, "" for a message that belongs to no hotspot. All holds every
// labelled message; Tune and Test split them in two halves (odd cluster
// numbers and every other unclustered message tune, the rest test), so
// settings chosen on one half are reported on the other.
type HotspotLabels struct {
	All, Tune, Test map[string]string
}

// ReadHotspotLabels reads the labels file at path (header message_id,
// cluster; cluster 0 means no hotspot). The floor test and the grid of
// bench/textlab both read it here, so they split the halves alike.
func ReadHotspotLabels(path string) (HotspotLabels, error) {
	f, err := os.Open(path)
	if err != nil {
		return HotspotLabels{}, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return HotspotLabels{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) < 2 || len(rows[0]) < 2 {
		return HotspotLabels{}, fmt.Errorf("%s: want a header message_id,cluster and labels", path)
	}
	l := HotspotLabels{All: map[string]string{}, Tune: map[string]string{}, Test: map[string]string{}}
	none := 0
	for _, r := range rows[1:] {
		k, err := strconv.Atoi(r[1])
		if err != nil || k < 0 {
			return HotspotLabels{}, fmt.Errorf("%s: message %s: bad cluster %q", path, r[0], r[1])
		}
		g := ""
		if k > 0 {
			g = r[1]
		}
		l.All[r[0]] = g
		half := l.Tune
		if k > 0 && k%2 == 0 || k == 0 && none%2 == 1 {
			half = l.Test
		}
		if k == 0 {
			none++
		}
		half[r[0]] = g
	}
	return l, nil
}
