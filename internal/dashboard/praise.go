package dashboard

import (
	"context"
	"sort"
	"time"

	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/stats"
	"hotline/internal/store"
)

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

// Praise returns the praise board of a period (default: the last
// twelve months): praise orders by unit per month, and the people named.
func (s *Service) Praise(ctx context.Context, a order.Actor, from, to, unit string) (PraiseView, error) {
	unit, err := s.dashboardScope(a, unit)
	if err != nil {
		return PraiseView{}, err
	}
	if from == "" && to == "" {
		l := s.now().In(calendar.Shanghai)
		from = time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, calendar.Shanghai).AddDate(0, -11, 0).Format("2006-01-02")
	}
	p, err := s.PeriodOf(from, to)
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
	rows, err := s.store.CreatedUnitDays(ctx, store.RollupFilter{FromDay: p.FromDay, ToDay: p.ToDay, Unit: unit, Type: "praise"})
	if err != nil {
		return PraiseView{}, err
	}
	byUnit := map[string]*PraiseByUnit{}
	for _, r := range rows {
		b := byUnit[r.Key]
		if b == nil {
			b = &PraiseByUnit{Unit: r.Key, Name: s.orders.UnitLabel(r.Key), PerMonth: make([]int64, len(pv.Months))}
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
	err = s.store.DashOrders(ctx, store.DashFilter{From: p.start(), To: p.end(), Unit: unit, Type: "praise", Text: true, Limit: MaxPraiseTexts}, func(o store.DashOrder) error {
		seen++
		for _, name := range stats.PraisedPeople(o.Title) {
			k := [2]string{name, o.Unit}
			pp := people[k]
			if pp == nil {
				pp = &PraisePerson{Person: name, Unit: o.Unit, UnitName: s.orders.UnitLabel(o.Unit)}
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
