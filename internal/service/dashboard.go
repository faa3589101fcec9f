package service

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/report"
	"hotline/internal/stats"
	"hotline/internal/store"
)

// The dashboards of issue 5. Counts come from the rollups (store/rollup.go),
// which are exact; what the rollups cannot hold (overdue now, repeat callers
// and places, map points, praise texts) is read from indexed queries over
// one period. See docs/dashboards.md.

// dashboardScope checks who may read a dashboard and returns the unit the
// figures are restricted to: leaders, dispatchers and admins read any unit
// (or all); a handler reads only their own unit, whatever was asked.
func (s *Service) dashboardScope(a Actor, unit string) (string, error) {
	switch a.Role {
	case order.RoleLeader, order.RoleDispatcher, order.RoleAdmin:
	case order.RoleHandler:
		if a.Unit == "" { // the empty unit would mean every unit
			return "", apperr.New(apperr.Forbidden, "a handler without a unit sees no dashboard")
		}
		if unit != "" && unit != a.Unit {
			return "", apperr.New(apperr.Forbidden, "a handler sees only the dashboards of their own unit")
		}
		return a.Unit, nil
	default:
		return "", apperr.New(apperr.Forbidden, "role %s may not read the dashboards", a.Role)
	}
	if unit != "" {
		if _, ok := s.Unit(unit); !ok {
			return "", apperr.FieldProblem("unit", apperr.UnknownUnit(unit))
		}
	}
	return unit, nil
}

// DashPeriod is a period of Shanghai dates, both inclusive, and the day
// numbers [FromDay, ToDay) of the rollups.
type DashPeriod struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Days    int    `json:"days"`
	FromDay int64  `json:"-"`
	ToDay   int64  `json:"-"`
}

func (p DashPeriod) start() time.Time { return store.DayStart(p.FromDay) }
func (p DashPeriod) end() time.Time   { return store.DayStart(p.ToDay) }

func periodOf(start, end time.Time) DashPeriod {
	d0, d1 := store.DayOf(start), store.DayOf(end)
	return DashPeriod{From: store.DayDate(d0), To: store.DayDate(d1 - 1), Days: int(d1 - d0), FromDay: d0, ToDay: d1}
}

func daysPeriod(d0, d1 int64) DashPeriod {
	return DashPeriod{From: store.DayDate(d0), To: store.DayDate(d1 - 1), Days: int(d1 - d0), FromDay: d0, ToDay: d1}
}

// DashPeriodOf parses from/to like Period (default: this month so far).
func (s *Service) DashPeriodOf(from, to string) (DashPeriod, error) {
	start, end, err := Period(from, to, s.now())
	if err != nil {
		return DashPeriod{}, err
	}
	return periodOf(start, end), nil
}

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
type RateChange struct {
	Response     *float64 `json:"response_rate"`
	OnTime       *float64 `json:"on_time_rate"`
	Resolution   *float64 `json:"resolution_rate"`
	Satisfaction *float64 `json:"satisfaction_rate"`
	Reopen       *float64 `json:"reopen_rate"`
}

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

func (s *Service) unitName(code string) string {
	if code == "" {
		return "城运中心（未派单）"
	}
	if u, ok := s.Unit(code); ok {
		return u.Name
	}
	return code
}

// TypeNames are the Chinese names of the order types.
var TypeNames = map[string]string{"consultation": "咨询", "help": "求助", "complaint": "投诉", "report": "举报", "suggestion": "建议", "praise": "表扬"}

func (s *Service) categoryNames(ctx context.Context) map[string]string {
	cats, _ := s.Store.Categories(ctx)
	m := map[string]string{"": "未分类"}
	for _, c := range cats {
		m[c.Code] = c.Name
	}
	return m
}

func metricsOf(m *store.MetricCounts) (Rates, Samples) {
	if m == nil {
		m = &store.MetricCounts{ByStatus: map[order.Status]int{}}
	}
	return summarize(m)
}

