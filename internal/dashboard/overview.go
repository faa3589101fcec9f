package dashboard

import (
	"context"
	"sort"
	"sync"
	"time"

	"hotline/internal/order"
	"hotline/internal/service"
	"hotline/internal/stats"
	"hotline/internal/store"
)

// KeyCount is a count by a key (a type, a category, a unit, a status).
type KeyCount struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	N    int64  `json:"n"`
}

// DayCount is one day of the orders-per-day line.
type DayCount struct {
	Date   string `json:"date"`
	In     int64  `json:"in"`
	Closed int64  `json:"closed"`
}

// UnitFigures is one unit's counts and rates in the overview.
type UnitFigures struct {
	Unit   string `json:"unit"`
	Name   string `json:"name"`
	Orders int64  `json:"orders"`
	Rates
	Samples Samples `json:"samples"`
}

// RateChange is the change of each rate against the previous period, in
// rate units (0.05 = 5 percentage points); null when either side has no data.
// It has the fields (and JSON names) of Rates.
type RateChange Rates

// Overview is the month at a glance.
type Overview struct {
	Period   DashPeriod `json:"period"`
	Previous DashPeriod `json:"previous"`
	Unit     string     `json:"unit,omitempty"`
	UnitName string     `json:"unit_name"`
	// Covers says in words what the figures count.
	Covers       string               `json:"covers"`
	OrdersIn     int64                `json:"orders_in"`
	OrdersClosed int64                `json:"orders_closed"`
	ByStatus     map[order.Status]int `json:"by_status"`
	OverdueNow   int                  `json:"overdue_now"`
	AsOf         time.Time            `json:"as_of"`
	Rates
	Samples         Samples       `json:"samples"`
	PreviousRates   Rates         `json:"previous_rates"`
	PreviousSamples Samples       `json:"previous_samples"`
	Change          RateChange    `json:"change"`
	PerDay          []DayCount    `json:"per_day"`
	ByType          []KeyCount    `json:"by_type"`
	ByCategory      []KeyCount    `json:"by_category"`
	ByUnit          []UnitFigures `json:"by_unit"`
}

func metricsOf(m *store.MetricCounts) (Rates, Samples) {
	if m == nil {
		m = &store.MetricCounts{ByStatus: map[order.Status]int{}}
	}
	return summarize(m)
}

