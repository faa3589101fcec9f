package dashboard

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/store"
)

// Rates are workflow.md's metrics; nil means "no data" (a zero denominator),
// never 0 or 100%.
type Rates struct {
	Response     *float64 `json:"response_rate"`
	OnTime       *float64 `json:"on_time_rate"`
	Resolution   *float64 `json:"resolution_rate"`
	Satisfaction *float64 `json:"satisfaction_rate"`
	Reopen       *float64 `json:"reopen_rate"`
}

// Summary is the figures of one population (all units or one).
type Summary struct {
	From     string               `json:"from"`
	To       string               `json:"to"`
	Unit     string               `json:"unit,omitempty"`
	Orders   int                  `json:"orders"`
	ByStatus map[order.Status]int `json:"by_status"`
	Rates
	Samples Samples `json:"samples"`
}

// Samples are the denominators, so a reader can judge a rate's weight.
type Samples struct {
	Dispatched int `json:"dispatched"`
	// ResponseBase is the response rate's denominator: dispatched orders
	// contacted or whose contact_due has passed.
	ResponseBase int `json:"response_base"`
	OnTimeBase   int `json:"on_time_base"`
	Callbacks    int `json:"callbacks"`
	Closed       int `json:"closed"`
}

func rate(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	r := float64(num) / float64(den)
	return &r
}

func summarize(m *store.MetricCounts) (Rates, Samples) {
	return Rates{
		Response:     rate(m.Responded, m.ResponseDue),
		OnTime:       rate(m.OnTime, m.OnTimeDue),
		Resolution:   rate(m.CallbacksSolved, m.Callbacks),
		Satisfaction: rate(m.CallbacksHappy, m.Callbacks),
		Reopen:       rate(m.ClosedReopened, m.Closed),
	}, Samples{Dispatched: m.Dispatched, ResponseBase: m.ResponseDue, OnTimeBase: m.OnTimeDue, Callbacks: m.Callbacks, Closed: m.Closed}
}

// Period parses a from/to pair of dates (YYYY-MM-DD, Asia/Shanghai, both
// inclusive); empty means this month so far.
func Period(from, to string, now time.Time) (time.Time, time.Time, error) {
	f := apperr.Fields{}
	local := now.In(calendar.Shanghai)
	start := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, calendar.Shanghai)
	end := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, calendar.Shanghai).AddDate(0, 0, 1)
	if from != "" {
		t, err := time.ParseInLocation("2006-01-02", from, calendar.Shanghai)
		if err != nil {
			f.Add("from", "a date like 2026-11-01")
		}
		start = t
	}
	if to != "" {
		t, err := time.ParseInLocation("2006-01-02", to, calendar.Shanghai)
		if err != nil {
			f.Add("to", "a date like 2026-11-30")
		}
		end = t.AddDate(0, 0, 1)
	}
	if err := f.Err(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if !end.After(start) {
		return time.Time{}, time.Time{}, apperr.Field("to", "must not be before from")
	}
	if end.Sub(start) > 10*366*24*time.Hour {
		return time.Time{}, time.Time{}, apperr.Field("from", "a period of at most ten years")
	}
	return start, end, nil
}

func canReadStats(a order.Actor, unit string) error {
	switch a.Role {
	case order.RoleLeader, order.RoleDispatcher, order.RoleAdmin, order.RoleOperator:
		return nil
	case order.RoleHandler:
		if a.Unit != "" && unit == a.Unit { // a handler without a unit reads none, not all
			return nil
		}
		return apperr.New(apperr.Forbidden, "a handler sees only the figures of their own unit")
	}
	return apperr.New(apperr.Forbidden, "role %s may not read statistics", a.Role)
}

// Summary returns the metrics for a period and optionally one unit.
func (s *Service) Summary(ctx context.Context, a order.Actor, from, to, unit string) (Summary, error) {
	if err := canReadStats(a, unit); err != nil {
		return Summary{}, err
	}
	if unit != "" {
		if _, ok := s.orders.Unit(unit); !ok {
			return Summary{}, apperr.FieldProblem("unit", apperr.UnknownUnit(unit))
		}
	}
	start, end, err := Period(from, to, s.now())
	if err != nil {
		return Summary{}, err
	}
	ms, err := s.store.Metrics(ctx, start, end, s.now(), unit, false)
	if err != nil {
		return Summary{}, err
	}
	m := ms[unit]
	if m == nil {
		m = &store.MetricCounts{ByStatus: map[order.Status]int{}}
	}
	sum := Summary{From: start.Format("2006-01-02"), To: end.AddDate(0, 0, -1).Format("2006-01-02"), Unit: unit, Orders: m.Orders, ByStatus: fillStatuses(m.ByStatus)}
	sum.Rates, sum.Samples = summarize(m)
	return sum, nil
}

func fillStatuses(m map[order.Status]int) map[order.Status]int {
	out := map[order.Status]int{}
	for _, st := range order.Statuses {
		out[st] = m[st]
	}
	return out
}

