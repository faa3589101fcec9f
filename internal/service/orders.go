package service

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/store"
)

// OrderView is an order as one actor may see it: the caller masked per role,
// the overdue flag at this moment, and the actions this actor may take.
type OrderView struct {
	order.Order
	CallerView    order.CallerView
	CoCallerViews []order.CallerView
	IsOverdue     bool
	Allowed       []order.Action
	Events        []order.Event
	Suggestions   *Suggestions
	Similar       []Similar
}

func (s *Service) view(o order.Order, a Actor, now time.Time) OrderView {
	v := OrderView{Order: o, CallerView: order.CallerFor(o.Caller, a), IsOverdue: o.Overdue(now), Allowed: order.Allowed(&o, a)}
	for _, c := range o.CoCallers {
		v.CoCallerViews = append(v.CoCallerViews, order.CallerFor(c, a))
	}
	return v
}

// auditViews records every unmasked caller an actor was shown, durably,
// before the caller answers with them: an error means the views must not be
// sent. One view is one entry (target order:ID); a page of a list is one
// entry for the whole page (target orders:ID,ID,…, detail the numbers), so
// a page of twenty costs one row, not twenty. The entries go through the
// store's group committer (store.AuditDurable), so concurrent views share
// one commit.
func (s *Service) auditViews(ctx context.Context, a Actor, views ...OrderView) error {
	var ids, numbers []string
	for _, v := range views {
		if v.CallerView.Unmasked {
			ids = append(ids, v.ID)
			numbers = append(numbers, v.Number)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	e := store.AuditEntry{At: s.now(), Actor: a.Username, Action: "view_caller", Target: "order:" + ids[0], Detail: numbers[0]}
	if len(views) > 1 {
		e.Target, e.Detail = "orders:"+strings.Join(ids, ","), strings.Join(numbers, ",")
	}
	if err := s.store.AuditDurable(ctx, e); err != nil {
		s.Log.Error("audit write failed", "err", err)
		return err
	}
	return nil
}

func (s *Service) tokens(o *order.Order) []string {
	if s.Intel == nil {
		return simpleTokens(o.Title + " " + o.Description)
	}
	return s.Intel.Tokens(o.Title + "\n" + o.Description)
}

// simpleTokens is the fallback when no intelligence is configured: words
// split on spaces and punctuation. Chinese search needs the segmenter.
func simpleTokens(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return r == ' ' || r == '\n' || r == '\t' || r == '，' || r == '。' || r == ',' || r == '.'
	})
}

// CreateOrder validates and stores a new order, and returns it with the
// suggested category and unit and the similar open orders.
func (s *Service) CreateOrder(ctx context.Context, a Actor, in order.NewOrder) (OrderView, error) {
	if a.Role != order.RoleOperator && a.Role != order.RoleDispatcher {
		return OrderView{}, apperr.New(apperr.Forbidden, "role %s may not create orders", a.Role)
	}
	return s.createOrder(ctx, a, in, nil)
}

// CreateFromChannel creates an order that came through a door from outside
// (citizen form, Open311, the municipal platform, a patrol): the actor is the
// channel, and the source is fixed by the door, not by the body.
func (s *Service) CreateFromChannel(ctx context.Context, channel order.Source, in order.NewOrder) (OrderView, error) {
	in.Source = channel
	a := Actor{Username: string(channel), Role: order.RoleOperator}
	return s.createOrder(ctx, a, in, []order.Source{channel})
}

func (s *Service) createOrder(ctx context.Context, a Actor, in order.NewOrder, allowed []order.Source) (OrderView, error) {
	return s.createWith(ctx, a, in, allowed, nil)
}

// createWith is the one path every new order takes: validate, suggest, store,
// tell the intelligence. write stores the order; nil means a plain create
// with the creator's view of the caller audited in the same transaction.
func (s *Service) createWith(ctx context.Context, a Actor, in order.NewOrder, allowed []order.Source,
	write func(o *order.Order, ev order.Event, tokens []string) error) (OrderView, error) {
	now := s.now()
	o, ev, err := in.Build(a, order.CreateEnv{Now: now, CategoryKnown: s.categoryKnown, CompoundKnown: s.compoundKnown, SourcesAllowed: allowed})
	if err != nil {
		return OrderView{}, err
	}
	var sug Suggestions
	var similar []Similar
	if s.Intel != nil {
		sug = s.Intel.Suggest(o.Title, o.Description)
		if similar, err = s.SimilarOpen(ctx, a, o.Title, o.Description, 5); err != nil {
			return OrderView{}, err
		}
	}
	if write == nil {
		write = func(o *order.Order, ev order.Event, tokens []string) error {
			// The creator is shown the caller in full in the answer; that view
			// is audited in the same transaction, so it costs no extra commit.
			var audit []store.AuditEntry
			if order.CallerFor(o.Caller, a).Unmasked {
				audit = append(audit, store.AuditEntry{At: now, Actor: a.Username, Action: "view_caller", Target: "order:{id}", Detail: "create"})
			}
			return s.store.CreateOrder(ctx, o, ev, tokens, audit...)
		}
	}
	if err := write(&o, ev, s.tokens(&o)); err != nil {
		return OrderView{}, err
	}
	if s.Intel != nil {
		s.Intel.Observe(o)
	}
	v := s.view(o, a, now)
	v.Suggestions = &sug
	v.Similar = similar
	if v.Similar == nil {
		v.Similar = []Similar{}
	}
	return v, nil
}

