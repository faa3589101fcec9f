// Package intel connects the pure text features of internal/textproc to the
// running service: search tokens, suggested category and unit learned from
// the center's own history, similar open orders at intake, similar past
// cases with their replies, and hotspot clusters. Everything it learns from
// is redacted first (textproc.Redact): callers' phones, ID numbers and
// e-mails never enter a model, an index or a cluster label; caller names
// are never read at all.
package intel

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"hotline/internal/order"
	"hotline/internal/service"
	"hotline/internal/store"
	"hotline/internal/textproc"
)

// Options tune the intelligence.
type Options struct {
	// MinConfidence is the confidence below which no suggestion is made
	// (the UI then says "no suggestion" instead of guessing).
	MinConfidence float64
	// MinExamples is the fewest closed orders (and 2 labels) needed to train.
	MinExamples int
	// MaxExamples bounds training to the most recent closed orders.
	MaxExamples int
	// HotspotWindow is how far back hotspot clusters look.
	HotspotWindow time.Duration
	// SimilarMin is the lowest similarity score shown as "similar".
	SimilarMin float64
}

func (o Options) withDefaults() Options {
	if o.MinConfidence == 0 {
		o.MinConfidence = 0.5
	}
	if o.MinExamples == 0 {
		o.MinExamples = 50
	}
	if o.MaxExamples == 0 {
		o.MaxExamples = 20000
	}
	if o.HotspotWindow == 0 {
		o.HotspotWindow = 30 * 24 * time.Hour
	}
	if o.SimilarMin == 0 {
		o.SimilarMin = 0.3
	}
	return o
}

// Intel implements service.Intelligence.
type Intel struct {
	opts Options
	seg  *textproc.Segmenter
	log  *slog.Logger

	mu         sync.RWMutex
	category   *textproc.Model
	unit       *textproc.Model
	modelIDs   map[string]string // kind → id of the stored model version in use
	catUnit    map[string]string // category → the unit that usually handles it
	keywords   map[string][]string
	open       *textproc.Index // open orders: similar at intake
	past       *textproc.Index // closed orders with replies: similar cases
	meta       map[string]orderMeta
	hot        *textproc.Clusterer
	hotMembers map[string]bool
	// compounds is the directory's gazetteer; places learnt from past
	// orders are added to it on start and on every retrain (learnPlaces).
	compounds *textproc.Gazetteer
	learnt    *textproc.PlaceLearner
	trainMu   sync.Mutex

	// changes feeds Observe's index updates to one goroutine, so a create
	// or an action does not wait for re-indexing (ordered, bounded).
	changes chan change
}

// change is one observed order, or (done set) a flush marker.
type change struct {
	t    store.OrderText
	done chan struct{}
}

type orderMeta struct {
	number, title, reply string
	open                 bool
	merged               bool   // merged into another order: the hotspot was handled
	parent               string // the order it was merged into: the hotspot's case
	status               order.Status
	at                   time.Time
}

// The service finds the intelligence's features by interface: a signature
// that drifted (a store parameter's type, say) would quietly turn one off,
// so the compiler checks them here.
var (
	_ service.Intelligence = (*Intel)(nil)
	_ service.Insight      = (*Intel)(nil)
)

// New returns the intelligence; Load fills it from a store.
func New() *Intel { return NewWithOptions(Options{}) }

// NewWithOptions returns the intelligence with options.
func NewWithOptions(o Options) *Intel {
	o = o.withDefaults()
	in := &Intel{opts: o, seg: textproc.Default(), log: slog.Default(),
		open: textproc.NewIndex(), past: textproc.NewIndex(), meta: map[string]orderMeta{},
		hot: textproc.NewClusterer(textproc.ClusterOptions{Window: 7 * 24 * time.Hour}), hotMembers: map[string]bool{},
		changes: make(chan change, 4096)}
	go in.apply()
	return in
}

// apply runs for the life of the process (an Intel lives as long as its
// server) and indexes the observed changes in order.
func (in *Intel) apply() {
	for c := range in.changes {
		if c.done != nil {
			close(c.done)
			continue
		}
		in.index(c.t, time.Now().Add(-in.opts.HotspotWindow))
	}
}

// Flush waits until every change observed so far is indexed.
func (in *Intel) Flush() {
	done := make(chan struct{})
	in.changes <- change{done: done}
	<-done
}

func text(title, description string) string {
	return textproc.Redact(title + "\n" + description)
}

// Tokens are the full-text index tokens of an order's text.
func (in *Intel) Tokens(t string) []string { return in.seg.SearchTokens(t) }