// Overview returns the overview of a period (default: this month)
// and a unit (default: all).
func (s *Service) Overview(ctx context.Context, a order.Actor, from, to, unit string) (Overview, error) {
	unit, err := s.dashboardScope(a, unit)
	if err != nil {
		return Overview{}, err
	}
	p, err := s.PeriodOf(from, to)
	if err != nil {
		return Overview{}, err
	}
	now := s.now()
	prev := daysPeriod(p.FromDay-int64(p.Days), p.FromDay)
	ov := Overview{Period: p, Previous: prev, Unit: unit, UnitName: "全部单位", AsOf: now}
	if unit != "" {
		ov.UnitName = s.orders.UnitLabel(unit)
	}
	ov.Covers = "收件与状态：" + p.From + " 至 " + p.To + "（上海时间）受理的工单；五率：同期首次派单的工单（不含表扬、无效、并单、直接答复），" +
		ov.UnitName + "；对比上一等长周期 " + prev.From + " 至 " + prev.To
	f := store.RollupFilter{FromDay: p.FromDay, ToDay: p.ToDay, Unit: unit}

	// Five independent reads, run at once: the rates per unit (one rollup
	// read and one small live query; the total is their sum), the previous
	// period's rates, overdue now, orders in and closed per day (rollup_days),
	// and the created rollup summed by unit, category, type and status (one
	// read serves orders in, by status, by type, by category and by unit). Whole months of a long period are read
	// from the monthly rollups, the edge days from the daily ones.
	var (
		um, pm map[string]*store.MetricCounts
		perDay []store.DayTotal
		rows   []store.CreatedRow
		errs   [5]error
		wg     sync.WaitGroup
	)
	wg.Add(5)
	go func() { defer wg.Done(); um, errs[0] = s.store.RateCounts(ctx, f, "unit", now) }()
	go func() {
		defer wg.Done()
		pm, errs[1] = s.store.RateCounts(ctx, store.RollupFilter{FromDay: prev.FromDay, ToDay: prev.ToDay, Unit: unit}, "", now)
	}()
	go func() { defer wg.Done(); ov.OverdueNow, errs[2] = s.store.OverdueNow(ctx, now, unit) }()
	go func() { defer wg.Done(); perDay, errs[3] = s.store.DayTotals(ctx, f) }()
	go func() { defer wg.Done(); rows, errs[4] = s.store.CreatedGroups(ctx, f) }()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Overview{}, err
		}
	}
	total := &store.MetricCounts{ByStatus: map[order.Status]int{}}
	for _, m := range um {
		addCounts(total, m)
	}
	ov.Rates, ov.Samples = metricsOf(total)
	ov.PreviousRates, ov.PreviousSamples = metricsOf(pm[""])
	ov.Change = RateChange{
		Response: stats.Change(ov.Response, ov.PreviousRates.Response), OnTime: stats.Change(ov.OnTime, ov.PreviousRates.OnTime),
		Resolution: stats.Change(ov.Resolution, ov.PreviousRates.Resolution), Satisfaction: stats.Change(ov.Satisfaction, ov.PreviousRates.Satisfaction),
		Reopen: stats.Change(ov.Reopen, ov.PreviousRates.Reopen)}
	ov.PerDay = make([]DayCount, p.Days)
	for i := range ov.PerDay {
		ov.PerDay[i].Date = store.DayDate(p.FromDay + int64(i))
	}
	for _, c := range perDay {
		ov.PerDay[c.Day-p.FromDay].Closed += c.Closed
		ov.PerDay[c.Day-p.FromDay].In += c.In
		ov.OrdersClosed += c.Closed
	}
	byStatus := map[order.Status]int{}
	byType, byCat, byUnit := map[string]int64{}, map[string]int64{}, map[string]int64{}
	for _, r := range rows {
		ov.OrdersIn += r.N
		byStatus[order.Status(r.Status)] += int(r.N)
		byType[r.Type] += r.N
		byCat[r.Category] += r.N
		byUnit[r.Unit] += r.N
	}
	ov.ByStatus = fillStatuses(byStatus)
	for _, t := range order.Types {
		ov.ByType = append(ov.ByType, KeyCount{Key: string(t), Name: service.TypeNames[string(t)], N: byType[string(t)]})
	}
	names := s.orders.CategoryNames(ctx)
	for k, n := range byCat {
		if n != 0 {
			ov.ByCategory = append(ov.ByCategory, KeyCount{Key: k, Name: nameOr(names, k), N: n})
		}
	}
	sortCounts(ov.ByCategory)
	for k, n := range byUnit {
		if n == 0 && um[k] == nil {
			continue
		}
		uf := UnitFigures{Unit: k, Name: s.orders.UnitLabel(k), Orders: n}
		uf.Rates, uf.Samples = metricsOf(um[k])
		ov.ByUnit = append(ov.ByUnit, uf)
	}
	for k, v := range um {
		if _, ok := byUnit[k]; !ok && v.Dispatched+v.Callbacks+v.OnTimeDue > 0 {
			uf := UnitFigures{Unit: k, Name: s.orders.UnitLabel(k)}
			uf.Rates, uf.Samples = metricsOf(v)
			ov.ByUnit = append(ov.ByUnit, uf)
		}
	}
	sort.SliceStable(ov.ByUnit, func(i, j int) bool {
		if ov.ByUnit[i].Orders != ov.ByUnit[j].Orders {
			return ov.ByUnit[i].Orders > ov.ByUnit[j].Orders
		}
		return ov.ByUnit[i].Unit < ov.ByUnit[j].Unit
	})
	return ov, nil
}

func addCounts(t, m *store.MetricCounts) {
	t.Dispatched += m.Dispatched
	t.ResponseDue += m.ResponseDue
	t.Responded += m.Responded
	t.OnTimeDue += m.OnTimeDue
	t.OnTime += m.OnTime
	t.Closed += m.Closed
	t.ClosedReopened += m.ClosedReopened
	t.Callbacks += m.Callbacks
	t.CallbacksSolved += m.CallbacksSolved
	t.CallbacksHappy += m.CallbacksHappy
}
