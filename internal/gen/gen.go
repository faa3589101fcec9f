// Package gen simulates a subdistrict's history of work orders for
// benchmarks, load tests and (in time) the demo: every order goes from its
// creation through the real state machine (order.Apply) to wherever it has
// got by the end of the period, so every event, deadline and hash chain is
// what the server would have written. The store only writes what gen
// builds, in big batches (store.HistoryRows / WriteHistory / FinishHistory);
// the simulation itself is not production code.
package gen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/place"
	"hotline/internal/store"
)

// Config is what Generate writes: Orders orders created over Years years
// ending at End.
type Config struct {
	Orders     int
	Years      int
	Seed       uint64
	End        time.Time
	Schedule   order.Deadliner
	Units      []org.Unit     // units to dispatch to (not the center)
	Categories []org.Category // leaf categories, with their usual unit
	Compounds  []place.OrderCompound
	// Progress is called after each batch with the orders written so far.
	Progress func(done int)
	// Tokens gives an order's search tokens from its title and description
	// (what the server indexes on create); nil writes none.
	Tokens func(text string) []string
	// Demo, when set, makes a history people can read (the demo's year,
	// demo.go): seasonal arrivals and problems, texts written from
	// templates, fake callers, working-hour timing. Nil keeps the plain
	// simulation the benchmarks measure, with the same output per seed.
	Demo *Demo
}

// BytesPerOrder is the disk the generator plans per order (rows, indexes
// and slack), to refuse a run that would fill the disk. Measured at 10M
// orders after migration 0013, search index included: 1.61 KB/order on
// SQLite, 1.92 on PostgreSQL with freshly built indexes (≈ 2.0 as they
// loosen); the caller adds a fifth for the run's own temporary space.
const BytesPerOrder = 2500

// batchSize is how many orders go into one transaction / COPY.
const batchSize = 5000

// Store is the store's bulk history path Generate writes through (COPY on
// PostgreSQL, multi-row INSERTs on SQLite), so generated orders are stored,
// indexed and rolled up as the store's own are; *store.Store has it.
type Store interface {
	HistoryStart(ctx context.Context) (maxID int64, serials map[string]int, err error)
	HistoryRows(ctx context.Context, batch []store.HistoryOrder) (*store.HistoryRows, error)
	WriteHistory(ctx context.Context, b *store.HistoryRows) error
	FinishHistory(ctx context.Context, serials map[string]int) error
}

// Generate writes cfg.Orders orders with their timelines and callbacks into
// st, then has it rebuild the rollups. It returns the number of events.
func Generate(ctx context.Context, st Store, cfg Config) (int, error) {
	if cfg.Orders <= 0 || len(cfg.Units) == 0 || len(cfg.Categories) == 0 || cfg.Schedule == nil {
		return 0, fmt.Errorf("generate: need orders > 0, units, categories and a schedule")
	}
	if cfg.Years <= 0 {
		cfg.Years = 3
	}
	maxID, serials, err := st.HistoryStart(ctx)
	if err != nil {
		return 0, err
	}

	// One goroutine simulates the lifecycles (state machine, JSON, SHA-256
	// chains) of the next batch and builds its rows while this one writes
	// the current batch, so the Go side and the database's inserts overlap
	// on two cores.
	g := newGen(cfg)
	start := cfg.End.AddDate(-cfg.Years, 0, 0)
	span := cfg.End.Sub(start)
	step := span / time.Duration(cfg.Orders)
	var arrivals []time.Time // the demo's seasonal arrival times, in order
	if cfg.Demo != nil {
		arrivals = g.arrivals(start, cfg.End, cfg.Orders)
	}
	type built struct {
		rows   *store.HistoryRows
		n, evs int
		err    error
	}
	batches := make(chan built, 2)
	stop := make(chan struct{})
	go func() {
		defer close(batches)
		t := start
		for done := 0; done < cfg.Orders; {
			n := min(batchSize, cfg.Orders-done)
			hist := make([]store.HistoryOrder, 0, n)
			evCount := 0
			for i := 0; i < n; i++ {
				// Orders arrive in time order (ids grow with time), jittered.
				if arrivals != nil {
					t = arrivals[done+i]
				} else {
					t = t.Add(time.Duration(g.rng.Int64N(int64(2*step) + 1)))
				}
				if !t.Before(cfg.End) {
					t = cfg.End.Add(-time.Second)
				}
				id := maxID + int64(done+i) + 1
				day := t.In(calendar.Shanghai).Format("20060102")
				serials[day]++
				if serials[day] > 99999 {
					batches <- built{err: fmt.Errorf("generate: more than 99999 orders on %s; use fewer orders or more years", day)}
					return
				}
				o, evs, cbs := g.lifecycle(id, fmt.Sprintf("%s%05d", day, serials[day]), t)
				hist = append(hist, store.HistoryOrder{ID: id, Order: o, Events: evs, Callbacks: cbs, Tokens: g.tokens(o.Title + "\n" + o.Description)})
				evCount += len(evs)
			}
			rows, err := st.HistoryRows(ctx, hist)
			if err != nil {
				batches <- built{err: err}
				return
			}
			select {
			case batches <- built{rows: rows, n: n, evs: evCount}:
			case <-stop:
				return
			}
			done += n
		}
	}()
	events, done := 0, 0
	for bt := range batches {
		if bt.err != nil {
			err = bt.err
			break
		}
		if err = st.WriteHistory(ctx, bt.rows); err != nil {
			break
		}
		events += bt.evs
		done += bt.n
		if cfg.Progress != nil {
			cfg.Progress(done)
		}
	}
	close(stop)
	for range batches { // let the producer finish before serials is read
	}
	if err != nil {
		return events, err
	}
	return events, st.FinishHistory(ctx, serials)
}