// QueryTokens are the tokens of a search query.
func (in *Intel) QueryTokens(q string) []string { return in.seg.QueryTokens(q) }

// Load reads the open orders and the recent history from the store, loads
// the latest trained models (training new ones when there are none and
// history allows), and indexes everything. It is called once at start.
func (in *Intel) Load(ctx context.Context, st service.TextStore, log *slog.Logger) error {
	if log != nil {
		in.log = log
	}
	if err := in.loadCatalogue(ctx, st); err != nil {
		return err
	}
	since := time.Now().Add(-in.opts.HotspotWindow)
	// Places are learnt first, from the newest past orders, so the month's
	// orders are clustered with them.
	if err := in.learnPlaces(ctx, st); err != nil {
		return err
	}
	err := st.ForEachOrderText(ctx, true, 1_000_000, func(t store.OrderText) error {
		in.index(t, since)
		return nil
	})
	if err != nil {
		return err
	}
	err = st.ForEachOrderText(ctx, false, 200_000, func(t store.OrderText) error {
		in.index(t, since)
		return nil
	})
	if err != nil {
		return err
	}
	// Merged calls stay in their hotspot: it shows the case they went into.
	err = st.ForEachMergedOrderText(ctx, since, 1_000_000, func(t store.OrderText) error {
		in.index(t, since)
		return nil
	})
	if err != nil {
		return err
	}
	in.loadModels(ctx, st)
	return nil
}

// loadModels puts the latest stored model of each kind in use, unless it is
// the one in use already (a retrain on any instance stores a new version).
func (in *Intel) loadModels(ctx context.Context, st service.TextStore) {
	for _, kind := range []string{"category", "unit"} {
		mv, err := st.LatestModelID(ctx, kind)
		if err != nil {
			continue
		}
		in.mu.RLock()
		current := in.modelIDs[kind] == mv
		in.mu.RUnlock()
		if current {
			continue
		}
		full, err := st.LatestModel(ctx, kind)
		if err != nil {
			continue
		}
		m, err := textproc.LoadModel(bytes.NewReader(full.Data))
		if err != nil {
			in.log.Warn("ignoring an unreadable model", "kind", kind, "id", full.ID, "err", err)
			continue
		}
		in.setModel(kind, full.ID, m)
	}
}

func (in *Intel) setModel(kind, id string, m *textproc.Model) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.modelIDs == nil {
		in.modelIDs = map[string]string{}
	}
	in.modelIDs[kind] = id
	if kind == "category" {
		in.category = m
	} else {
		in.unit = m
	}
}

// LoadCatalogue rereads the category catalogue (keywords, each category's
// unit) and the latest trained models; the service calls it whenever it
// reloads its settings (a model saved bumps the settings version too), so a
// category added or a retrain done on any instance is in use everywhere.
func (in *Intel) LoadCatalogue(ctx context.Context, st service.TextStore) error {
	if err := in.loadCatalogue(ctx, st); err != nil {
		return err
	}
	in.loadModels(ctx, st)
	return nil
}

func (in *Intel) loadCatalogue(ctx context.Context, st service.TextStore) error {
	cats, err := st.Categories(ctx)
	if err != nil {
		return err
	}
	// The center's compounds are the hotspot clusterer's gazetteer: a
	// compound is found in a call however the segmenter cuts its name.
	if cs, err := st.Compounds(ctx, ""); err == nil {
		names := make([]string, 0, len(cs))
		for _, c := range cs {
			names = append(names, c.Name)
		}
		g := textproc.NewGazetteer(names)
		in.mu.Lock()
		in.compounds = g
		learnt := in.learnt
		in.mu.Unlock()
		if learnt != nil {
			g = learnt.Gazetteer(g, textproc.DefaultPlaceSupport)
		}
		in.hot.SetPlaces(g)
	}
	cu, kw := map[string]string{}, map[string][]string{}
	for _, c := range cats {
		if c.Unit != "" {
			cu[c.Code] = c.Unit
		}
		for _, k := range strings.Split(c.Keywords, ",") {
			if k = strings.TrimSpace(k); k != "" && c.Parent != "" {
				kw[c.Code] = append(kw[c.Code], k)
			}
		}
	}
	in.mu.Lock()
	in.catUnit, in.keywords = cu, kw
	in.mu.Unlock()
	return nil
}

// placeOrders bounds how many of the newest orders places are learnt from:
// segmenting them again costs about 0.1 ms each.
const placeOrders = 20_000

