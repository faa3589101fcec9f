package dashboard

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/stats"
	"hotline/internal/store"
)

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

// defaultRepeatDays is the default repeat-caller and repeat-place window:
// the last 7 days (reading them costs in proportion to the orders of the
// window, not to the history).
const defaultRepeatDays = 7

// maxRepeatDays bounds the repeat-caller and repeat-place period: they are
// read from the orders themselves.
const maxRepeatDays = 92

// Trends returns categories rising or falling week over week (weeks
// Monday–Sunday, the last one containing `to`, default today) and the repeat
// callers (by a keyed hash of the phone number; no number is returned) and
// repeat places (compound, else address) of the period from..to (default:
// the last 7 days, at most 92).
func (s *Service) Trends(ctx context.Context, a order.Actor, from, to, unit string, weeks, minRepeat int) (TrendsView, error) {
	unit, err := s.dashboardScope(a, unit)
	if err != nil {
		return TrendsView{}, err
	}
	p, weeks, minRepeat, err := s.trendsQuery(from, to, weeks, minRepeat)
	if err != nil {
		return TrendsView{}, err
	}
	tv := TrendsView{Unit: unit, Period: p, MinRepeat: minRepeat, Weeks: weeksEnding(p.ToDay-1, weeks),
		Note: "每周一至周日；重复来电按号码的加密摘要归并，不显示号码；重复地点按小区，无小区时按地址"}
	// The categories are summed by day in the database (a few hundred rows
	// for eight weeks, whatever the number of orders), read on another
	// connection while the repeat callers and places are counted.
	type categoryDays struct {
		rows []store.Count
		err  error
	}
	catDays := make(chan categoryDays, 1)
	first, end := tv.Weeks[0].FromDay, tv.Weeks[weeks-1].ToDay
	go func() {
		rows, err := s.store.CreatedCategoryDays(ctx, store.RollupFilter{FromDay: first, ToDay: end, Unit: unit, NoPraise: true, Daily: true})
		catDays <- categoryDays{rows, err}
	}()
	tv.RepeatCallers, tv.RepeatPlaces, err = s.repeatsOf(ctx, p, unit, minRepeat)
	cd := <-catDays
	if err != nil {
		return TrendsView{}, err
	}
	if cd.err != nil {
		return TrendsView{}, cd.err
	}
	tv.Categories = s.categoryTrends(ctx, cd.rows, first, weeks)
	return tv, nil
}

// trendsQuery checks the trends' parameters and fills in their defaults:
// eight weeks, two orders make a repeat, the last seven days.
func (s *Service) trendsQuery(from, to string, weeks, minRepeat int) (DashPeriod, int, int, error) {
	if weeks == 0 {
		weeks = 8
	}
	if weeks < 2 || weeks > 52 {
		return DashPeriod{}, 0, 0, apperr.Field("weeks", "2 to 52")
	}
	if minRepeat == 0 {
		minRepeat = 2
	}
	if minRepeat < 2 {
		return DashPeriod{}, 0, 0, apperr.Field("min_repeat", "at least 2")
	}
	if from == "" && to == "" {
		from = store.DayDate(store.DayOf(s.now()) - (defaultRepeatDays - 1))
	}
	p, err := s.PeriodOf(from, to)
	if err != nil {
		return DashPeriod{}, 0, 0, err
	}
	if p.Days > maxRepeatDays {
		return DashPeriod{}, 0, 0, apperr.Field("from", "repeat callers and places cover at most 92 days")
	}
	return p, weeks, minRepeat, nil
}

// weeksEnding returns the n Monday-to-Sunday weeks, oldest first, the last
// of which holds day last.
func weeksEnding(last int64, n int) []DashPeriod {
	// Day 0 (1970-01-01) was a Thursday: Monday is day ≡ 4 (mod 7).
	monday := last - ((last-4)%7+7)%7
	first := monday - int64(7*(n-1))
	out := make([]DashPeriod, 0, n)
	for i := 0; i < n; i++ {
		d0 := first + int64(7*i)
		out = append(out, daysPeriod(d0, d0+7))
	}
	return out
}

// categoryTrends sums the categories' days (from day first) into weeks and
// names the categories that rise or fall.
func (s *Service) categoryTrends(ctx context.Context, rows []store.Count, first int64, weeks int) []stats.Trend {
	weekly := map[string][]int{}
	for _, r := range rows {
		if weekly[r.Key] == nil {
			weekly[r.Key] = make([]int, weeks)
		}
		weekly[r.Key][(r.Day-first)/7] += int(r.N)
	}
	names := s.orders.CategoryNames(ctx)
	trends := stats.Trends(weekly)
	for i := range trends {
		trends[i].Name = nameOr(names, trends[i].Key)
	}
	if trends == nil {
		trends = []stats.Trend{}
	}
	return trends
}

// repeatsOf returns the callers and places of the period with minRepeat
// orders or more. One pass over the period's orders (store.PlaceOrders)
// keeps each order's normalized caller and place and counts them; only the
// keys seen minRepeat times or more get a Repeat (a few hundred of the tens
// of thousands of orders in a week at city scale), and only repeated callers
// are hashed. phoneOf and placeOf equal stats.NormalizePhone and
// stats.PlaceKey without allocating for numbers and addresses that are
// already clean.
func (s *Service) repeatsOf(ctx context.Context, p DashPeriod, unit string, minRepeat int) (callers, places []Repeat, err error) {
	compounds := map[string]string{}
	if cs, err := s.store.Compounds(ctx, ""); err == nil {
		for _, c := range cs {
			compounds[c.Code] = c.Name
		}
	}
	type placeRow struct {
		id      int64
		at      time.Time
		caller  string
		place   placeKey
		address string
	}
	seen := make([]placeRow, 0, 1<<14)
	callerN, placeN := make(map[string]int32, 1<<14), make(map[placeKey]int32, 1<<10)
	err = s.store.PlaceOrders(ctx, store.DashFilter{From: p.start(), To: p.end(), Unit: unit}, func(id int64, compound, address, phone string, at time.Time) {
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
		return nil, nil, err
	}
	byCaller, byPlace := map[string]*Repeat{}, map[placeKey]*Repeat{}
	add := func(r *Repeat, id int64, at time.Time) {
		r.Count++
		r.ids = append(r.ids, id)
		if at.After(r.last) {
			r.last = at
		}
	}
	for _, o := range seen {
		if o.caller != "" && int(callerN[o.caller]) >= minRepeat {
			r := byCaller[o.caller]
			if r == nil {
				r = &Repeat{Key: s.Callers.Phone(o.caller)}
				byCaller[o.caller] = r
			}
			add(r, o.id, o.at)
		}
		if o.place.s != "" && int(placeN[o.place]) >= minRepeat {
			r := byPlace[o.place]
			if r == nil {
				r = &Repeat{Key: "address:" + o.place.s, Name: o.address} // as first written in the period
				if o.place.compound {
					r.Key, r.Name = "compound:"+o.place.s, nameOr(compounds, o.place.s)
				}
				byPlace[o.place] = r
			}
			add(r, o.id, o.at)
		}
	}
	return repeats(byCaller, minRepeat), repeats(byPlace, minRepeat), nil
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
