package textproc

import (
	"math"
	"testing"
	"time"
)

func TestHeatOf(t *testing.T) {
	now := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return now.AddDate(0, 0, -d) }
	c := Cluster{
		Size: 5, Distinct: 4, Callers: 3, Likes: 7, Dislikes: 1, First: day(60), Last: day(0),
		Messages: []Member{{At: day(60)}, {At: day(30)}, {At: day(3)}, {At: day(3), Copy: true}, {At: day(0)}},
	}
	h := HeatOf(c, now)
	// base 3 + 0.5×1 + log2(8) + 0.5×log2(2) = 7; recency 1; growth 1 + 2/4; duration 1 + 60/180.
	want := 10 * 7 * 1 * 1.5 * (1 + 60.0/180)
	if math.Abs(h.Base-7) > 1e-9 || h.Recent != 2 || math.Abs(h.Value-math.Round(want*10)/10) > 1e-9 {
		t.Errorf("heat %+v, want base 7, recent 2, value %.1f", h, want)
	}
	// A month without messages halves it.
	later := HeatOf(c, now.AddDate(0, 0, 30))
	if later.Recency != 0.5 || later.Growth != 1 {
		t.Errorf("a month later: %+v", later)
	}
	// Ranking: hotter first, numbered from 1.
	small := Cluster{Size: 2, Distinct: 2, Callers: 2, First: day(1), Last: day(1)}
	r := Rank([]Cluster{small, c}, now)
	if r[0].Rank != 1 || r[0].Size != 5 || r[1].Rank != 2 {
		t.Errorf("rank %+v", r)
	}
	// More distinct callers is hotter than reposts of one message.
	copies := Cluster{Size: 10, Distinct: 1, Callers: 1, First: day(1), Last: day(1)}
	many := Cluster{Size: 3, Distinct: 3, Callers: 3, First: day(1), Last: day(1)}
	if HeatOf(copies, now).Value >= HeatOf(many, now).Value {
		t.Error("ten reposts outrank three residents")
	}
}