// learnPlaces learns the places named in the newest orders (open and
// closed: address, title and description, the caller's name and phone cut
// out) and gives the clusterer the directory's compounds plus them
// (textproc.LearnPlaces). Called on start and on every retrain, so places
// of new orders are known from the next training on.
func (in *Intel) learnPlaces(ctx context.Context, st service.TextStore) error {
	l := textproc.NewPlaceLearner(in.seg)
	add := func(t store.OrderText) error {
		l.Add(textproc.RemovePrivate(t.Address+"\n"+t.Title+"\n"+t.Description, t.Private))
		return nil
	}
	if err := st.ForEachOrderText(ctx, true, placeOrders/2, add); err != nil {
		return err
	}
	if err := st.ForEachOrderText(ctx, false, placeOrders/2, add); err != nil {
		return err
	}
	in.mu.Lock()
	in.learnt = l
	known := in.compounds
	in.mu.Unlock()
	g := l.Gazetteer(known, textproc.DefaultPlaceSupport)
	in.hot.SetPlaces(g)
	in.log.Info("hotspot places learnt from past orders", "learnt", g.Learnt(), "known", g.Len()-g.Learnt())
	return nil
}

// Places is the clusterer's gazetteer: the directory's compounds and the
// places learnt from past orders.
func (in *Intel) Places() *textproc.Gazetteer { return in.hot.Places() }

// index adds one order to the indexes it belongs in.
func (in *Intel) index(t store.OrderText, hotSince time.Time) {
	open := t.Status.Open()
	txt := text(t.Title, t.Description)
	in.mu.Lock()
	in.meta[t.ID] = orderMeta{number: t.Number, title: t.Title, reply: t.ReplyText, open: open, merged: t.Status == order.Merged,
		parent: t.Parent, status: t.Status, at: t.CreatedAt}
	// A hotspot is what citizens report: the center's own findings
	// (source patrol, among them the cases made from hotspots) add no heat
	// and never become a member the next case would swallow.
	addHot := !t.CreatedAt.Before(hotSince) && !in.hotMembers[t.ID] && t.Status != order.Invalid && t.Source != order.SourcePatrol
	if addHot {
		in.hotMembers[t.ID] = true
	}
	in.mu.Unlock()
	if open {
		in.open.Add(t.ID, txt)
	} else {
		in.open.Remove(t.ID)
		if t.Status == order.Closed && strings.TrimSpace(t.ReplyText) != "" {
			in.past.Add(t.ID, txt)
		}
	}
	if addHot {
		in.hot.AddPrivate(t.ID, txt, t.CreatedAt, t.Private...)
	}
}

// Observe follows every change of an order. The indexes are updated in the
// background, in order; similar-order lists may lag a change by moments.
func (in *Intel) Observe(o order.Order) {
	in.changes <- change{t: store.OrderText{ID: o.ID, Number: o.Number, Title: o.Title, Description: o.Description, Category: o.Category,
		Unit: o.Unit, Status: o.Status, Source: o.Source, Parent: o.Parent, ReplyText: o.ReplyText, CreatedAt: o.CreatedAt, Private: callerPrivate(o)}}
}

// callerPrivate are the personal strings of an order's callers, which the
// hotspot clusterer removes from the text before it counts any word.
func callerPrivate(o order.Order) []string {
	p := []string{o.Caller.Name, o.Caller.Phone}
	for _, c := range o.CoCallers {
		p = append(p, c.Name, c.Phone)
	}
	return p
}

// Suggest returns the suggested category and unit. With trained models it
// uses them; before there is enough history, the catalogue's keywords
// suggest a category (and its usual unit) when a keyword appears.
func (in *Intel) Suggest(title, description string) service.Suggestions {
	txt := text(title, description)
	in.mu.RLock()
	cat, unit, cu := in.category, in.unit, in.catUnit
	in.mu.RUnlock()
	var out service.Suggestions
	if cat != nil {
		if l, c := cat.Predict(txt); c >= in.opts.MinConfidence {
			out.Category = &service.Suggestion{Code: l, Confidence: round(c)}
		}
	} else if code, c := in.keywordGuess(title + " " + description); code != "" && c >= in.opts.MinConfidence {
		out.Category = &service.Suggestion{Code: code, Confidence: round(c)}
	}
	if unit != nil {
		if l, c := unit.Predict(txt); c >= in.opts.MinConfidence {
			out.Unit = &service.Suggestion{Code: l, Confidence: round(c)}
		}
	} else if out.Category != nil && cu[out.Category.Code] != "" {
		out.Unit = &service.Suggestion{Code: cu[out.Category.Code], Confidence: out.Category.Confidence}
	}
	return out
}

