package textproc

import (
	"errors"
	"fmt"
)

// This file is the small opening the hand-labelled hotspot evaluation
// needs: the floor test (TestHandLabelledHotspots) and the parameter grid
// of bench/textlab score clusterings the same way through it. The labels
// themselves are read by textdata.ReadHotspotLabels.

// BCubedScore is one B-cubed result (see BCubed).
type BCubedScore struct{ P, R, F float64 }

func (s BCubedScore) String() string { return fmt.Sprintf("P %.3f R %.3f F1 %.3f", s.P, s.R, s.F) }

// Score is the B-cubed score of c's clustering against gold (message id →
// hand-labelled cluster, "" for none). Only the labelled messages count, so
// a whole file may be clustered and a sample of it labelled.
func (c *Clusterer) Score(gold map[string]string) BCubedScore {
	pred := make(map[string]string, len(gold))
	for id := range gold {
		if k, ok := c.ClusterOf(id); ok {
			pred[id] = k
		}
	}
	var s BCubedScore
	s.P, s.R, s.F = BCubed(gold, pred)
	return s
}

// ClusterGrid is ClusterAll once for each option set in opts, calling each
// with the index and the result in turn, with the messages segmented once
// for all: a grid of 64 settings then costs 64 clusterings, not 64
// segmentations of the file too. The features depend on Places and
// Legacy, so every option set must agree with the first on those (a grid
// varies thresholds and windows).
func ClusterGrid(docs []ClusterDoc, opts []ClusterOptions, each func(i int, c *Clusterer)) error {
	if len(opts) == 0 {
		return errors.New("no option sets")
	}
	for i, o := range opts {
		if o.Places != opts[0].Places || o.Legacy != opts[0].Legacy {
			return fmt.Errorf("option set %d: Places and Legacy must be the first set's", i)
		}
	}
	c0 := NewClusterer(opts[0])
	feats := make([]msgFeatures, len(docs))
	parallelFor(len(docs), func(i int) { feats[i] = c0.features(docs[i]) })
	for i, o := range opts {
		each(i, NewClusterer(o).addAll(docs, feats, false))
	}
	return nil
}
