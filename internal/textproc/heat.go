package textproc

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Heat is a hotspot's heat index (热度指数) with the figures it is made
// of, so a leader can see why one hotspot ranks above another:
//
//	base     = callers + 0.5 × (distinct messages − callers, if more)
//	           + log2(1 + likes) + 0.5 × log2(1 + dislikes)
//	recency  = 0.5 ^ (days since the last message / 30)
//	growth   = 1 + distinct messages of the last 7 days / distinct messages
//	duration = 1 + min(days from the first to the last message, 90) / 180
//	heat     = 10 × base × recency × growth × duration, one decimal
//
// In words: every resident who writes is worth a point, a further message
// from someone who already wrote half a point, a repost nothing; each
// doubling of likes adds a point (dislikes half: disagreement is attention
// too); a hotspot loses half its heat for every month nobody writes; one
// that grew in the last week weighs up to twice as much; one that has gone
// on for months up to 1.5 times.
type Heat struct {
	Value                               float64
	Base, Recency, Growth, Duration     float64
	Messages, Distinct, Callers, Recent int
	Likes, Dislikes                     int
}

// HeatOf computes a cluster's heat at now (for a file of past messages,
// the time of its last message).
func HeatOf(c Cluster, now time.Time) Heat {
	h := Heat{Messages: c.Size, Distinct: c.Distinct, Callers: c.Callers, Likes: c.Likes, Dislikes: c.Dislikes}
	if h.Distinct == 0 {
		h.Distinct = c.Size
	}
	if h.Callers == 0 {
		h.Callers = h.Distinct
	}
	h.Callers = min(h.Callers, h.Distinct)
	for _, m := range c.Messages {
		if !m.Copy && !m.At.IsZero() && !m.At.After(now) && now.Sub(m.At) <= 7*24*time.Hour {
			h.Recent++
		}
	}
	h.Base = float64(h.Callers) + 0.5*float64(h.Distinct-h.Callers) +
		math.Log2(1+float64(max(h.Likes, 0))) + 0.5*math.Log2(1+float64(max(h.Dislikes, 0)))
	h.Recency, h.Duration = 1, 1
	if !c.Last.IsZero() {
		h.Recency = math.Pow(0.5, max(0, now.Sub(c.Last).Hours()/24)/30)
		h.Duration = 1 + min(c.Last.Sub(c.First).Hours()/24, 90)/180
	}
	h.Growth = 1 + float64(h.Recent)/float64(max(h.Distinct, 1))
	h.Value = math.Round(10*h.Base*h.Recency*h.Growth*h.Duration*10) / 10
	return h
}

// Ranked is a hotspot in a heat ranking.
type Ranked struct {
	Rank int
	Cluster
	Heat Heat
}

// Rank orders the clusters by heat at now, hottest first (ties: more
// distinct messages, then the earlier cluster), numbering them from 1.
func Rank(cs []Cluster, now time.Time) []Ranked {
	out := make([]Ranked, len(cs))
	for i, c := range cs {
		out[i] = Ranked{Cluster: c, Heat: HeatOf(c, now)}
	}
	slices.SortStableFunc(out, func(a, b Ranked) int {
		if c := cmp.Compare(b.Heat.Value, a.Heat.Value); c != 0 {
			return c
		}
		return cmp.Compare(b.Heat.Distinct, a.Heat.Distinct)
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}
