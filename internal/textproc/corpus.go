package textproc

// Corpus is labelled examples segmented and counted once, for research
// that retrains many models on parts of them (ensembles, learning curves,
// neighbour votes in bench/textlab). The product trains with Train and
// measures with CrossValidate; this is the smallest opening onto the same
// machinery, so experiments need neither copies of it nor the internal
// types (vocabulary, sparse vectors) exported.
type Corpus struct {
	d *dataset
}

// NewCorpus prepares examples with the given features (their defaults
// filled in as Train fills them).
func NewCorpus(examples []Example, fo FeatureOptions) (*Corpus, error) {
	d, err := prepare(examples, fo.withDefaults())
	if err != nil {
		return nil, err
	}
	return &Corpus{d: d}, nil
}

// Labels are the classes in sorted order: the indexes Classes and
// Probabilities use.
func (c *Corpus) Labels() []string { return c.d.labels }

// Classes is each example's true class, an index into Labels.
func (c *Corpus) Classes() []int { return c.d.y }

// Folds splits the examples' indexes into k stratified folds after a
// seeded shuffle: the split CrossValidate uses for the same seed.
func (c *Corpus) Folds(k int, seed int64) [][]int {
	all := make([]int, len(c.d.y))
	for i := range all {
		all[i] = i
	}
	return c.Split(all, k, seed)
}

// Split deals idx into k stratified parts after a seeded shuffle (a share
// of a training fold, for a learning curve).
func (c *Corpus) Split(idx []int, k int, seed int64) [][]int {
	return stratifiedFolds(idx, c.d.y, k, seed)
}

// Train fits a model on the examples idx, calibrated unless
// opts.NoCalibration, as Train would on those examples alone. The model
// has the corpus's features whatever opts.Features says: the examples were
// counted with them once, which is what makes retraining cheap.
func (c *Corpus) Train(idx []int, opts TrainOptions) *Model {
	opts = opts.withDefaults()
	opts.Features = c.d.feats
	return c.d.train(idx, opts)
}

// Probabilities are m's calibrated class probabilities for example i,
// in Labels order.
func (c *Corpus) Probabilities(m *Model, i int) []float64 {
	s := m.calibrated(m.scores(m.vocab.vectorize(c.d.counts[i], m.weighting)))
	softmaxInPlace(s)
	return s
}

// Vector is example i's TF-IDF vector in m's vocabulary (feature id →
// weight), for similarity experiments.
func (c *Corpus) Vector(m *Model, i int) map[int32]float32 {
	v := m.vocab.vectorize(c.d.counts[i], weightTFIDF)
	out := make(map[int32]float32, len(v.idx))
	for k, id := range v.idx {
		out[id] = v.val[k]
	}
	return out
}