// keywordGuess is the rule used before any model is trained: the category
// whose keywords appear most; confidence grows with the hits and falls when
// another category is close.
func (in *Intel) keywordGuess(s string) (string, float64) {
	in.mu.RLock()
	defer in.mu.RUnlock()
	best, second, code := 0, 0, ""
	for c, kws := range in.keywords {
		n := 0
		for _, k := range kws {
			if strings.Contains(s, k) {
				n++
			}
		}
		switch {
		case n > best || (n == best && n > 0 && c < code):
			if n > best {
				second = best
			}
			best, code = n, c
		case n > second:
			second = n
		}
	}
	if best == 0 {
		return "", 0
	}
	return code, float64(best) / float64(best+second+1)
}

func round(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }

// Similar returns open orders that look like the same problem, best first.
func (in *Intel) Similar(title, description string, limit int) []service.Similar {
	matches := in.open.Similar(text(title, description), limit*2)
	in.mu.RLock()
	defer in.mu.RUnlock()
	var out []service.Similar
	for _, m := range matches {
		meta, ok := in.meta[m.ID]
		if !ok || !meta.open || m.Score < in.opts.SimilarMin {
			continue
		}
		out = append(out, service.Similar{ID: m.ID, Number: meta.number, Title: meta.title, Score: round(m.Score)})
		if len(out) == limit {
			break
		}
	}
	return out
}

// PastCases returns the closed orders most like a text, with their replies:
// the operator's knowledge base.
func (in *Intel) PastCases(title, description string, exclude string, limit int) []service.PastCase {
	matches := in.past.Similar(text(title, description), limit+1)
	in.mu.RLock()
	defer in.mu.RUnlock()
	out := []service.PastCase{}
	for _, m := range matches {
		meta, ok := in.meta[m.ID]
		if !ok || m.ID == exclude || m.Score < in.opts.SimilarMin/2 {
			continue
		}
		out = append(out, service.PastCase{ID: m.ID, Number: meta.number, Title: meta.title, Reply: meta.reply, Score: round(m.Score)})
		if len(out) == limit {
			break
		}
	}
	return out
}