// gen simulates lifecycles.
type gen struct {
	cfg     Config
	rng     *rand.Rand
	byUnit  map[string][]org.Category
	units   []string
	commits []string // committees, for praise
	names   map[string]string
	// seen holds the search tokens of texts already segmented: the
	// generated texts are a few ten thousand combinations of road, number
	// and category, so each is segmented once.
	seen map[string][]string

	// The demo's (demo.go; unset without Config.Demo).
	typhoon   time.Time
	compound  map[string]*store.Compound
	buildings map[string][]string
	lowLying  []store.Building
	catUnit   map[string]string
	themes    []theme
	themeW    []float64
}

// tokens are the search tokens of text (Config.Tokens); none without a
// tokenizer.
func (g *gen) tokens(text string) []string {
	if g.cfg.Tokens == nil {
		return nil
	}
	if t, ok := g.seen[text]; ok {
		return t
	}
	t := g.cfg.Tokens(text)
	if len(g.seen) < 1<<20 {
		g.seen[text] = t
	}
	return t
}

func newGen(cfg Config) *gen {
	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 12345)), byUnit: map[string][]org.Category{}, names: map[string]string{},
		seen: map[string][]string{}}
	for _, u := range cfg.Units {
		g.units = append(g.units, u.Code)
		g.names[u.Code] = u.Name
		if u.Kind == "committee" {
			g.commits = append(g.commits, u.Code)
		}
	}
	if len(g.commits) == 0 {
		g.commits = g.units
	}
	if cfg.Demo != nil {
		g.setupDemo()
	}
	return g
}

var (
	genSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")
	genTitles   = []string{"书记", "主任", "社工", "师傅", "阿姨"}
	genRoads    = []string{"宾阳路", "龙华路", "龙漕路", "月河路", "天钥桥路", "漕溪路"}
)

func (g *gen) pick(p float64) bool { return g.rng.Float64() < p }

func (g *gen) dur(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)+1))
}

