package textproc

import (
	"testing"
	"time"
)

// TestClusterGridMatchesClusterAll: reusing the features across a grid
// gives each setting the clustering ClusterAll gives it alone, and Score
// is BCubed of that clustering; option sets that change the features are
// refused.
func TestClusterGridMatchesClusterAll(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	docs := []ClusterDoc{
		{ID: "1", Text: "幸福小区电梯坏了\n幸福小区3号楼电梯停运两天", At: at},
		{ID: "2", Text: "幸福小区电梯故障\n电梯又坏了，老人上不了楼", At: at.Add(time.Hour)},
		{ID: "3", Text: "和平路夜市噪音扰民\n和平路夜市烧烤到凌晨", At: at.Add(2 * time.Hour)},
		{ID: "4", Text: "和平路夜市太吵\n夜市噪音每天到凌晨两点", At: at.Add(3 * time.Hour)},
		{ID: "5", Text: "幸福小区垃圾无人清运\n垃圾堆了一周", At: at.Add(4 * time.Hour)},
	}
	gold := map[string]string{"1": "a", "2": "a", "3": "b", "4": "b", "5": ""}
	opts := []ClusterOptions{{}, {Threshold: 0.05, PlaceThreshold: 0.01, ConflictThreshold: 0.01}, {Threshold: 0.99, PlaceThreshold: 0.99}}
	seen := 0
	err := ClusterGrid(docs, opts, func(i int, c *Clusterer) {
		seen++
		alone := ClusterAll(docs, opts[i])
		for _, d := range docs {
			got, _ := c.ClusterOf(d.ID)
			want, _ := alone.ClusterOf(d.ID)
			if got != want {
				t.Errorf("setting %d: message %s in %s, ClusterAll puts it in %s", i, d.ID, got, want)
			}
		}
		pred := map[string]string{}
		for _, d := range docs {
			pred[d.ID], _ = c.ClusterOf(d.ID)
		}
		var want BCubedScore
		want.P, want.R, want.F = BCubed(gold, pred)
		if s := c.Score(gold); s != want {
			t.Errorf("setting %d: Score %v, BCubed %v", i, s, want)
		}
	})
	if err != nil || seen != len(opts) {
		t.Fatalf("ClusterGrid: %v after %d of %d settings", err, seen, len(opts))
	}
	// The sample tells the settings apart, so the comparison above could
	// catch a grid that handed every setting one result.
	if loose, strict := ClusterAll(docs, opts[1]), ClusterAll(docs, opts[2]); len(loose.Clusters(2)) == len(strict.Clusters(2)) {
		t.Errorf("loose and strict settings both make %d clusters: the sample cannot tell them apart", len(loose.Clusters(2)))
	}
	if err := ClusterGrid(docs, []ClusterOptions{{}, {Legacy: true}}, func(int, *Clusterer) {}); err == nil {
		t.Error("a grid mixing Legacy and the new clusterer was accepted")
	}
	if err := ClusterGrid(docs, nil, func(int, *Clusterer) {}); err == nil {
		t.Error("an empty grid was accepted")
	}
}
