package textproc

import (
	"math"
	"testing"
)

// TestCorpusMatchesCrossValidate checks that the research opening gives
// what the product measures: training on the folds of Corpus.Folds and
// predicting with Probabilities reproduces CrossValidate's accuracy for
// the same seed, and the TF-IDF vectors are unit length.
func TestCorpusMatchesCrossValidate(t *testing.T) {
	beside(t)
	ex := teddyExamples(t)[:400]
	opts := TrainOptions{Algorithm: AlgoLogReg, NoCalibration: true}
	rep := CrossValidate(ex, 3, opts, 3)
	if rep.Err != nil {
		t.Fatal(rep.Err)
	}
	c, err := NewCorpus(ex, opts.Features)
	if err != nil {
		t.Fatal(err)
	}
	parts := c.Folds(3, 3)
	correct := 0
	for f, test := range parts {
		var train []int
		for g := range parts {
			if g != f {
				train = append(train, parts[g]...)
			}
		}
		m := c.Train(train, opts)
		for _, j := range test {
			p := c.Probabilities(m, j)
			best, sum := 0, 0.0
			for k := range p {
				sum += p[k]
				if p[k] > p[best] {
					best = k
				}
			}
			if math.Abs(sum-1) > 1e-9 {
				t.Fatalf("probabilities of example %d sum to %v", j, sum)
			}
			if best == c.Classes()[j] {
				correct++
			}
			var norm float64
			for _, x := range c.Vector(m, j) {
				norm += float64(x) * float64(x)
			}
			if norm > 0 && math.Abs(norm-1) > 1e-3 {
				t.Fatalf("vector of example %d has squared norm %v", j, norm)
			}
		}
	}
	if acc := float64(correct) / float64(len(ex)); acc != rep.Accuracy {
		t.Errorf("Corpus accuracy %.6f, CrossValidate %.6f", acc, rep.Accuracy)
	}
	if len(c.Labels()) != len(rep.Labels) {
		t.Errorf("labels %v vs %v", c.Labels(), rep.Labels)
	}
}
