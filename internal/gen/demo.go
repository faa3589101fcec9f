package gen

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/store"
)

// Demo is what the demo's year of history needs beyond Config: the places
// its texts name and the calendar its people work by. With it, Generate
// writes what a real center would hold after a year — more calls on
// weekdays and in daytime, fewer over the Spring Festival, summer noise and
// dripping air conditioners, winter cold, spring greening, a typhoon week
// that floods the low-lying buildings, a building site next to 三江小区 that
// has drawn complaints for the last two months — every text written from
// the templates of demotexts.go, every caller in a range no subscriber has.
type Demo struct {
	// Calendar tells working days from days off (the project's holiday
	// calendar): handlers act in office hours on working days.
	Calendar interface{ IsWorkingDay(time.Time) bool }
	// Buildings of Config.Compounds; those marked low-lying take the
	// typhoon's flooding orders.
	Buildings []store.Building
}

// DemoCallerFirst and DemoCallerLast bound the history's callers' phones:
// 138 0001 0000 – 138 0009 9999, part of the 1380000xxxx–138000xxxxx block
// the demo keeps for made-up people (the registry's residents use
// 13800001000–13800009999, the hand-written orders 138000001xx), so no
// caller is anyone's real number and none is a demo resident.
const (
	DemoCallerFirst = 13800010000
	DemoCallerLast  = 13800099999
)

// TyphoonWeek is the Monday the demo's typhoon arrives: the last Monday of
// July in the year before end (this year's once end is past its week).
// Its first three days bring a burst of flooding orders.
func TyphoonWeek(end time.Time) time.Time {
	end = end.In(calendar.Shanghai)
	for y := end.Year(); ; y-- {
		d := time.Date(y, time.July, 31, 0, 0, 0, 0, calendar.Shanghai)
		for d.Weekday() != time.Monday {
			d = d.AddDate(0, 0, -1)
		}
		if d.AddDate(0, 0, 7).Before(end) {
			return d
		}
	}
}

// springFestivals are the lunar new year's days the demo knows: the week
// around each is the year's quietest on the hotline.
var springFestivals = []string{"2024-02-10", "2025-01-29", "2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03"}

// dayWeight is how busy a day is, relative to an ordinary weekday.
func (g *gen) dayWeight(day time.Time, typhoon time.Time) float64 {
	w := 1.0
	switch {
	case !g.cfg.Demo.Calendar.IsWorkingDay(day.Add(12 * time.Hour)):
		w = 0.65
	}
	switch day.Month() {
	case time.June, time.July, time.August: // noise, heat, rain
		w *= 1.25
	case time.January, time.December:
		w *= 1.05
	}
	for _, s := range springFestivals {
		sf, _ := time.ParseInLocation("2006-01-02", s, calendar.Shanghai)
		if d := day.Sub(sf); d >= -2*24*time.Hour && d < 7*24*time.Hour {
			w *= 0.4
		}
	}
	if d := day.Sub(typhoon); d >= 0 && d < 3*24*time.Hour {
		w *= 3.5
	} else if d >= 3*24*time.Hour && d < 7*24*time.Hour {
		w *= 1.4
	}
	return w
}

// hourWeights are the calls per hour of the day (Asia/Shanghai): the
// morning peak, the afternoon, a quieter evening, little at night.
var hourWeights = [24]float64{0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.6, 3.4, 3.3, 2.8, 1.8, 2.4, 2.9, 2.8, 2.5, 2.0, 1.6, 1.6, 1.5, 1.2, 0.8, 0.4}

