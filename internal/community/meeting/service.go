package meeting

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/calendar"
)

// Store is what the module needs from its storage (meetingdb).
type Store interface {
	Tx(ctx context.Context, fn func(tx *sql.Tx) error) error
	CompoundArea(ctx context.Context, compound string) (string, error) // NotFound when unknown
	OwnerKnown(ctx context.Context, owner string) (bool, error)        // a login or a unit
	InsertMeeting(ctx context.Context, tx *sql.Tx, m Meeting) (string, error)
	// LockMeeting reads a meeting (with orders and actions) locked in tx.
	LockMeeting(ctx context.Context, tx *sql.Tx, id string) (Meeting, error)
	// UpdateMeeting writes m over the row at version prev, and its orders.
	UpdateMeeting(ctx context.Context, tx *sql.Tx, m Meeting, prev int64) error
	Meeting(ctx context.Context, id string) (Meeting, error)
	Meetings(ctx context.Context, f Filter) ([]Meeting, string, error)
	AddAction(ctx context.Context, meetingID string, a Action, check func(Meeting) error) (Action, error)
	Action(ctx context.Context, id string) (Action, error)
	DoneAction(ctx context.Context, id string, at time.Time, by string) (Action, error)
	// Overdue lists open actions past their due at now whose owner has not
	// been notified for that due yet, oldest due first, at most limit.
	Overdue(ctx context.Context, now time.Time, limit int) ([]Overdue, error)
}

// Overdue is an open action past its due, to be notified to its owner.
type Overdue struct {
	Action, Meeting string
	Owner           string
	OwnerIsUnit     bool // the owner is a unit (its workers' inbox), else a login
	Due             time.Time
	Topic, Text     string
}

// Message is the notice's text (Chinese first, then English).
func (o Overdue) Message() string {
	return "协商会议待办已逾期 / meeting action overdue: " + o.Topic + " — " + o.Text
}

// Inbox is the staff's notification inbox (the orders' notifications,
// adapted by app): overdue notices go where the staff already read theirs.
type Inbox interface {
	// DeliverOverdue stores the owner's notice of o unless it is already
	// there (unique per action, kind, target and due), reporting whether
	// this call stored it.
	DeliverOverdue(ctx context.Context, o Overdue, now time.Time) (bool, error)
	// Notices lists u's notices about meeting actions, newest first.
	Notices(ctx context.Context, u access.User, limit int) ([]Notice, error)
}

// OrderNoter is what the module needs from the orders' side.
type OrderNoter interface {
	// NoteOrders appends a note event with body to each order's timeline
	// and runs write first, in one transaction; write's map completes body.
	NoteOrders(ctx context.Context, u access.User, ids []string, body map[string]any,
		write func(ctx context.Context, tx *sql.Tx) (map[string]any, error)) error
	// OrderGroup is an order visible to u with its parent and children.
	OrderGroup(ctx context.Context, u access.User, id string) ([]string, error)
}

// Filter narrows a meeting list.
type Filter struct {
	Scope    access.Scope
	Compound string
	Orders   []string // linked to any of these orders
	From, To *time.Time
	Limit    int
	Cursor   string
	Oldest   bool // oldest first (threads); newest first otherwise
}