// DashboardOverview returns the overview of a period (default: this month)
// and a unit (default: all).
func (s *Service) DashboardOverview(ctx context.Context, a Actor, from, to, unit string) (Overview, error) {
	unit, err := s.dashboardScope(a, unit)
	if err != nil {
		return Overview{}, err
	}
	p, err := s.DashPeriodOf(from, to)
	if err != nil {
		return Overview{}, err
	}
	now := s.now()
	prev := daysPeriod(p.FromDay-int64(p.Days), p.FromDay)
	ov := Overview{Period: p, Previous: prev, Unit: unit, UnitName: "全部单位", AsOf: now}
	if unit != "" {
		ov.UnitName = s.unitName(unit)
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
	go func() { defer wg.Done(); um, errs[0] = s.Store.RateCounts(ctx, f, "unit", now) }()
	go func() {
		defer wg.Done()
		pm, errs[1] = s.Store.RateCounts(ctx, store.RollupFilter{FromDay: prev.FromDay, ToDay: prev.ToDay, Unit: unit}, "", now)
	}()
	go func() { defer wg.Done(); ov.OverdueNow, errs[2] = s.Store.OverdueNow(ctx, now, unit) }()
	go func() { defer wg.Done(); perDay, errs[3] = s.Store.DayTotals(ctx, f) }()
	go func() { defer wg.Done(); rows, errs[4] = s.Store.CreatedGroups(ctx, f) }()
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
		ov.ByType = append(ov.ByType, KeyCount{Key: string(t), Name: TypeNames[string(t)], N: byType[string(t)]})
	}
	names := s.categoryNames(ctx)
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
		uf := UnitFigures{Unit: k, Name: s.unitName(k), Orders: n}
		uf.Rates, uf.Samples = metricsOf(um[k])
		ov.ByUnit = append(ov.ByUnit, uf)
	}
	for k, v := range um {
		if _, ok := byUnit[k]; !ok && v.Dispatched+v.Callbacks+v.OnTimeDue > 0 {
			uf := UnitFigures{Unit: k, Name: s.unitName(k)}
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

func nameOr(m map[string]string, k string) string {
	if n, ok := m[k]; ok {
		return n
	}
	return k
}

func sortCounts(c []KeyCount) {
	sort.SliceStable(c, func(i, j int) bool {
		if c[i].N != c[j].N {
			return c[i].N > c[j].N
		}
		return c[i].Key < c[j].Key
	})
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

// DashboardRanking ranks the units (StatsUnits: satisfaction, resolution,
// response; small samples listed after with ranked=false), then sorts by
// sortBy when given. A handler gets only their own unit's line.
func (s *Service) DashboardRanking(ctx context.Context, a Actor, from, to, sortBy string) (Ranking, error) {
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
	p, err := s.DashPeriodOf(from, to)
	if err != nil {
		return Ranking{}, err
	}
	units, err := s.StatsUnits(ctx, Actor{Username: a.Username, Role: order.RoleLeader}, from, to)
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

// Repeat is a caller or a place with several orders in the period.
type Repeat struct {
	Key    string   `json:"key"`
	Name   string   `json:"name,omitempty"`
	Count  int      `json:"count"`
	Orders []string `json:"orders"` // ids, newest first (at most 20)
	Last   string   `json:"last"`   // RFC 3339
	ids    []int64
	last   time.Time
}

// TrendsView is the trends dashboard.
type TrendsView struct {
	Unit string `json:"unit,omitempty"`
	// Weeks are the Monday-to-Sunday weeks compared, oldest first; the last
	// one ends with the week of `to`.
	Weeks         []DashPeriod  `json:"weeks"`
	Categories    []stats.Trend `json:"categories"`
	Period        DashPeriod    `json:"period"`
	RepeatCallers []Repeat      `json:"repeat_callers"`
	RepeatPlaces  []Repeat      `json:"repeat_places"`
	MinRepeat     int           `json:"min_repeat"`
	Note          string        `json:"note"`
}

// randomHasher is the repeat callers' hasher without a data key.
func randomHasher() *stats.Hasher {
	k := make([]byte, 32)
	rand.Read(k)
	return stats.NewHasher(k)
}

// defaultRepeatDays is the default repeat-caller and repeat-place window:
// the last 7 days (reading them costs in proportion to the orders of the
// window, not to the history).
const defaultRepeatDays = 7

// maxRepeatDays bounds the repeat-caller and repeat-place period: they are
// read from the orders themselves.
const maxRepeatDays = 92

// DashboardTrends returns categories rising or falling week over week (weeks
// Monday–Sunday, the last one containing `to`, default today) and the repeat
// callers (by a keyed hash of the phone number; no number is returned) and
// repeat places (compound, else address) of the period from..to (default:
// the last 7 days, at most 92).
func (s *Service) DashboardTrends(ctx context.Context, a Actor, from, to, unit string, weeks, minRepeat int) (TrendsView, error) {
	unit, err := s.dashboardScope(a, unit)
	if err != nil {
		return TrendsView{}, err
	}
	if weeks == 0 {
		weeks = 8
	}
	if weeks < 2 || weeks > 52 {
		return TrendsView{}, apperr.Field("weeks", "2 to 52")
	}
	if minRepeat == 0 {
		minRepeat = 2
	}
	if minRepeat < 2 {
		return TrendsView{}, apperr.Field("min_repeat", "at least 2")
	}
	today := store.DayOf(s.now())
	if from == "" && to == "" {
		from = store.DayDate(today - (defaultRepeatDays - 1))
	}
	p, err := s.DashPeriodOf(from, to)
	if err != nil {
		return TrendsView{}, err
	}
	if p.Days > maxRepeatDays {
		return TrendsView{}, apperr.Field("from", "repeat callers and places cover at most 92 days")
	}
	last := p.ToDay - 1
	// Day 0 (1970-01-01) was a Thursday: Monday is day ≡ 4 (mod 7).
	monday := last - ((last-4)%7+7)%7
	tv := TrendsView{Unit: unit, Period: p, MinRepeat: minRepeat,
		Note: "每周一至周日；重复来电按号码的加密摘要归并，不显示号码；重复地点按小区，无小区时按地址"}
	weekly := map[string][]int{}
	first := monday - int64(7*(weeks-1))
	for i := 0; i < weeks; i++ {
		d0 := first + int64(7*i)
		tv.Weeks = append(tv.Weeks, daysPeriod(d0, d0+7))
	}
	// Summed by category and day in the database: a few hundred rows for
	// eight weeks, whatever the number of orders; read on another connection
	// while the repeat callers and places are counted below.
	type categoryDays struct {
		rows []store.Count
		err  error
	}
	catDays := make(chan categoryDays, 1)
	go func() {
		rows, err := s.Store.CreatedCategoryDays(ctx, store.RollupFilter{FromDay: first, ToDay: monday + 7, Unit: unit, NoPraise: true, Daily: true})
		catDays <- categoryDays{rows, err}
	}()

	compounds := map[string]string{}
	if cs, err := s.Store.Compounds(ctx, ""); err == nil {
		for _, c := range cs {
			compounds[c.Code] = c.Name
		}
	}
	// One pass over the window's orders (store.PlaceOrders) keeps each
	// order's normalized caller and place and counts them; only the keys
	// seen minRepeat times or more get a Repeat (a few hundred of the tens of
	// thousands of orders in a week at city scale), and only repeated
	// callers are hashed. phoneOf and placeOf equal stats.NormalizePhone and
	// stats.PlaceKey without allocating for numbers and addresses that are
	// already clean.
	type placeRow struct {
		id      int64
		at      time.Time
		caller  string
		place   placeKey
		address string
	}
	seen := make([]placeRow, 0, 1<<14)
	callerN, placeN := make(map[string]int32, 1<<14), make(map[placeKey]int32, 1<<10)
	err = s.Store.PlaceOrders(ctx, store.DashFilter{From: p.start(), To: p.end(), Unit: unit}, func(id int64, compound, address, phone string, at time.Time) {
		r := placeRow{id: id, at: at, caller: phoneOf(phone), place: placeOf(compound, address), address: address}
		if r.caller != "" {
			callerN[r.caller]++
		}
		if r.place.s != "" {
			placeN[r.place]++
		}
		seen = append(seen, r)
	})
	if err != nil {
		return TrendsView{}, err
	}
	callers, places := map[string]*Repeat{}, map[placeKey]*Repeat{}
	add := func(r *Repeat, id int64, at time.Time) {
		r.Count++
		r.ids = append(r.ids, id)
		if at.After(r.last) {
			r.last = at
		}
	}
	for _, o := range seen {
		if o.caller != "" && int(callerN[o.caller]) >= minRepeat {
			r := callers[o.caller]
			if r == nil {
				r = &Repeat{Key: s.Callers.Phone(o.caller)}
				callers[o.caller] = r
			}
			add(r, o.id, o.at)
		}
		if o.place.s != "" && int(placeN[o.place]) >= minRepeat {
			r := places[o.place]
			if r == nil {
				r = &Repeat{Key: "address:" + o.place.s, Name: o.address} // as first written in the period
				if o.place.compound {
					r.Key, r.Name = "compound:"+o.place.s, nameOr(compounds, o.place.s)
				}
				places[o.place] = r
			}
			add(r, o.id, o.at)
		}
	}
	cd := <-catDays
	if cd.err != nil {
		return TrendsView{}, cd.err
	}
	for _, r := range cd.rows {
		if weekly[r.Key] == nil {
			weekly[r.Key] = make([]int, weeks)
		}
		weekly[r.Key][(r.Day-first)/7] += int(r.N)
	}
	names := s.categoryNames(ctx)
	tv.Categories = stats.Trends(weekly)
	for i := range tv.Categories {
		tv.Categories[i].Name = nameOr(names, tv.Categories[i].Key)
	}
	if tv.Categories == nil {
		tv.Categories = []stats.Trend{}
	}
	tv.RepeatCallers = repeats(callers, minRepeat)
	tv.RepeatPlaces = repeats(places, minRepeat)
	return tv, nil
}

// placeKey is stats.PlaceKey as a comparable value: the compound's code, or
// the address without spaces and punctuation ("" for no place).
type placeKey struct {
	compound bool
	s        string
}

// placeOf is stats.PlaceKey(compound, address) as a placeKey; it allocates
// only for an address that has something to strip (or is not valid UTF-8,
// which PlaceKey rewrites).
func placeOf(compound, address string) placeKey {
	if compound != "" {
		return placeKey{compound: true, s: compound}
	}
	if utf8.ValidString(address) && !strings.ContainsAny(address, placeStrip) {
		return placeKey{s: address}
	}
	return placeKey{s: strings.TrimPrefix(stats.PlaceKey("", address), "address:")}
}

// placeStrip are the characters stats.PlaceKey removes from an address.
const placeStrip = " 　,，。."

// phoneOf is stats.NormalizePhone(phone), without allocating for a number
// that is digits only.
func phoneOf(phone string) string {
	for i := 0; i < len(phone); i++ {
		if phone[i] < '0' || phone[i] > '9' {
			return stats.NormalizePhone(phone)
		}
	}
	if len(phone) == 13 && strings.HasPrefix(phone, "861") {
		return phone[2:]
	}
	return phone
}

func repeats[K comparable](m map[K]*Repeat, min int) []Repeat {
	out := []Repeat{}
	for _, r := range m {
		if r.Count < min {
			continue
		}
		slices.Sort(r.ids)
		for i := len(r.ids) - 1; i >= 0 && len(r.Orders) < 20; i-- {
			r.Orders = append(r.Orders, strconv.FormatInt(r.ids[i], 10))
		}
		r.ids = nil
		r.Last = r.last.Format(time.RFC3339)
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	if len(out) > 100 {
		out = out[:100]
	}
	return out
}

// MapCompound is a compound on the hotspot map.
type MapCompound struct {
	Code      string          `json:"code"`
	Name      string          `json:"name"`
	Committee string          `json:"committee"`
	Outline   json.RawMessage `json:"outline"` // GeoJSON geometry or feature, null when none
	Lat       *float64        `json:"lat"`
	Lng       *float64        `json:"lng"`
	Orders    int             `json:"orders"`
}

// MapPoint is an order on the map: its own position, or its compound's
// centroid (approximate=true).
type MapPoint struct {
	ID          string  `json:"id"`
	Number      string  `json:"number"`
	Type        string  `json:"type"`
	Status      string  `json:"status"`
	Category    string  `json:"category"`
	Compound    string  `json:"compound,omitempty"`
	Lat         float64 `json:"lat"`
	Lng         float64 `json:"lng"`
	Approximate bool    `json:"approximate"`
	URL         string  `json:"url"`
}

// MapView is the hotspot map's data.
type MapView struct {
	Period    DashPeriod    `json:"period"`
	Unit      string        `json:"unit,omitempty"`
	Category  string        `json:"category,omitempty"`
	Compounds []MapCompound `json:"compounds"`
	Points    []MapPoint    `json:"points"`
	// Total is the orders of the period (with the filters); Points are the
	// newest MaxMapPoints of them that have a position or a compound
	// (Truncated when the period has more orders than that).
	Total     int  `json:"total"`
	Truncated bool `json:"truncated"`
}

// MaxMapPoints caps the points of one map answer (newest first).
const MaxMapPoints = 2000

// DashboardMap returns the compounds (GeoJSON outlines, centroids, the number
// of orders of the period at each) and the orders as points.
func (s *Service) DashboardMap(ctx context.Context, a Actor, from, to, unit, category string) (MapView, error) {
	unit, err := s.dashboardScope(a, unit)
	if err != nil {
		return MapView{}, err
	}
	p, err := s.DashPeriodOf(from, to)
	if err != nil {
		return MapView{}, err
	}
	if len(category) > 100 {
		return MapView{}, apperr.Field("category", "too long")
	}
	cs, err := s.Store.Compounds(ctx, "")
	if err != nil {
		return MapView{}, err
	}
	mv := MapView{Period: p, Unit: unit, Category: category, Compounds: []MapCompound{}, Points: []MapPoint{}}
	idx := map[string]int{}
	for _, c := range cs {
		mc := MapCompound{Code: c.Code, Name: c.Name, Committee: c.Committee, Lat: c.Lat, Lng: c.Lng, Outline: json.RawMessage("null")}
		if strings.TrimSpace(c.GeoJSON) != "" && json.Valid([]byte(c.GeoJSON)) {
			mc.Outline = json.RawMessage(c.GeoJSON)
		}
		idx[c.Code] = len(mv.Compounds)
		mv.Compounds = append(mv.Compounds, mc)
	}
	f := store.DashFilter{From: p.start(), To: p.end(), Unit: unit, Category: category}
	counts, err := s.Store.CompoundCounts(ctx, f)
	if err != nil {
		return MapView{}, err
	}
	for c, n := range counts {
		mv.Total += n
		if i, ok := idx[c]; ok {
			mv.Compounds[i].Orders += n
		}
	}
	f.Limit = MaxMapPoints + 1
	err = s.Store.DashOrders(ctx, f, func(o store.DashOrder) error {
		i, inCompound := idx[o.Compound]
		pt := MapPoint{ID: o.ID, Number: o.Number, Type: o.Type, Status: o.Status, Category: o.Category, Compound: o.Compound, URL: "/orders/" + o.ID}
		switch {
		case o.Lat != nil && o.Lng != nil:
			pt.Lat, pt.Lng = *o.Lat, *o.Lng
		case inCompound && mv.Compounds[i].Lat != nil && mv.Compounds[i].Lng != nil:
			pt.Lat, pt.Lng, pt.Approximate = *mv.Compounds[i].Lat, *mv.Compounds[i].Lng, true
		default:
			return nil
		}
		mv.Points = append(mv.Points, pt)
		return nil
	})
	if err != nil {
		return MapView{}, err
	}
	if len(mv.Points) > MaxMapPoints {
		mv.Points = mv.Points[:MaxMapPoints]
	}
	mv.Truncated = mv.Total > MaxMapPoints
	return mv, nil
}

// PraiseView is the praise board.
type PraiseView struct {
	Period DashPeriod `json:"period"`
	Unit   string     `json:"unit,omitempty"`
	// Months are the calendar months (YYYY-MM) of the period, oldest first.
	Months []string       `json:"months"`
	ByUnit []PraiseByUnit `json:"by_unit"`
	People []PraisePerson `json:"people"`
	// PeopleTruncated: the people were read from the newest MaxPraiseTexts
	// praise orders of the period only (the counts by unit are complete).
	PeopleTruncated bool  `json:"people_truncated"`
	Total           int64 `json:"total"`
}

// MaxPraiseTexts is how many praise orders (newest first) the praise board
// reads for the people named.
const MaxPraiseTexts = 2000

// PraiseByUnit is one unit's praise orders per month.
type PraiseByUnit struct {
	Unit     string  `json:"unit"`
	Name     string  `json:"name"`
	Total    int64   `json:"total"`
	PerMonth []int64 `json:"per_month"`
}

// PraisePerson is a person named in praise orders (王书记 of a unit).
type PraisePerson struct {
	Person   string   `json:"person"`
	Unit     string   `json:"unit"`
	UnitName string   `json:"unit_name"`
	Count    int      `json:"count"`
	Orders   []string `json:"orders"`
	Last     string   `json:"last"`
}

// DashboardPraise returns the praise board of a period (default: the last
// twelve months): praise orders by unit per month, and the people named.
func (s *Service) DashboardPraise(ctx context.Context, a Actor, from, to, unit string) (PraiseView, error) {
	unit, err := s.dashboardScope(a, unit)
	if err != nil {
		return PraiseView{}, err
	}
	if from == "" && to == "" {
		l := s.now().In(calendar.Shanghai)
		from = time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, calendar.Shanghai).AddDate(0, -11, 0).Format("2006-01-02")
	}
	p, err := s.DashPeriodOf(from, to)
	if err != nil {
		return PraiseView{}, err
	}
	pv := PraiseView{Period: p, Unit: unit, ByUnit: []PraiseByUnit{}, People: []PraisePerson{}}
	monthIdx := map[string]int{}
	for d := p.FromDay; d < p.ToDay; d++ {
		m := store.DayDate(d)[:7]
		if _, ok := monthIdx[m]; !ok {
			monthIdx[m] = len(pv.Months)
			pv.Months = append(pv.Months, m)
		}
	}
	rows, err := s.Store.CreatedUnitDays(ctx, store.RollupFilter{FromDay: p.FromDay, ToDay: p.ToDay, Unit: unit, Type: "praise"})
	if err != nil {
		return PraiseView{}, err
	}
	byUnit := map[string]*PraiseByUnit{}
	for _, r := range rows {
		b := byUnit[r.Key]
		if b == nil {
			b = &PraiseByUnit{Unit: r.Key, Name: s.unitName(r.Key), PerMonth: make([]int64, len(pv.Months))}
			byUnit[r.Key] = b
		}
		b.PerMonth[monthIdx[store.DayDate(r.Day)[:7]]] += r.N
		b.Total += r.N
		pv.Total += r.N
	}
	for _, b := range byUnit {
		pv.ByUnit = append(pv.ByUnit, *b)
	}
	sort.Slice(pv.ByUnit, func(i, j int) bool {
		if pv.ByUnit[i].Total != pv.ByUnit[j].Total {
			return pv.ByUnit[i].Total > pv.ByUnit[j].Total
		}
		return pv.ByUnit[i].Unit < pv.ByUnit[j].Unit
	})
	people := map[[2]string]*PraisePerson{}
	seen := 0
	err = s.Store.DashOrders(ctx, store.DashFilter{From: p.start(), To: p.end(), Unit: unit, Type: "praise", Text: true, Limit: MaxPraiseTexts}, func(o store.DashOrder) error {
		seen++
		for _, name := range stats.PraisedPeople(o.Title) {
			k := [2]string{name, o.Unit}
			pp := people[k]
			if pp == nil {
				pp = &PraisePerson{Person: name, Unit: o.Unit, UnitName: s.unitName(o.Unit)}
				people[k] = pp
			}
			pp.Count++
			if len(pp.Orders) < 20 {
				pp.Orders = append(pp.Orders, o.ID)
			}
			if at := o.CreatedAt.Format(time.RFC3339); at > pp.Last {
				pp.Last = at
			}
		}
		return nil
	})
	if err != nil {
		return PraiseView{}, err
	}
	pv.PeopleTruncated = seen >= MaxPraiseTexts
	for _, pp := range people {
		pv.People = append(pv.People, *pp)
	}
	sort.Slice(pv.People, func(i, j int) bool {
		a, b := pv.People[i], pv.People[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Person+a.Unit < b.Person+b.Unit
	})
	if len(pv.People) > 100 {
		pv.People = pv.People[:100]
	}
	return pv, nil
}

// Reports (exports): the same figures as the dashboards, as report.Books.
// The figures are the dashboards'; how they are laid out is report's.

func reportRates(r Rates, sm Samples) report.Rates {
	return report.Rates{Response: r.Response, OnTime: r.OnTime, Resolution: r.Resolution, Satisfaction: r.Satisfaction, Reopen: r.Reopen,
		ResponseBase: sm.ResponseBase, OnTimeBase: sm.OnTimeBase, Callbacks: sm.Callbacks, Closed: sm.Closed}
}

func reportRanking(rk Ranking) report.Ranking {
	out := report.Ranking{From: rk.Period.From, To: rk.Period.To, MinSample: rk.MinSample}
	for _, u := range rk.Units {
		out.Units = append(out.Units, report.RankedUnit{Rank: u.Rank, Ranked: u.Ranked, Name: u.Name, Kind: u.Kind,
			Orders: u.Orders, Rates: reportRates(u.Rates, u.Samples)})
	}
	return out
}

// RankingReport is the unit ranking as a workbook.
func (s *Service) RankingReport(ctx context.Context, a Actor, from, to, sortBy string) (*report.Book, error) {
	rk, err := s.DashboardRanking(ctx, a, from, to, sortBy)
	if err != nil {
		return nil, err
	}
	b := &report.Book{FileName: "单位排名-" + rk.Period.From + "至" + rk.Period.To}
	report.RankingSheet(b, "月度排名", reportRanking(rk))
	return b, nil
}

func reportOverview(ov Overview) report.Overview {
	ch := ov.Change
	out := report.Overview{From: ov.Period.From, To: ov.Period.To, UnitName: ov.UnitName, Covers: ov.Covers,
		OrdersIn: ov.OrdersIn, OrdersClosed: ov.OrdersClosed, OverdueNow: ov.OverdueNow,
		Current: reportRates(ov.Rates, ov.Samples), Previous: reportRates(ov.PreviousRates, ov.PreviousSamples),
		Change: report.Rates{Response: ch.Response, OnTime: ch.OnTime, Resolution: ch.Resolution, Satisfaction: ch.Satisfaction, Reopen: ch.Reopen}}
	for _, x := range order.Statuses {
		out.ByStatus = append(out.ByStatus, report.Named{Key: string(x), Name: StatusNames[x], N: int64(ov.ByStatus[x])})
	}
	for _, x := range ov.PerDay {
		t, _ := time.ParseInLocation("2006-01-02", x.Date, calendar.Shanghai)
		out.PerDay = append(out.PerDay, report.DayInOut{Day: t, In: x.In, Closed: x.Closed})
	}
	for _, x := range ov.ByType {
		out.ByType = append(out.ByType, report.Named(x))
	}
	for _, x := range ov.ByCategory {
		out.ByCategory = append(out.ByCategory, report.Named(x))
	}
	for _, x := range ov.ByUnit {
		out.ByUnit = append(out.ByUnit, report.UnitLine{Name: x.Name, Orders: x.Orders, Rates: reportRates(x.Rates, x.Samples)})
	}
	return out
}

// StatusNames are the Chinese names of the states.
var StatusNames = map[order.Status]string{order.Received: "已受理", order.Answered: "已直接答复", order.Dispatched: "已派单", order.Accepted: "已签收",
	order.InProgress: "办理中", order.ReturnRequested: "退单申请中", order.Returned: "已退回", order.Replied: "已答复待审核", order.Reviewed: "待回访",
	order.Closed: "已办结", order.Merged: "已并单", order.Invalid: "无效工单"}

// OverviewReport is the overview as a workbook.
func (s *Service) OverviewReport(ctx context.Context, a Actor, from, to, unit string) (*report.Book, error) {
	ov, err := s.DashboardOverview(ctx, a, from, to, unit)
	if err != nil {
		return nil, err
	}
	b := &report.Book{FileName: "工单总览-" + ov.Period.From + "至" + ov.Period.To}
	report.OverviewSheets(b, reportOverview(ov))
	return b, nil
}

// MaxExportOrders caps an order-list export.
const MaxExportOrders = 20000

// OrdersReport is the order list with the list's filters (the same as GET
// /api/v1/orders, every page up to MaxExportOrders). Caller names and phone
// numbers are not exported.
func (s *Service) OrdersReport(ctx context.Context, a Actor, q ListQuery) (*report.Book, error) {
	if _, err := s.dashboardScope(a, ""); err != nil {
		return nil, err
	}
	b := &report.Book{FileName: "工单清单"}
	list := report.OrdersSheet(b, s.now())
	urg := map[order.Urgency]string{order.Normal: "一般", order.Urgent: "紧急", order.Emergency: "特急"}
	outcome := map[string]string{"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意", "unreachable": "未接通", "": ""}
	names := s.categoryNames(ctx)
	q.Limit = 200
	for n := 0; n < MaxExportOrders; {
		views, next, err := s.ListOrders(ctx, a, q)
		if err != nil {
			return nil, err
		}
		for _, v := range views {
			list.Add(report.OrderLine{Number: v.Number, Created: v.CreatedAt, Type: TypeNames[string(v.Type)], Urgency: urg[v.Urgency],
				Status: StatusNames[v.Status], Title: v.Title, Category: nameOr(names, v.Category), Unit: s.unitName(v.Unit),
				Place: s.Place(&v.Order), Dispatched: v.DispatchedAt, Due: v.Due, Replied: v.RepliedAt, Closed: v.ClosedAt,
				Overdue: v.IsOverdue, Reopens: v.ReopenCount, Callback: nameOr(outcome, v.Satisfaction)})
			n++
		}
		if next == "" || len(views) == 0 {
			break
		}
		q.Cursor = next
	}
	list.Done(MaxExportOrders)
	return b, nil
}

// WeeklyReport is the weekly report as one workbook: the week's overview
// sheets, the unit ranking of the week and of the month so far, and the
// trends. week is any date of the week (Monday to Sunday), default the
// previous full week.
func (s *Service) WeeklyReport(ctx context.Context, a Actor, week string) (*report.Book, error) {
	if _, err := s.dashboardScope(a, ""); err != nil {
		return nil, err
	}
	if a.Role == order.RoleHandler {
		return nil, apperr.New(apperr.Forbidden, "the weekly report covers every unit: leaders, dispatchers and admins")
	}
	day := store.DayOf(s.now()) - 7
	if week != "" {
		t, err := time.ParseInLocation("2006-01-02", week, calendar.Shanghai)
		if err != nil {
			return nil, apperr.Field("week", "a date like 2026-11-23")
		}
		day = store.DayOf(t)
	}
	monday := day - ((day-4)%7+7)%7
	w := daysPeriod(monday, monday+7)
	ov, err := s.DashboardOverview(ctx, a, w.From, w.To, "")
	if err != nil {
		return nil, err
	}
	b := &report.Book{FileName: "12345工单周报-" + w.From + "至" + w.To}
	report.OverviewSheets(b, reportOverview(ov))
	rk, err := s.DashboardRanking(ctx, a, w.From, w.To, "")
	if err != nil {
		return nil, err
	}
	report.RankingSheet(b, "本周排名", reportRanking(rk))
	ms := store.DayOf(store.DayStart(monday+6).In(calendar.Shanghai).AddDate(0, 0, 0))
	l := store.DayStart(ms).In(calendar.Shanghai)
	mFrom := time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, calendar.Shanghai).Format("2006-01-02")
	mk, err := s.DashboardRanking(ctx, a, mFrom, w.To, "")
	if err != nil {
		return nil, err
	}
	report.RankingSheet(b, "本月累计排名", reportRanking(mk))
	tv, err := s.DashboardTrends(ctx, a, w.From, w.To, "", 4, 0)
	if err != nil {
		return nil, err
	}
	var places []report.Named
	for _, r := range tv.RepeatPlaces {
		places = append(places, report.Named{Key: r.Key, Name: r.Name, N: int64(r.Count)})
	}
	report.TrendSheets(b, tv.Categories, places)
	return b, nil
}