// benchIntake is the benchmarks' order as received: a random leaf
// category, type, caller and address, and the unit it will go to.
func (g *gen) benchIntake() (order.NewOrder, string) {
	rng := g.rng
	cat := g.cfg.Categories[rng.IntN(len(g.cfg.Categories))]
	typ := []order.Type{order.Complaint, order.Complaint, order.Complaint, order.Help, order.Help, order.Report, order.Suggestion,
		order.Consultation, order.Consultation}[rng.IntN(9)]
	if g.pick(0.03) {
		typ = order.Praise
	}
	urg := order.Normal
	if g.pick(0.04) {
		urg = order.Urgent
	} else if g.pick(0.005) {
		urg = order.Emergency
	}
	phone := "13" + strconv.Itoa(100000000+rng.IntN(900000000))
	if g.pick(0.03) { // frequent callers
		phone = "1390000" + strconv.Itoa(1000+rng.IntN(300))
	}
	road := genRoads[rng.IntN(len(genRoads))]
	addr := road + strconv.Itoa(1+rng.IntN(300)) + "号"
	in := order.NewOrder{Type: typ, Source: order.Sources[rng.IntN(3)], Urgency: urg, Category: cat.Code,
		Title: cat.Name, Description: "市民反映" + addr + cat.Name, Address: addr,
		Caller: &order.Caller{Name: string(genSurnames[rng.IntN(len(genSurnames))]) + "先生", Phone: phone}}
	if len(g.cfg.Compounds) > 0 && g.pick(0.5) {
		c := g.cfg.Compounds[rng.IntN(len(g.cfg.Compounds))]
		in.Compound = c.Code
		if c.Lat != nil && c.Lng != nil && g.pick(0.4) {
			la, ln := *c.Lat+(rng.Float64()-0.5)*0.002, *c.Lng+(rng.Float64()-0.5)*0.002
			in.Lat, in.Lng = &la, &ln
		}
	}
	unit := cat.Unit
	if unit == "" || g.names[unit] == "" {
		unit = g.units[rng.IntN(len(g.units))]
	}
	if typ == order.Praise {
		unit = g.commits[rng.IntN(len(g.commits))]
		person := string(genSurnames[rng.IntN(len(genSurnames))]) + genTitles[rng.IntN(len(genTitles))]
		in.Title = "表扬" + g.names[unit] + person
		in.Description = "感谢" + person + "热心帮助"
		in.Category = ""
	}
	return in, unit
}

// lifecycle builds one order from creation to wherever it has got by End.
func (g *gen) lifecycle(id int64, number string, created time.Time) (order.Order, []order.Event, []order.CallbackRecord) {
	l, unit := g.born(id, number, created)
	l.live(unit)
	return l.o, l.evs, l.cbs
}

// life is one order's simulated life so far: the order, its sealed
// timeline and callbacks, the simulation's clock, and what its people
// write (fixed words for the benchmarks, the demo's varied ones).
type life struct {
	g   *gen
	o   order.Order
	evs []order.Event
	cbs []order.CallbackRecord
	now time.Time
	th  *theme // the demo's theme; nil for the benchmarks

	note      func() string
	replyText func(result string) string
	answer    string
}

var (
	operator   = order.Actor{Username: "operator", Role: order.RoleOperator}
	dispatcher = order.Actor{Username: "dispatcher", Role: order.RoleDispatcher}
	leader     = order.Actor{Username: "leader", Role: order.RoleLeader}
)

// born is the order as the operator takes it in, with its first event,
// and the unit it will be dispatched to.
func (g *gen) born(id int64, number string, created time.Time) (*life, string) {
	var in order.NewOrder
	var unit string
	var th *theme
	if g.cfg.Demo != nil {
		in, unit, th = g.demoIntake(created)
	} else {
		in, unit = g.benchIntake()
	}
	o, ev, err := in.Build(operator, order.CreateEnv{Now: created})
	if err != nil {
		panic(fmt.Sprintf("generate: build order: %v", err))
	}
	o.ID = strconv.FormatInt(id, 10)
	o.Number = number
	ev.OrderID = o.ID
	ev.Seal(1, order.GenesisHash)
	l := &life{g: g, o: o, evs: []order.Event{ev}, now: created, th: th,
		note:      func() string { return "已电话联系" },
		replyText: func(result string) string { return "已处理" },
		answer:    "已答复政策",
	}
	if th != nil {
		l.note = func() string { return g.demoNote(th) }
		l.replyText = func(result string) string { return g.demoReply(th, result) }
		l.answer = demoAnswers[g.rng.IntN(len(demoAnswers))]
	}
	return l, unit
}

// apply applies an action after a delay (moved into working hours for
// the demo); false when it would be after End or the rules refuse it.
func (l *life) apply(delay time.Duration, a order.Actor, act order.Action, input order.Input) (bool, error) {
	g := l.g
	at := l.now.Add(delay)
	if g.cfg.Demo != nil {
		at = g.workTime(at, a, l.o.Urgency)
	}
	if !at.Before(g.cfg.End) {
		return false, nil
	}
	v := l.o.Version
	input.Version = &v
	res, err := order.Apply(l.o, a, act, input, order.Env{Now: at, Deadlines: g.cfg.Schedule})
	if err != nil {
		return false, err
	}
	l.now = at
	l.o = res.Order
	e := res.Event
	e.OrderID = l.o.ID
	e.Seal(len(l.evs)+1, l.evs[len(l.evs)-1].Hash)
	l.evs = append(l.evs, e)
	if res.Callback != nil {
		l.cbs = append(l.cbs, *res.Callback)
	}
	return true, nil
}

