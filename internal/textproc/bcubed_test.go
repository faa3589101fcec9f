package textproc

import (
	"math"
	"testing"
)

func TestBCubed(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	// Gold: {a b c} one hotspot, d and e in none.
	gold := map[string]string{"a": "1", "b": "1", "c": "1", "d": "", "e": ""}
	for _, c := range []struct {
		name    string
		pred    map[string]string
		p, r, f float64
	}{
		{"perfect", map[string]string{"a": "x", "b": "x", "c": "x", "d": "y", "e": "z"}, 1, 1, 1},
		// copies only: every item alone. Precision 1; recall a,b,c 1/3 each, d,e 1.
		{"all singletons", map[string]string{}, 1, (3.0/3 + 2) / 5, 0},
		// everything in one cluster: precision a,b,c 3/5, d,e 1/5; recall 1.
		{"one lump", map[string]string{"a": "x", "b": "x", "c": "x", "d": "x", "e": "x"}, (3*0.6 + 2*0.2) / 5, 1, 0},
		// unlabelled items in pred do not count.
		{"extra items ignored", map[string]string{"a": "x", "b": "x", "c": "x", "q": "x", "d": "y"}, 1, 1, 1},
		// split 2+1: precision 1; recall a,b 2/3, c 1/3, d,e 1.
		{"split", map[string]string{"a": "x", "b": "x", "c": "w"}, 1, (2.0/3*2 + 1.0/3 + 2) / 5, 0},
	} {
		p, r, f := BCubed(gold, c.pred)
		wantF := c.f
		if wantF == 0 {
			wantF = 2 * c.p * c.r / (c.p + c.r)
		}
		if !near(p, c.p) || !near(r, c.r) || !near(f, wantF) {
			t.Errorf("%s: got P %.4f R %.4f F %.4f, want P %.4f R %.4f F %.4f", c.name, p, r, f, c.p, c.r, wantF)
		}
	}
	if p, r, f := BCubed(nil, nil); p != 0 || r != 0 || f != 0 {
		t.Errorf("empty gold: %v %v %v", p, r, f)
	}
}