// Hotspots returns the clusters of at least minSize orders of the last
// HotspotWindow (30 days: the month's), hottest first by the heat index of
// docs/intelligence.md (textproc.HeatOf: distinct calls, recency, growth,
// duration; an order's callers are not compared, so each distinct call
// counts as a caller). A hotspot that was handled (some of its orders were
// merged into one case) and has received new orders since is flagged
// Regrown, so it is looked at again.
func (in *Intel) Hotspots(minSize, limit int, now time.Time) []service.Hotspot {
	in.Flush()
	cs := in.hot.Clusters(minSize)
	in.mu.RLock()
	out := make([]service.Hotspot, 0, len(cs))
	for _, c := range cs {
		heat := textproc.HeatOf(c, now)
		h := service.Hotspot{ID: c.ID, Label: c.Label, Place: c.Place, Terms: c.Terms, Size: c.Size, Distinct: heat.Distinct,
			First: c.First, Last: c.Last, Members: c.Members, Heat: heat.Value}
		var handled time.Time
		for _, id := range c.Members {
			if m := in.meta[id]; m.merged && m.at.After(handled) {
				handled = m.at
				if p, ok := in.meta[m.parent]; ok && m.parent != "" {
					h.Case = &service.HotspotCase{ID: m.parent, Number: p.number, Status: p.status}
				}
			}
		}
		// A case made for the hotspot (not one of its calls) was opened
		// when it was made: calls before that were handled by it.
		if h.Case != nil && in.meta[h.Case.ID].at.After(handled) {
			handled = in.meta[h.Case.ID].at
		}
		for _, id := range c.Members {
			m := in.meta[id]
			if m.open {
				h.Open++
				if !handled.IsZero() && m.at.After(handled) {
					h.Regrown = true
				}
			}
		}
		out = append(out, h)
	}
	in.mu.RUnlock()
	sortHot(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

func sortHot(hs []service.Hotspot) {
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && hs[j].Heat > hs[j-1].Heat; j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
}

// OpenMembers returns the cluster's members that are still open, oldest first.
func (in *Intel) OpenMembers(h service.Hotspot) []string {
	in.mu.RLock()
	defer in.mu.RUnlock()
	var out []string
	for _, id := range h.Members {
		if in.meta[id].open {
			out = append(out, id)
		}
	}
	return out
}

// TrainResult reports a training run.
type TrainResult struct {
	Models  []textproc.ModelVersion `json:"models"`
	Skipped string                  `json:"skipped,omitempty"`
}

// Train learns the category and unit models from the closed orders (the
// final category, and the unit that kept the order), holding back a fifth
// of them to measure accuracy, then retrains on all and stores a new
// version of each. Only one training runs at a time.
func (in *Intel) Train(ctx context.Context, st service.TextStore) (service.TrainResult, error) {
	in.trainMu.Lock()
	defer in.trainMu.Unlock()
	var cats, units []textproc.Example
	err := st.ForEachOrderText(ctx, false, in.opts.MaxExamples, func(t store.OrderText) error {
		txt := text(t.Title, t.Description)
		if t.Category != "" {
			cats = append(cats, textproc.Example{Text: txt, Label: t.Category})
		}
		if t.Unit != "" {
			units = append(units, textproc.Example{Text: txt, Label: t.Unit})
		}
		return nil
	})
	if err != nil {
		return service.TrainResult{}, err
	}
	if err := in.learnPlaces(ctx, st); err != nil {
		return service.TrainResult{}, err
	}
	var res service.TrainResult
	for _, job := range []struct {
		kind string
		ex   []textproc.Example
	}{{"category", cats}, {"unit", units}} {
		if len(job.ex) < in.opts.MinExamples || labels(job.ex) < 2 {
			res.Skipped += job.kind + ": not enough history yet; "
			continue
		}
		mv, m, err := trainOne(job.kind, job.ex)
		if err != nil {
			return res, err
		}
		if err := st.SaveModel(ctx, &mv); err != nil {
			return res, err
		}
		in.setModel(job.kind, mv.ID, m)
		res.Models = append(res.Models, mv)
	}
	return res, nil
}

func labels(ex []textproc.Example) int {
	seen := map[string]bool{}
	for _, e := range ex {
		seen[e.Label] = true
	}
	return len(seen)
}

func trainOne(kind string, ex []textproc.Example) (textproc.ModelVersion, *textproc.Model, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	shuffled := append([]textproc.Example(nil), ex...)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	cut := len(shuffled) * 4 / 5
	mv := textproc.ModelVersion{Kind: kind, TrainedAt: time.Now().UTC(), Examples: len(ex), HeldOut: len(shuffled) - cut}
	if held, err := textproc.Train(shuffled[:cut], textproc.TrainOptions{Seed: 1}); err == nil {
		right := 0
		for _, e := range shuffled[cut:] {
			if l, _ := held.Predict(e.Text); l == e.Label {
				right++
			}
		}
		if mv.HeldOut > 0 {
			acc := float64(right) / float64(mv.HeldOut)
			mv.Accuracy = &acc
		}
	}
	m, err := textproc.Train(ex, textproc.TrainOptions{Seed: 1})
	if err != nil {
		return mv, nil, err
	}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		return mv, nil, err
	}
	mv.Data, mv.Algorithm = buf.Bytes(), m.Algorithm()
	return mv, m, nil
}

// RunNightly retrains every night at 02:00 Asia/Shanghai until ctx ends;
// with several instances on one database, only one of them trains each
// night (NightlyOnce) and the others take its models on their next
// settings reload.
func (in *Intel) RunNightly(ctx context.Context, st service.TextStore, loc *time.Location) {
	owner := instanceName()
	for {
		now := time.Now().In(loc)
		next := time.Date(now.Year(), now.Month(), now.Day(), 2, 0, 0, 0, loc)
		if !next.After(now) {
			next = next.AddDate(0, 0, 1)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(next.Sub(now)):
		}
		in.NightlyOnce(ctx, st, next.Format("2006-01-02"), owner)
	}
}

// NightlyOnce trains for the night of day unless another instance has
// claimed that night already; it reports whether this instance trained.
func (in *Intel) NightlyOnce(ctx context.Context, st service.TextStore, day, owner string) bool {
	mine, err := st.ClaimJobRun(ctx, "nightly_training", day, owner, time.Now())
	if err != nil {
		in.log.Error("nightly training: claim", "err", err)
		return false
	}
	if !mine {
		in.log.Info("nightly training: another instance has this night", "day", day)
		return false
	}
	if res, err := in.Train(ctx, st); err != nil {
		in.log.Error("nightly training failed", "err", err)
	} else {
		in.log.Info("nightly training", "models", len(res.Models), "skipped", res.Skipped)
	}
	return true
}

// instanceName names this process in job_runs (host and pid).
func instanceName() string {
	host, _ := os.Hostname()
	return host + ":" + strconv.Itoa(os.Getpid())
}

var (
	_ service.Intelligence = (*Intel)(nil)
	_ service.Insight      = (*Intel)(nil)
)