// OrderGroup returns an order the actor may see with its parent and
// children (merged orders), for a module that files things by order (the
// meetings of an order). It shows no caller, so it logs no view: GetOrder
// did, and every meeting list of an order wrote a view_caller entry for a
// number nobody was shown.
func (s *Service) OrderGroup(ctx context.Context, a Actor, id string) ([]string, error) {
	o, err := s.visibleOrder(ctx, a, id)
	if err != nil {
		return nil, err
	}
	out := append([]string{o.ID}, o.Children...)
	if o.Parent != "" {
		out = append(out, o.Parent)
	}
	return out, nil
}

// GetOrder returns one order with its timeline, if the actor may see it.
func (s *Service) GetOrder(ctx context.Context, a Actor, id string) (OrderView, error) {
	o, err := s.visibleOrder(ctx, a, id)
	if err != nil {
		return OrderView{}, err
	}
	evs, err := s.store.Events(ctx, id)
	if err != nil {
		return OrderView{}, err
	}
	v := s.view(o, a, s.now())
	v.Events = evs
	if err := s.auditViews(ctx, a, v); err != nil {
		return OrderView{}, err
	}
	return v, nil
}

// ListQuery is a list request in the API's terms.
type ListQuery struct {
	Status     []order.Status
	Unit       string
	Type       order.Type
	Category   string
	Overdue    bool
	Supervised bool
	Q          string
	From, To   *time.Time
	Limit      int
	Cursor     string
	// Sort is SortNewest (the default, api.md: every query word must match,
	// newest first) or SortRelevance (orders with any query word, ranked:
	// exact phrase, named place, words matched; store/search.go).
	Sort string
	// Masked shows every caller masked, whatever the role: work lists
	// (queues, inboxes) need no full numbers, so they show none and write
	// no audit entries; the order page shows the number and audits it.
	Masked bool
}

// The orders of a list: newest first, or by relevance to the text query.
const (
	SortNewest    = "newest"
	SortRelevance = "relevance"
)

// ListOrders lists the orders the actor may see, newest first, or with a
// text query and SortRelevance, the orders matching it ranked by relevance.
func (s *Service) ListOrders(ctx context.Context, a Actor, q ListQuery) ([]OrderView, string, error) {
	if a.Role == order.RoleHandler && a.Unit == "" {
		return []OrderView{}, "", nil // sees no order (it used to see them all)
	}
	seen, err := listScope(a)
	if err != nil {
		return nil, "", err
	}
	f := store.Filter{Statuses: q.Status, Unit: q.Unit, Type: q.Type, Category: q.Category, Overdue: q.Overdue,
		Supervised: q.Supervised, From: q.From, To: q.To, Now: s.now(), Limit: q.Limit, Cursor: q.Cursor, SeenBy: seen}
	if strings.TrimSpace(q.Q) != "" {
		if s.Intel != nil {
			f.Tokens = s.Intel.QueryTokens(q.Q)
		} else {
			f.Tokens = simpleTokens(q.Q)
		}
		if len(f.Tokens) == 0 {
			return []OrderView{}, "", nil
		}
		if q.Sort == SortRelevance {
			f.Query = q.Q // ranks by relevance: exact phrase, place, tokens (store/search.go)
		} else {
			f.Unranked = true
		}
	}
	orders, next, err := s.store.ListOrders(ctx, f)
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	views := make([]OrderView, 0, len(orders))
	for _, o := range orders {
		v := s.view(o, a, now)
		if q.Masked && v.CallerView.Unmasked {
			v.CallerView = order.CallerFor(o.Caller, Actor{Role: order.RoleLeader})
			for i, c := range o.CoCallers {
				v.CoCallerViews[i] = order.CallerFor(c, Actor{Role: order.RoleLeader})
			}
		}
		views = append(views, v)
	}
	if err := s.auditViews(ctx, a, views...); err != nil {
		return nil, "", err
	}
	return views, next, nil
}

// Act takes a workflow action on an order.
func (s *Service) Act(ctx context.Context, a Actor, id string, act order.Action, in order.Input) (OrderView, error) {
	return s.ActWithPhotos(ctx, a, id, act, in, nil)
}

// MaxActionPhotos is how many site photos one note or reply may carry.
const MaxActionPhotos = 4