// arrivals returns n creation times in [start, end), in order, spread over
// the days by dayWeight and over each day by hourWeights.
func (g *gen) arrivals(start, end time.Time, n int) []time.Time {
	typhoon := TyphoonWeek(end)
	first := start.In(calendar.Shanghai)
	first = time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, calendar.Shanghai)
	var days []time.Time
	var cum []float64
	total := 0.0
	for d := first; d.Before(end); d = d.AddDate(0, 0, 1) {
		total += g.dayWeight(d, typhoon)
		days = append(days, d)
		cum = append(cum, total)
	}
	var hcum [24]float64
	htotal := 0.0
	for h, w := range hourWeights {
		htotal += w
		hcum[h] = htotal
	}
	out := make([]time.Time, 0, n)
	for len(out) < n {
		i, _ := slices.BinarySearch(cum, g.rng.Float64()*total)
		i = min(i, len(days)-1)
		h, _ := slices.BinarySearch(hcum[:], g.rng.Float64()*htotal)
		t := days[i].Add(time.Duration(min(h, 23))*time.Hour + time.Duration(g.rng.Int64N(int64(time.Hour))))
		if t.Before(start) || !t.Before(end) {
			continue
		}
		out = append(out, t.UTC())
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// workTime moves at into the hours a's people work: handlers (the
// committees and sections) 08:30–17:30 on working days, or 08:00–21:00
// every day for an urgent order; the center's operators and dispatchers,
// who keep the line open, 08:00–21:00 every day. An emergency is handled
// when it comes. It never moves a time earlier.
func (g *gen) workTime(at time.Time, a order.Actor, u order.Urgency) time.Time {
	if u == order.Emergency {
		return at
	}
	open, close := 8*60+30, 17*60+30
	center := a.Role != order.RoleHandler || u == order.Urgent
	if center {
		open, close = 8*60, 21*60
	}
	l := at.In(calendar.Shanghai)
	for range 30 {
		mins := l.Hour()*60 + l.Minute()
		workday := center || g.cfg.Demo.Calendar.IsWorkingDay(l)
		if workday && mins >= open && mins < close {
			return l.UTC()
		}
		if workday && mins < open {
			l = time.Date(l.Year(), l.Month(), l.Day(), 0, open, 0, 0, calendar.Shanghai).Add(g.dur(0, 90*time.Minute))
			continue
		}
		next := l.AddDate(0, 0, 1)
		l = time.Date(next.Year(), next.Month(), next.Day(), 0, open, 0, 0, calendar.Shanghai).Add(g.dur(0, 90*time.Minute))
	}
	return l.UTC()
}

// demoPlace is where a demo order is: a compound's building, or a road.
type demoPlace struct {
	compound *store.Compound
	building string
	road     string
	number   int
}

func (g *gen) demoIntake(created time.Time) (order.NewOrder, string, *theme) {
	rng := g.rng
	th := g.pickTheme(created)
	text := th.texts[rng.IntN(len(th.texts))]
	p := g.pickPlace(th, strings.Contains(text[1], "{r}"))
	sur := string(genSurnames[rng.IntN(len(genSurnames))])
	slots := map[string]string{
		"{r}": p.road, "{n}": strconv.Itoa(p.number), "{s}": demoShops[rng.IntN(len(demoShops))],
		"{d}": strconv.Itoa(2 + rng.IntN(12)), "{who}": sur + demoTitles[rng.IntN(len(demoTitles))],
	}
	if p.compound != nil {
		slots["{c}"] = p.compound.Name
		slots["{b}"] = p.building
		slots["{p}"] = p.compound.Name + p.building
	} else {
		slots["{c}"] = p.road
		slots["{b}"] = strconv.Itoa(p.number) + "号"
		slots["{p}"] = p.road + strconv.Itoa(p.number) + "号"
	}
	unit := th.unit
	switch {
	case unit == "committee" && p.compound != nil:
		unit = p.compound.Committee
	case unit == "committee" || unit == "":
		unit = g.catUnit[th.cat]
	}
	if unit == "" || g.names[unit] == "" {
		unit = g.commits[rng.IntN(len(g.commits))]
	}
	slots["{u}"] = g.names[unit]
	fill := func(s string) string {
		for k, v := range slots {
			s = strings.ReplaceAll(s, k, v)
		}
		return s
	}
	in := order.NewOrder{Type: th.typ, Source: demoSource(rng.Float64()), Urgency: order.Normal, Category: th.cat,
		Title: fill(text[0]), Description: fill(text[1])}
	if g.pick(th.urgent) {
		in.Urgency = order.Urgent
	}
	if th.season == seasonTyphoon && g.pick(0.15) {
		in.Urgency = order.Emergency
	}
	if p.compound != nil {
		in.Compound, in.Building = p.compound.Code, p.building
		in.Address = p.compound.Name + p.building
		if p.compound.Lat != nil && p.compound.Lng != nil && g.pick(0.5) {
			la, ln := *p.compound.Lat+(rng.Float64()-0.5)*0.001, *p.compound.Lng+(rng.Float64()-0.5)*0.001
			in.Lat, in.Lng = &la, &ln
		}
	} else {
		in.Address = slots["{p}"]
	}
	phone := DemoCallerFirst + rng.IntN(DemoCallerLast-DemoCallerFirst+1)
	if g.pick(0.05) { // the dozen who call every week or two
		phone = DemoCallerFirst + rng.IntN(12)
	}
	in.Caller = &order.Caller{Name: sur + "演示" + string(demoStems[rng.IntN(len(demoStems))]), Phone: strconv.Itoa(phone)}
	switch x := rng.Float64(); {
	case x < 0.02:
		in.Caller.Anonymous, in.Caller.Name = true, ""
	case x < 0.05:
		in.Caller.Confidential = true
	}
	return in, unit, th
}

var demoStems = []rune("甲乙丙丁戊己庚辛壬癸")

// demoSource: most calls come by phone, then the city platform and the web.
func demoSource(x float64) order.Source {
	switch {
	case x < 0.68:
		return order.SourceHotline
	case x < 0.86:
		return order.SourceCityPlatform
	case x < 0.95:
		return order.SourceWeb
	case x < 0.98:
		return order.SourcePatrol
	default:
		return order.SourceWalkIn
	}
}

// pickTheme chooses what the order is about, by the season of created.
func (g *gen) pickTheme(created time.Time) *theme {
	l := created.In(calendar.Shanghai)
	m := l.Month()
	sinceTyphoon := l.Sub(g.typhoon)
	recent := g.cfg.End.Sub(created) < 60*24*time.Hour
	total := 0.0
	ws := g.themeW[:0]
	for i := range g.themes {
		th := &g.themes[i]
		w := th.weight
		switch th.season {
		case seasonSummer:
			if m < time.June || m > time.September {
				w *= 0.15
			}
		case seasonWinter:
			if m > time.February && m < time.December {
				w *= 0.1
			}
		case seasonSpring:
			if m < time.March || m > time.May {
				w *= 0.2
			}
		case seasonTyphoon:
			switch {
			case sinceTyphoon >= 0 && sinceTyphoon < 3*24*time.Hour:
				w *= 120
			case sinceTyphoon >= 3*24*time.Hour && sinceTyphoon < 7*24*time.Hour:
				w *= 15
			case m >= time.June && m <= time.September: // plum rains and storms
				w *= 1
			default:
				w *= 0.15
			}
		case seasonRecent:
			if !recent {
				w = 0
			}
		}
		total += w
		ws = append(ws, total)
	}
	g.themeW = ws
	i, _ := slices.BinarySearch(ws, g.rng.Float64()*total)
	return &g.themes[min(i, len(g.themes)-1)]
}

// pickPlace chooses where: a building of a compound (low-lying ones for
// floods, 三江小区 for the building site), or a road.
func (g *gen) pickPlace(th *theme, onRoad bool) demoPlace {
	rng := g.rng
	road := genRoads[rng.IntN(len(genRoads))]
	p := demoPlace{road: road, number: 1 + rng.IntN(300)}
	if len(g.cfg.Compounds) == 0 || onRoad {
		return p
	}
	var c *store.Compound
	switch {
	case th.season == seasonTyphoon && len(g.lowLying) > 0 && g.pick(0.55):
		b := g.lowLying[rng.IntN(len(g.lowLying))]
		c, p.building = g.compound[b.Compound], b.Number
	case th.season == seasonRecent && g.compound[demoSiteCompound] != nil:
		c = g.compound[demoSiteCompound]
	default:
		c = &g.cfg.Compounds[rng.IntN(len(g.cfg.Compounds))]
	}
	p.compound = c
	if p.building == "" {
		if bs := g.buildings[c.Code]; len(bs) > 0 && g.pick(0.8) {
			p.building = bs[rng.IntN(len(bs))]
		}
	}
	return p
}

// demoSiteCompound is the compound beside the building site that has drawn
// complaints for the last two months (the hand-written demo orders' 三江小区).
const demoSiteCompound = "sanjiang"

// setupDemo prepares what demoIntake looks up.
func (g *gen) setupDemo() {
	d := g.cfg.Demo
	g.typhoon = TyphoonWeek(g.cfg.End)
	g.compound = map[string]*store.Compound{}
	for i := range g.cfg.Compounds {
		g.compound[g.cfg.Compounds[i].Code] = &g.cfg.Compounds[i]
	}
	g.buildings = map[string][]string{}
	for _, b := range d.Buildings {
		if g.compound[b.Compound] == nil {
			continue
		}
		g.buildings[b.Compound] = append(g.buildings[b.Compound], b.Number)
		if b.LowLying {
			g.lowLying = append(g.lowLying, b)
		}
	}
	g.catUnit = map[string]string{}
	known := map[string]bool{}
	for _, c := range g.cfg.Categories {
		known[c.Code] = true
		g.catUnit[c.Code] = c.Unit
		if c.Parent != "" {
			known[c.Parent] = true
		}
	}
	for _, th := range demoThemes {
		if known[th.cat] {
			g.themes = append(g.themes, th)
		}
	}
	if len(g.themes) == 0 { // another catalogue: its categories, plainly worded
		for _, c := range g.cfg.Categories {
			g.themes = append(g.themes, theme{cat: c.Code, typ: order.Complaint, weight: 1,
				texts: [][2]string{{c.Name + "问题", "市民反映{p}" + c.Name + "问题，希望尽快处理。"}}})
		}
	}
}

// demoNote and demoReply are what handlers write; a theme may have its own.
func (g *gen) demoNote(th *theme) string {
	return demoContacts[g.rng.IntN(len(demoContacts))]
}

func (g *gen) demoReply(th *theme, result string) string {
	if result == "explained" && th.typ == order.Praise {
		return demoPraiseReplies[g.rng.IntN(len(demoPraiseReplies))]
	}
	if len(th.replies) > 0 && result == "resolved" {
		return th.replies[g.rng.IntN(len(th.replies))]
	}
	return demoReplies[result][g.rng.IntN(len(demoReplies[result]))]
}
