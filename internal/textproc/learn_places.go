package textproc

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Places learnt from past orders. The recogniser finds a name by its ending
// only where the segmenter happens to cut it well and the writer happens to
// write the ending; a name it found in several of the center's own past
// orders (their addresses, titles and texts) is then known everywhere, as a
// compound of the directory is: 魅力之城 without 小区, a school or a market
// cut into pieces by its neighbours. The names stay in memory (they are the
// center's own data), and the clusterer's labels still pass labelSafe.

// DefaultPlaceSupport is the fewest distinct past orders a place must be
// found in to be learnt: one writer's spelling or one recogniser slip is
// not a place.
const DefaultPlaceSupport = 2

// LearnPlaces returns a gazetteer of known's names plus the places the
// recogniser finds in at least minOrders of the texts (each text one past
// order: its address, title and description; the caller's name and phone
// already cut out by the caller of LearnPlaces, as AddPrivate does). A name
// is never learnt if any text uses a word of it as a person's name
// (personNames: 业主王建国小区门口 teaches no 王建国小区), and a name the
// directory knows keeps its rank. known may be nil.
func LearnPlaces(seg *Segmenter, known *Gazetteer, texts []string, minOrders int) *Gazetteer {
	l := NewPlaceLearner(seg)
	for _, t := range texts {
		l.Add(t)
	}
	return l.Gazetteer(known, minOrders)
}

// PlaceLearner is LearnPlaces one past order at a time, for a stream of
// orders read from a store. Not safe for concurrent use.
type PlaceLearner struct {
	seg     *Segmenter
	found   map[string]*learntPlace
	refused map[string]bool
}

type learntPlace struct {
	orders int
	kind   placeKind
}

// NewPlaceLearner returns an empty learner.
func NewPlaceLearner(seg *Segmenter) *PlaceLearner {
	return &PlaceLearner{seg: seg, found: map[string]*learntPlace{}, refused: map[string]bool{}}
}

// Add reads one past order's text.
func (l *PlaceLearner) Add(text string) {
	words := l.seg.Cut(Redact(text))
	names := personNames(words)
	mine := map[string]bool{}
	for _, sp := range findPlaces(words) {
		bad := false
		for _, w := range words[sp.start:sp.end] {
			if names[w] {
				bad = true
			}
		}
		for n := range names {
			if utf8.RuneCountInString(n) >= 2 && strings.Contains(sp.name, n) {
				bad = true
			}
		}
		if bad || Redact(sp.name) != sp.name {
			l.refused[sp.name] = true
			continue
		}
		if mine[sp.name] {
			continue
		}
		mine[sp.name] = true
		s := l.found[sp.name]
		if s == nil {
			s = &learntPlace{}
			l.found[sp.name] = s
		}
		s.orders++
		s.kind = max(s.kind, sp.kind)
	}
}

// Gazetteer returns known's names plus the places found in at least
// minOrders orders (DefaultPlaceSupport when below 1) and never refused.
func (l *PlaceLearner) Gazetteer(known *Gazetteer, minOrders int) *Gazetteer {
	if minOrders < 1 {
		minOrders = DefaultPlaceSupport
	}
	var names []string
	if known != nil {
		for _, n := range known.Names() {
			if _, ok := known.learnt[n]; !ok { // what it learnt itself is relearnt
				names = append(names, n)
			}
		}
	}
	g := NewGazetteer(names)
	g.learnt = map[string]placeKind{}
	learnt := make([]string, 0, len(l.found))
	for n, s := range l.found {
		if s.orders >= minOrders && !l.refused[n] && !g.has(n) {
			learnt = append(learnt, n)
			g.learnt[n] = s.kind
		}
	}
	slices.Sort(learnt)
	for _, n := range learnt {
		g.add(n)
	}
	return g
}

// Names lists the gazetteer's names, sorted.
func (g *Gazetteer) Names() []string {
	if g == nil {
		return nil
	}
	var out []string
	for _, v := range g.byFirst {
		out = append(out, v...)
	}
	slices.Sort(out)
	return out
}

// Learnt is how many of the names were learnt from past orders.
func (g *Gazetteer) Learnt() int {
	if g == nil {
		return 0
	}
	return len(g.learnt)
}

func (g *Gazetteer) has(n string) bool {
	r, _ := utf8.DecodeRuneInString(n)
	return slices.Contains(g.byFirst[r], n)
}

func (g *Gazetteer) add(n string) {
	r, _ := utf8.DecodeRuneInString(n)
	g.byFirst[r] = append(g.byFirst[r], n)
}

// kind is how precisely a name found by the gazetteer locates a problem.
func (g *Gazetteer) kind(n string) placeKind {
	if k, ok := g.learnt[n]; ok {
		return k
	}
	return placeKnown
}

// RemovePrivate blanks the private strings (a caller's name and phone) in a
// text, as AddPrivate does before clustering: for learning places from an
// order's text without its caller.
func RemovePrivate(text string, private []string) string { return removePrivate(text, private) }

// Places is the clusterer's gazetteer (nil for none).
func (c *Clusterer) Places() *Gazetteer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opts.Places
}
