package main

import (
	"slices"
	"strings"
	"testing"
)

// TestHotspotsGridFlags: the three lists parse, and a bad value or labels
// file stops the grid with a message naming it before any clustering.
func TestHotspotsGridFlags(t *testing.T) {
	if got, err := floatList("place", "0.05, 0.12,2"); err != nil || !slices.Equal(got, []float64{0.05, 0.12, 2}) {
		t.Errorf("floatList: %v, %v", got, err)
	}
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-place", "0.1,x"}, "-place"},
		{[]string{"-threshold", "0"}, "-threshold"},
		{[]string{"-conflict", ""}, "-conflict"},
		{[]string{"-labels", dir + "/none.csv"}, "hand labels"},
		{[]string{"extra"}, "unexpected"},
	} {
		err := run(append([]string{"-data", dir, "hotspots-grid"}, c.args...))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one naming %q", c.args, err, c.want)
		}
	}
}