// Notice is an overdue action's notification.
type Notice struct {
	ID        string     `json:"id"`
	Target    string     `json:"target"`
	Action    string     `json:"action"`
	Meeting   string     `json:"meeting"`
	Kind      string     `json:"kind"`
	Deadline  time.Time  `json:"deadline"`
	Message   string     `json:"message"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
}

// Service is the module's application layer.
type Service struct {
	Store  Store
	Orders OrderNoter
	Inbox  Inbox
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

func (s *Service) area(ctx context.Context, compound string) (string, error) {
	a, err := s.Store.CompoundArea(ctx, compound)
	if apperr.Is(err, apperr.NotFound) {
		return "", apperr.Field("compound", "no such compound")
	}
	return a, err
}

func noteBody(m Meeting) map[string]any {
	return map[string]any{"kind": "meeting", "text": m.Topic}
}

// Create stores a meeting; linked orders get their note in the same
// transaction.
func (s *Service) Create(ctx context.Context, u access.User, in Input) (Meeting, error) {
	in.Version = nil
	m, err := in.Apply(Meeting{})
	if err != nil {
		return Meeting{}, err
	}
	if m.Area, err = s.area(ctx, m.Compound); err != nil {
		return Meeting{}, err
	}
	if err := access.Require(access.EditsArea(u, m.Area), "only the area's workers and admins convene its meetings"); err != nil {
		return Meeting{}, err
	}
	now := s.now()
	m.Version, m.CreatedBy, m.CreatedAt, m.UpdatedAt = 1, u.Username, now, now
	err = s.Orders.NoteOrders(ctx, u, m.Orders, noteBody(m), func(ctx context.Context, tx *sql.Tx) (map[string]any, error) {
		id, err := s.Store.InsertMeeting(ctx, tx, m)
		m.ID = id
		return map[string]any{"meeting_id": id}, err
	})
	if err != nil {
		return Meeting{}, err
	}
	m.Actions = []Action{}
	return m, nil
}

// Get returns a meeting u may read.
func (s *Service) Get(ctx context.Context, u access.User, id string) (Meeting, error) {
	m, err := s.Store.Meeting(ctx, id)
	if err != nil {
		return Meeting{}, err
	}
	if !access.ReadsArea(u, m.Area) {
		return Meeting{}, apperr.New(apperr.Forbidden, "this meeting belongs to another area")
	}
	s.mark(&m)
	return m, nil
}

func (s *Service) mark(m *Meeting) {
	now := s.now()
	for i := range m.Actions {
		m.Actions[i].Overdue = m.Actions[i].Status == "open" && now.After(m.Actions[i].Due)
	}
}

// Update changes what the input gives at the version given; orders newly
// linked get their note in the same transaction.
func (s *Service) Update(ctx context.Context, u access.User, id string, in Input) (Meeting, error) {
	if in.Version == nil {
		return Meeting{}, apperr.Field("version", "required")
	}
	cur, err := s.Store.Meeting(ctx, id)
	if err != nil {
		return Meeting{}, err
	}
	if err := access.Require(access.EditsArea(u, cur.Area), "only the area's workers and admins change its meetings"); err != nil {
		return Meeting{}, err
	}
	next, err := in.Apply(cur)
	if err != nil {
		return Meeting{}, err
	}
	var added []string
	for _, o := range next.Orders {
		if !slices.Contains(cur.Orders, o) {
			added = append(added, o)
		}
	}
	var out Meeting
	err = s.Orders.NoteOrders(ctx, u, added, noteBody(next), func(ctx context.Context, tx *sql.Tx) (map[string]any, error) {
		locked, err := s.Store.LockMeeting(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if locked.Version != *in.Version {
			return nil, apperr.New(apperr.Conflict, "someone else changed this meeting; reload it").Because(apperr.ReasonStale)
		}
		if locked.Status == "cancelled" {
			return nil, apperr.New(apperr.Conflict, "the meeting is cancelled")
		}
		n, err := in.Apply(locked)
		if err != nil {
			return nil, err
		}
		n.Version, n.UpdatedAt = locked.Version+1, s.now()
		if err := s.Store.UpdateMeeting(ctx, tx, n, locked.Version); err != nil {
			return nil, err
		}
		out = n
		return map[string]any{"meeting_id": id}, nil
	})
	if err != nil {
		return Meeting{}, err
	}
	s.mark(&out)
	return out, nil
}

// MinutesInput is the body of POST /api/v1/meetings/{id}/minutes.
type MinutesInput struct {
	Minutes   string   `json:"minutes"`
	Decisions []string `json:"decisions"`
	Version   *int64   `json:"version"`
}

// Minutes records what a meeting said and decided; the meeting is then
// held. Decisions given are added to those already recorded.
func (s *Service) Minutes(ctx context.Context, u access.User, id string, in MinutesInput) (Meeting, error) {
	f := apperr.Fields{}
	in.Minutes = strings.TrimSpace(in.Minutes)
	checkText(f, "minutes", in.Minutes, true, 50000)
	dec := cleanList(f, "decisions", in.Decisions)
	if err := f.Err(); err != nil {
		return Meeting{}, err
	}
	cur, err := s.Store.Meeting(ctx, id)
	if err != nil {
		return Meeting{}, err
	}
	if err := access.Require(access.EditsArea(u, cur.Area), "only the area's workers and admins record its meetings"); err != nil {
		return Meeting{}, err
	}
	var out Meeting
	err = s.Store.Tx(ctx, func(tx *sql.Tx) error {
		m, err := s.Store.LockMeeting(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.Version != nil && *in.Version != m.Version {
			return apperr.New(apperr.Conflict, "someone else changed this meeting; reload it").Because(apperr.ReasonStale)
		}
		if m.Status == "cancelled" {
			return apperr.New(apperr.Conflict, "the meeting is cancelled")
		}
		prev := m.Version
		m.Minutes, m.Status = in.Minutes, "held"
		m.Decisions = append(m.Decisions, dec...)
		if len(m.Decisions) > 100 {
			return apperr.Field("decisions", "at most 100 per meeting")
		}
		m.Version, m.UpdatedAt = prev+1, s.now()
		out = m
		return s.Store.UpdateMeeting(ctx, tx, m, prev)
	})
	s.mark(&out)
	return out, err
}

// AddAction records a follow-up action; its due must be in the future.
func (s *Service) AddAction(ctx context.Context, u access.User, id string, in ActionInput) (Action, error) {
	f := apperr.Fields{}
	in.Text, in.Owner = strings.TrimSpace(in.Text), strings.TrimSpace(in.Owner)
	checkText(f, "text", in.Text, true, 2000)
	checkText(f, "owner", in.Owner, true, 64)
	now := s.now()
	due, ok := ParseDue(strings.TrimSpace(in.Due), calendar.Shanghai)
	switch {
	case !ok:
		f.Add("due", "RFC 3339 time or YYYY-MM-DD date")
	case !due.After(now):
		f.Add("due", "in the past")
	}
	if err := f.Err(); err != nil {
		return Action{}, err
	}
	cur, err := s.Store.Meeting(ctx, id)
	if err != nil {
		return Action{}, err
	}
	if err := access.Require(access.EditsArea(u, cur.Area), "only the area's workers and admins assign its actions"); err != nil {
		return Action{}, err
	}
	known, err := s.Store.OwnerKnown(ctx, in.Owner)
	if err != nil {
		return Action{}, err
	}
	if !known {
		return Action{}, apperr.Field("owner", "neither a login nor a unit")
	}
	a := Action{Text: in.Text, Owner: in.Owner, Due: due, Status: "open", CreatedAt: now}
	return s.Store.AddAction(ctx, id, a, func(m Meeting) error {
		if m.Status == "cancelled" {
			return apperr.New(apperr.Conflict, "the meeting is cancelled")
		}
		if len(m.Actions) >= 200 {
			return apperr.Field("text", "at most 200 actions per meeting")
		}
		return nil
	})
}

// owns reports whether u is an action's owner: the login named, or a
// worker of the unit named.
func owns(u access.User, owner string) bool {
	return u.Username == owner || (u.Role == access.RoleHandler && u.Unit != "" && u.Unit == owner)
}

// Done marks an action done: its owner, or the meeting area's editors.
func (s *Service) Done(ctx context.Context, u access.User, id string) (Action, error) {
	a, err := s.Store.Action(ctx, id)
	if err != nil {
		return Action{}, err
	}
	m, err := s.Store.Meeting(ctx, a.Meeting)
	if err != nil {
		return Action{}, err
	}
	if !owns(u, a.Owner) && !access.EditsArea(u, m.Area) {
		return Action{}, apperr.New(apperr.Forbidden, "only the action's owner or the area's workers mark it done")
	}
	return s.Store.DoneAction(ctx, id, s.now(), u.Username)
}

// ParseTime reads an optional RFC 3339 time or YYYY-MM-DD date (the start
// of that day, Asia/Shanghai) of a query.
func ParseTime(field, v string, endOfDay bool) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return &t, nil
	}
	d, err := time.ParseInLocation("2006-01-02", v, calendar.Shanghai)
	if err != nil || len(v) != 10 {
		return nil, apperr.Field(field, "RFC 3339 time or YYYY-MM-DD date")
	}
	if endOfDay {
		d = d.AddDate(0, 0, 1)
	}
	return &d, nil
}

// List lists meetings u may read, newest first.
func (s *Service) List(ctx context.Context, u access.User, area string, f Filter, order string) ([]Meeting, string, error) {
	sc, err := access.ListScope(u, area)
	if err != nil {
		return nil, "", err
	}
	f.Scope = sc
	if order != "" {
		if _, err := strconv.ParseInt(order, 10, 64); err != nil {
			return []Meeting{}, "", nil
		}
		f.Orders = []string{order}
	}
	ms, next, err := s.Store.Meetings(ctx, f)
	for i := range ms {
		s.mark(&ms[i])
	}
	return ms, next, err
}

// ThreadOf is every meeting, decision and open action about a compound, or
// about an order and the orders merged with it, in time order.
func (s *Service) ThreadOf(ctx context.Context, u access.User, compound, order string) ([]Item, error) {
	if (compound == "") == (order == "") {
		return nil, apperr.Field("compound", "give compound or order")
	}
	f := Filter{Scope: access.Scope{All: true}, Limit: 1000, Oldest: true}
	if compound != "" {
		area, err := s.area(ctx, compound)
		if err != nil {
			return nil, err
		}
		if !access.ReadsArea(u, area) {
			return nil, apperr.New(apperr.Forbidden, "this compound belongs to another area")
		}
		f.Compound = compound
	} else {
		if !access.ReadsArea(u, u.Unit) && u.Role != access.RoleHandler {
			return nil, apperr.New(apperr.Forbidden, "this role does not see community records")
		}
		group, err := s.Orders.OrderGroup(ctx, u, order)
		if err != nil {
			return nil, err
		}
		f.Orders = group
	}
	var all []Meeting
	for {
		ms, next, err := s.Store.Meetings(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if access.ReadsArea(u, m.Area) {
				all = append(all, m)
			}
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	return Thread(all, s.now()), nil
}

// Summary is a meeting as an order's page lists it.
type Summary struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	Topic    string    `json:"topic"`
	StartsAt time.Time `json:"starts_at"`
	Status   string    `json:"status"`
	Compound string    `json:"compound"`
}

// ForOrder lists the meetings linked to an order, oldest first. The caller
// has already shown the order to u; the summaries carry nothing personal.
func (s *Service) ForOrder(ctx context.Context, orderID string) ([]Summary, error) {
	out := []Summary{}
	f := Filter{Scope: access.Scope{All: true}, Orders: []string{orderID}, Limit: 1000, Oldest: true}
	for {
		ms, next, err := s.Store.Meetings(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, Summary{ID: m.ID, Kind: m.Kind, Topic: m.Topic, StartsAt: m.StartsAt, Status: m.Status, Compound: m.Compound})
		}
		if next == "" {
			return out, nil
		}
		f.Cursor = next
	}
}

// Sweep notifies the owners of overdue actions, each once, in the staff's
// inbox. Any number of sweeps may run at once on any number of instances:
// the inbox stores each notice under a unique key, so a notice two sweeps
// both found is stored by one of them only. It reports how many this sweep
// stored.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	if s.Inbox == nil {
		return 0, nil
	}
	now, sent := s.now(), 0
	for {
		due, err := s.Store.Overdue(ctx, now, 500)
		if err != nil {
			return sent, err
		}
		stored := 0
		for _, o := range due {
			ok, err := s.Inbox.DeliverOverdue(ctx, o, now)
			if err != nil {
				return sent, err
			}
			if ok {
				stored++
			}
		}
		sent += stored
		// A full page is followed by the next only when this one stored
		// something: the listed ones are then left out of the next query. A
		// page stored entirely by another sweep is that sweep's to go on with.
		if len(due) < 500 || stored == 0 {
			return sent, nil
		}
	}
}

// RunSweeper sweeps every interval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration, logErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil && logErr != nil {
			logErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Notices lists u's overdue-action notices (those of u's inbox: to their
// login and, for a unit's worker, to their unit).
func (s *Service) Notices(ctx context.Context, u access.User, limit int) ([]Notice, error) {
	if s.Inbox == nil {
		return []Notice{}, nil
	}
	return s.Inbox.Notices(ctx, u, limit)
}