// photoActions are the actions a handler may attach site photos to: what
// was seen on a visit (note) and what was done (reply).
var photoActions = map[order.Action]bool{order.ActNote: true, order.ActReply: true}

// ActWithPhotos takes an action with site photos (already cleaned by
// photoclean): they are stored in the action's transaction, tied to its
// timeline event, and the event's body counts them so the hash chain
// records that photos were taken.
func (s *Service) ActWithPhotos(ctx context.Context, a Actor, id string, act order.Action, in order.Input, photos []store.Photo) (OrderView, error) {
	if len(photos) > 0 && !photoActions[act] {
		return OrderView{}, apperr.Field("photos", "photos go with a note or a reply")
	}
	if len(photos) > MaxActionPhotos {
		return OrderView{}, apperr.Field("photos", fmt.Sprintf("at most %d photos", MaxActionPhotos))
	}
	if !order.Known(act) {
		return OrderView{}, apperr.New(apperr.NotFound, "unknown action %q", truncateStr(string(act), 40))
	}
	// A merge target may be named by its human number (what people see) as
	// well as by its id.
	if act == order.ActMerge && len(in.Into) == 13 {
		if p, err := s.store.GetOrderByNumber(ctx, in.Into); err == nil {
			in.Into = p.ID
		}
	}
	now := s.now()
	env := order.Env{Now: now, Deadlines: s.deadliner(ctx, id, act), UnitKnown: s.UnitKnown}
	var parentAfter *order.Order
	o, err := s.store.UpdateOrder(ctx, id, func(cur order.Order, load store.Loader) (store.Mutation, error) {
		res, err := order.Apply(cur, a, act, in, env)
		if err != nil {
			return store.Mutation{}, err
		}
		if len(photos) > 0 {
			body := maps.Clone(res.Event.Body)
			if body == nil {
				body = map[string]any{}
			}
			body["photos"] = len(photos)
			res.Event.Body = body
		}
		m := store.Mutation{Changes: []store.Change{{Order: res.Order, PrevVersion: cur.Version, Event: res.Event}}, Callback: res.Callback, Photos: photos}
		if act == order.ActMerge {
			parent, err := load(res.Order.Parent)
			if apperr.Is(err, apperr.NotFound) {
				return store.Mutation{}, apperr.FieldProblem("into", apperr.NoOrder(res.Order.Parent))
			}
			if err != nil {
				return store.Mutation{}, err
			}
			if !parent.Visible(a) {
				return store.Mutation{}, apperr.FieldProblem("into", apperr.NoOrder(res.Order.Parent))
			}
			p, pev, err := order.MergeInto(parent, res.Order, a, now)
			if err != nil {
				return store.Mutation{}, err
			}
			m.Changes = append(m.Changes, store.Change{Order: p, PrevVersion: parent.Version, Event: pev})
			parentAfter = &p
		}
		return m, nil
	})
	if err != nil {
		return OrderView{}, err
	}
	if s.Intel != nil {
		s.Intel.Observe(o)
		if parentAfter != nil {
			s.Intel.Observe(*parentAfter)
		}
	}
	if act == order.ActUrge && o.Unit != "" {
		if _, err := s.store.Notify(ctx, order.Notification{Target: o.Unit, OrderID: o.ID, Kind: "urge", Deadline: now,
			Message: "工单 " + o.Number + " 被催办", CreatedAt: now}); err != nil {
			s.Log.Error("urge notification failed", "err", err)
		}
	}
	if (act == order.ActDispatch || act == order.ActRedispatch) && o.Unit != "" {
		// The unit hears of a new order at once, not only when its signing
		// deadline nears. Keyed by the signing deadline, so a later
		// dispatch of the same order to the same unit is told again.
		due := now
		if o.SignDue != nil {
			due = *o.SignDue
		}
		if _, err := s.store.Notify(ctx, order.Notification{Target: o.Unit, OrderID: o.ID, Kind: "dispatched", Deadline: due,
			Message: "新工单 " + o.Number + " 已派给本单位", CreatedAt: now}); err != nil {
			s.Log.Error("dispatch notification failed", "err", err)
		}
	}
	v := s.view(o, a, now)
	if evs, err := s.store.Events(ctx, o.ID); err == nil {
		v.Events = evs
	}
	// The action is committed and must be answered as done; when its view
	// cannot be audited, the answer shows the caller masked instead.
	if err := s.auditViews(ctx, a, v); err != nil {
		v.CallerView = order.CallerFor(o.Caller, Actor{Role: order.RoleLeader})
		for i, c := range o.CoCallers {
			v.CoCallerViews[i] = order.CallerFor(c, Actor{Role: order.RoleLeader})
		}
	}
	return v, nil
}

func truncateStr(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Suggest returns the suggested category and unit for a text.
func (s *Service) Suggest(title, description string) Suggestions {
	if s.Intel == nil {
		return Suggestions{}
	}
	return s.Intel.Suggest(title, description)
}