// do is apply for an action the simulation has made sure is allowed.
func (l *life) do(delay time.Duration, a order.Actor, act order.Action, input order.Input) bool {
	ok, err := l.apply(delay, a, act, input)
	if err != nil {
		panic(fmt.Sprintf("generate: %s on %s order: %v", act, l.o.Status, err))
	}
	return ok
}

// try is apply for an action working hours may have made too late (an
// extension asked for once the deadline has passed): it is skipped then.
func (l *life) try(delay time.Duration, a order.Actor, act order.Action, input order.Input) bool {
	ok, err := l.apply(delay, a, act, input)
	if err != nil && l.g.cfg.Demo == nil {
		panic(fmt.Sprintf("generate: %s on %s order: %v", act, l.o.Status, err))
	}
	return ok
}

// handler is the order's unit acting on it.
func (l *life) handler() order.Actor {
	return order.Actor{Username: l.o.Unit, Role: order.RoleHandler, Unit: l.o.Unit}
}

func (g *gen) minutes(lo, hi int) time.Duration {
	return g.dur(time.Duration(lo)*time.Minute, time.Duration(hi)*time.Minute)
}

// live runs the order on from intake: answered or invalidated at once, or
// dispatched and handled in rounds until its caller is satisfied, the
// center closes it, or End comes.
func (l *life) live(unit string) {
	if l.triage() || !l.dispatch(unit) {
		return
	}
	for round := 1; ; round++ {
		if !l.round(round) {
			return
		}
	}
}

// triage settles the orders that never reach a unit: half the
// consultations are answered by the operator, 2 % are invalid calls. It
// reports whether the order's life ends here.
func (l *life) triage() bool {
	g := l.g
	switch {
	case l.o.Type == order.Consultation && g.pick(0.5):
		l.do(g.minutes(2, 30), operator, order.ActAnswer, order.Input{Reply: l.answer})
		return true
	case g.pick(0.02):
		l.do(g.minutes(5, 60), dispatcher, order.ActInvalidate, order.Input{Reason: "无效来电"})
		return true
	}
	return false
}

// dispatch sends the order to unit; some are re-dispatched (改派), some
// returned by the unit and dispatched again (退单). False when the order
// got no further.
func (l *life) dispatch(unit string) bool {
	g := l.g
	if !l.do(g.minutes(10, 240), dispatcher, order.ActDispatch, order.Input{Unit: unit}) {
		return false
	}
	if g.pick(0.04) { // 改派
		other := g.units[g.rng.IntN(len(g.units))]
		if other != l.o.Unit && !l.do(g.minutes(30, 600), dispatcher, order.ActRedispatch, order.Input{Unit: other}) {
			return false
		}
	}
	if g.pick(0.03) { // 退单 and re-dispatch
		if !l.do(g.minutes(30, 600), l.handler(), order.ActRequestReturn, order.Input{Reason: "非本单位职责"}) ||
			!l.do(g.minutes(30, 300), dispatcher, order.ActApproveReturn, order.Input{}) {
			return false
		}
		other := g.units[g.rng.IntN(len(g.units))]
		if !l.do(g.minutes(10, 120), dispatcher, order.ActDispatch, order.Input{Unit: other}) {
			return false
		}
	}
	return true
}

// round is one round of handling: the unit works on the order and
// replies, the center reviews the reply, and the caller is called back.
// True when the caller was dissatisfied and the order reopened: another
// round follows.
func (l *life) round(round int) bool {
	if !l.work() {
		return false
	}
	if !l.reply() {
		return false
	}
	if l.o.Type == order.Praise {
		l.do(l.g.minutes(10, 120), dispatcher, order.ActClose, order.Input{Note: "表扬已转达"})
		return false
	}
	return l.callback(round)
}