// UnitSummary is one unit's line in the ranking.
type UnitSummary struct {
	Rank int    `json:"rank"`
	Code string `json:"unit"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	Summary
	// Ranked is false when the unit had too few orders to rank fairly.
	Ranked bool `json:"ranked"`
}

// MinRankSample is the fewest dispatched orders for a unit to be ranked;
// below it a unit is listed after the ranked ones rather than first on 1-of-1.
const MinRankSample = 5

// UnitStats returns the metrics per unit, ranked by satisfaction, then
// resolution, then response rate; units with too small a sample come last.
func (s *Service) UnitStats(ctx context.Context, a order.Actor, from, to string) ([]UnitSummary, error) {
	if a.Role == order.RoleHandler || a.Role == order.RoleVolunteer {
		return nil, apperr.New(apperr.Forbidden, "role %s may not read the unit ranking", a.Role)
	}
	start, end, err := Period(from, to, s.now())
	if err != nil {
		return nil, err
	}
	ms, err := s.store.Metrics(ctx, start, end, s.now(), "", true)
	if err != nil {
		return nil, err
	}
	units, err := s.store.Units(ctx)
	if err != nil {
		return nil, err
	}
	var out []UnitSummary
	for _, u := range units {
		if u.Kind == "center" {
			continue
		}
		m := ms[u.Code]
		if m == nil {
			m = &store.MetricCounts{ByStatus: map[order.Status]int{}}
		}
		us := UnitSummary{Code: u.Code, Name: u.Name, Kind: u.Kind, Summary: Summary{From: start.Format("2006-01-02"), To: end.AddDate(0, 0, -1).Format("2006-01-02"), Unit: u.Code, Orders: m.Orders, ByStatus: fillStatuses(m.ByStatus)}}
		us.Rates, us.Samples = summarize(m)
		us.Ranked = m.Dispatched >= MinRankSample
		out = append(out, us)
	}
	key := func(r *float64) float64 {
		if r == nil {
			return -1
		}
		return *r
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Ranked != b.Ranked {
			return a.Ranked
		}
		for _, p := range [][2]*float64{{a.Satisfaction, b.Satisfaction}, {a.Resolution, b.Resolution}, {a.Response, b.Response}} {
			if key(p[0]) != key(p[1]) {
				return key(p[0]) > key(p[1])
			}
		}
		return a.Samples.Dispatched > b.Samples.Dispatched
	})
	for i := range out {
		if out[i].Ranked {
			out[i].Rank = i + 1
		}
	}
	return out, nil
}

// Ranking is the monthly unit ranking.
type Ranking struct {
	Period DashPeriod `json:"period"`
	Sort   string     `json:"sort"`
	// MinSample is the fewest dispatched orders for a unit to be ranked.
	MinSample int           `json:"min_sample"`
	Units     []UnitSummary `json:"units"`
}

// RankSorts are the orders the ranking can be sorted by.
var RankSorts = []string{"rank", "response_rate", "on_time_rate", "resolution_rate", "satisfaction_rate", "reopen_rate", "dispatched", "orders"}

// Ranking ranks the units (UnitStats: satisfaction, resolution,
// response; small samples listed after with ranked=false), then sorts by
// sortBy when given. A handler gets only their own unit's line.
func (s *Service) Ranking(ctx context.Context, a order.Actor, from, to, sortBy string) (Ranking, error) {
	own, err := s.dashboardScope(a, "")
	if err != nil {
		return Ranking{}, err
	}
	if sortBy == "" {
		sortBy = "rank"
	}
	if !slices.Contains(RankSorts, sortBy) {
		return Ranking{}, apperr.Field("sort", "one of "+strings.Join(RankSorts, ", "))
	}
	p, err := s.PeriodOf(from, to)
	if err != nil {
		return Ranking{}, err
	}
	units, err := s.UnitStats(ctx, order.Actor{Username: a.Username, Role: order.RoleLeader}, from, to)
	if err != nil {
		return Ranking{}, err
	}
	key := func(u UnitSummary) (float64, bool) {
		var r *float64
		switch sortBy {
		case "response_rate":
			r = u.Response
		case "on_time_rate":
			r = u.OnTime
		case "resolution_rate":
			r = u.Resolution
		case "satisfaction_rate":
			r = u.Satisfaction
		case "reopen_rate":
			r = u.Reopen
		case "dispatched":
			return float64(u.Samples.Dispatched), true
		case "orders":
			return float64(u.Orders), true
		}
		if r == nil {
			return 0, false
		}
		return *r, true
	}
	if sortBy != "rank" {
		asc := sortBy == "reopen_rate" // fewer reopens is better
		sort.SliceStable(units, func(i, j int) bool {
			ki, oki := key(units[i])
			kj, okj := key(units[j])
			if oki != okj {
				return oki // no data last
			}
			if asc {
				return ki < kj
			}
			return ki > kj
		})
	}
	if own != "" {
		units = slices.DeleteFunc(units, func(u UnitSummary) bool { return u.Code != own })
	}
	if units == nil {
		units = []UnitSummary{}
	}
	return Ranking{Period: p, Sort: sortBy, MinSample: MinRankSample, Units: units}, nil
}
