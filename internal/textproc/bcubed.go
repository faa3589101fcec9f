package textproc

// BCubed scores a clustering against hand labels with the B-cubed measures
// (Bagga & Baldwin 1998; Amigó et al. 2009): for every labelled item, the
// precision is the share of the items in its predicted cluster that share
// its gold cluster, and the recall the share of its gold cluster that is in
// its predicted cluster; both are averaged over the items and F1 is their
// harmonic mean. Unlike pair counting it does not let one huge cluster
// dominate, and unlike purity it punishes splitting a hotspot into copies.
//
// gold maps each labelled item to its gold cluster; an empty gold cluster
// means "belongs to no hotspot" and makes the item a cluster of its own.
// pred maps items to predicted clusters; an item missing from pred, or with
// an empty cluster, is a singleton too. Only the labelled items count: pred
// may hold any number of others, as when a whole file is clustered and a
// sample of it labelled.
func BCubed(gold, pred map[string]string) (precision, recall, f1 float64) {
	if len(gold) == 0 {
		return 0, 0, 0
	}
	// Singletons get keys no real cluster can have.
	goldOf := func(id string) string {
		if g := gold[id]; g != "" {
			return "g:" + g
		}
		return "s:" + id
	}
	predOf := func(id string) string {
		if p := pred[id]; p != "" {
			return "p:" + p
		}
		return "s:" + id
	}
	goldSize := map[string]int{}
	predSize := map[string]int{}
	both := map[[2]string]int{}
	for id := range gold {
		g, p := goldOf(id), predOf(id)
		goldSize[g]++
		predSize[p]++
		both[[2]string{g, p}]++
	}
	for id := range gold {
		g, p := goldOf(id), predOf(id)
		n := float64(both[[2]string{g, p}])
		precision += n / float64(predSize[p])
		recall += n / float64(goldSize[g])
	}
	precision /= float64(len(gold))
	recall /= float64(len(gold))
	if precision+recall > 0 {
		f1 = 2 * precision * recall / (precision + recall)
	}
	return precision, recall, f1
}