// work is the unit's part before the reply: it signs for the order, makes
// first contact (usually in time), is sometimes urged (and the urged order
// supervised by the leader, in the demo) and sometimes asks for more time.
func (l *life) work() bool {
	g := l.g
	// The demo's handlers sign for and call back within office hours
	// (workTime moves the rest to the next morning); the benchmarks' work
	// around the clock with wider delays.
	signBy, contactBy, lateContact := 900, 600, 0.12
	if l.th != nil {
		signBy, contactBy, lateContact = 240, 150, 0.05
	}
	if !l.do(g.minutes(5, signBy), l.handler(), order.ActAccept, order.Input{}) {
		return false
	}
	contact := g.minutes(10, contactBy)
	if l.o.ContactDue != nil && g.pick(lateContact) {
		contact = l.o.ContactDue.Sub(l.now) + g.minutes(1, 1500)
	}
	if !l.do(contact, l.handler(), order.ActContact, order.Input{Note: l.note()}) {
		return false
	}
	if g.pick(0.03) {
		l.do(g.minutes(5, 60), dispatcher, order.ActUrge, order.Input{})
		if l.th != nil && g.pick(0.3) { // the leader takes the urged order under supervision
			l.do(g.minutes(30, 600), leader, order.ActSupervise, order.Input{Note: "列入督办，请加快办理"})
		}
	}
	if l.o.Due != nil && g.pick(0.04) && l.now.Before(l.o.Due.Add(-time.Hour)) {
		if l.try(g.minutes(10, 60), l.handler(), order.ActRequestExtension, order.Input{Days: 3, Reason: "需协调"}) {
			if !l.do(g.minutes(10, 240), dispatcher, order.ActApproveExtension, order.Input{}) {
				return false
			}
		} else if !l.now.Before(g.cfg.End) || g.cfg.Demo == nil {
			return false
		}
	}
	return true
}

// reply is the unit's reply, mostly before it is due, and the center's
// review: a few replies are sent back once and completed.
func (l *life) reply() bool {
	g := l.g
	inTime := 0.88
	if l.th != nil {
		inTime = 0.93
	}
	delay := g.minutes(60, 3*24*60)
	if l.o.Due != nil {
		left := l.o.Due.Sub(l.now)
		if l.th != nil && left > 25*time.Hour {
			// Working hours move a reply to the next office morning:
			// aim a day early so the 88 % in time stay in time.
			left -= 24 * time.Hour
		}
		if left > time.Hour && g.pick(inTime) {
			delay = g.dur(time.Minute, left-time.Minute)
		} else {
			delay = max(left, 0) + g.minutes(1, 3*24*60)
		}
	}
	result := "resolved"
	if l.o.Type == order.Praise {
		result = "explained"
	} else if g.pick(0.2) {
		result = "partly_resolved"
	}
	if !l.do(delay, l.handler(), order.ActReply, order.Input{Result: result, Text: l.replyText(result)}) {
		return false
	}
	if g.pick(0.04) {
		if !l.do(g.minutes(30, 600), dispatcher, order.ActRejectReply, order.Input{Note: "答复不完整"}) ||
			!l.do(g.minutes(60, 1440), l.handler(), order.ActReply, order.Input{Result: result, Text: "已补充处理"}) {
			return false
		}
	}
	return l.do(g.minutes(30, 900), dispatcher, order.ActApproveReply, order.Input{})
}

// callback is the operator's call to the caller. A dissatisfied caller
// (only in the first round) gets the order closed by the leader's decision
// or reopened; it reports whether the order was reopened.
func (l *life) callback(round int) bool {
	g := l.g
	x := g.rng.Float64()
	outcome := "satisfied"
	switch {
	case x < 0.08 && round == 1:
		outcome = "dissatisfied"
	case x < 0.17:
		outcome = "unreachable"
	case x < 0.35:
		outcome = "basically_satisfied"
	}
	yes := outcome != "dissatisfied" && g.pick(0.9)
	if !l.do(g.minutes(60, 2880), operator, order.ActCallback, order.Input{Outcome: outcome, Resolved: &yes}) {
		return false
	}
	if outcome != "dissatisfied" {
		return false
	}
	if g.pick(0.4) {
		l.do(g.minutes(60, 1440), dispatcher, order.ActClose, order.Input{Note: "诉求不合理，领导决定办结"})
		return false
	}
	return l.do(g.minutes(60, 1440), dispatcher, order.ActReopen, order.Input{Note: "市民不满意，重办"})
}
