package emergency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/community/listing"
	"hotline/internal/seal"
)

// Building is what the service needs to know of a building to choose an
// event's buildings.
type Building struct {
	Code     string
	Compound string
	Area     string
	LowLying bool
}

// Filter narrows the list of events.
type Filter struct {
	Scope     access.Scope
	Volunteer string // only the events this volunteer is assigned to
	Status    Status
	Limit     int
	After     int64 // cursor: ids below this one (newest first)
}

// CheckFilter narrows a check list.
type CheckFilter struct {
	Status   CheckStatus
	Building string
	Limit    int
	After    int64 // cursor: ids above this one
}

// CheckRow is a check as stored: the note sealed.
type CheckRow struct {
	Check
	Sealed []byte
	Tags   int64 // the resident's care tags as the registry stores them
}

// CheckWrite is what UpdateCheck stores when decide accepts.
type CheckWrite struct {
	Status    CheckStatus
	Note      []byte // sealed, nil when empty
	CheckedBy string
	CheckedAt time.Time
}

// Store is the module's storage (emergencydb implements it for both
// dialects). Every write runs in one transaction that also appends the
// event's history; the int64 it returns is that history's sequence number,
// published to the live board after the commit.
type Store interface {
	Compounds(ctx context.Context, codes []string) (areas map[string]string, buildings []Building, err error)
	MissingUsers(ctx context.Context, usernames []string) ([]string, error)
	// Create inserts the event, its volunteers and its check list (one
	// INSERT … SELECT over the registry) and fills ev.ID and ev.Version.
	Create(ctx context.Context, ev *Event, actor string) (int64, error)
	Event(ctx context.Context, id int64) (Event, error)
	// Head is Event without the counts: what deciding who may act needs.
	Head(ctx context.Context, id int64) (Event, error)
	Events(ctx context.Context, f Filter) ([]Event, error)
	Checks(ctx context.Context, id int64, f CheckFilter) ([]CheckRow, error)
	// UpdateCheck applies an op once: an op_id already stored with the same
	// digest answers its stored result (replayed true); with another digest
	// it is a conflict. Otherwise decide sees the locked current check and
	// the event's status, and returns what to write or why not.
	UpdateCheck(ctx context.Context, id, check int64, opID string, digest []byte, actor string,
		decide func(cur CheckRow, status Status) (CheckWrite, error)) (row CheckRow, seq int64, replayed bool, err error)
	AddTask(ctx context.Context, id int64, t *Task, decide func(status Status, compounds []string, buildingCompound string, householdBuilding string) error) (int64, error)
	Tasks(ctx context.Context, id int64, open bool) ([]Task, error)
	UpdateTask(ctx context.Context, id, task int64, actor string, decide func(cur Task, status Status) (TaskStatus, error)) (Task, int64, error)
	History(ctx context.Context, id int64, limit int, after int64) ([]HistoryEntry, error)
	// HistoryStats is the number of history entries and the last one's seq.
	HistoryStats(ctx context.Context, id int64) (count, last int64, err error)
	// Close freezes an active event (version checked when > 0).
	Close(ctx context.Context, id int64, version int64, actor string, at time.Time) (int64, error)
	// Reseal rewrites up to batch notes (checks' and ops') not sealed under
	// key primary with reseal, in one transaction; it returns how many.
	Reseal(ctx context.Context, primary int64, batch int, reseal func(event, check int64, ct []byte) ([]byte, error)) (int, error)
}

// Publisher wakes the live boards (live.Hub).
type Publisher interface {
	Publish(ctx context.Context, topic string, seq int64) error
}

// Sealer keeps notes encrypted at rest (seal.Keys).
type Sealer interface {
	Seal(plain, context []byte) ([]byte, error)
	Open(ct, context []byte) ([]byte, error)
	Index(domain, value string) []byte
}

// LostRace is the conflict of a check update that lost to someone else's
// (or was based on a state the phone no longer holds): Current is the
// check as it is now, so that the phone shows it instead of dropping the
// worker's change silently.
type LostRace struct {
	Current Check
}

func (l *LostRace) Error() string { return "the check was changed by someone else meanwhile" }

// Service is who may do what with emergency events.
type Service struct {
	Store Store
	Pub   Publisher
	Seal  Sealer
	Log   *slog.Logger
	Now   func() time.Time
	// TagNames turns the registry's care-tag bits into their names.
	TagNames func(mask int64) []string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Topic is an event's live-board topic.
func Topic(id string) string { return "emergency:" + id }

func (s *Service) publish(ctx context.Context, id string, seq int64) {
	if s.Pub == nil {
		return
	}
	if err := s.Pub.Publish(context.WithoutCancel(ctx), Topic(id), seq); err != nil && s.Log != nil {
		s.Log.Warn("emergency: live board not told", "event", id, "err", err)
	}
}

func parseID(field, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.New(apperr.NotFound, "no such %s", field)
	}
	return n, nil
}

// reads: the area's handlers, leaders, admins, and the event's volunteers.
func reads(u access.User, ev Event) bool {
	if access.ReadsArea(u, ev.Area) {
		return true
	}
	return u.Role == access.RoleVolunteer && slices.Contains(ev.Volunteers, u.Username)
}

// checks: the area's handlers, admins and the event's volunteers mark
// checks; leaders watch.
func checks(u access.User, ev Event) bool {
	if access.EditsArea(u, ev.Area) {
		return true
	}
	return u.Role == access.RoleVolunteer && slices.Contains(ev.Volunteers, u.Username)
}

// Create declares an event and generates its check list.
func (s *Service) Create(ctx context.Context, u access.User, in NewEvent) (Event, error) {
	if u.Role != access.RoleHandler && u.Role != access.RoleAdmin {
		return Event{}, access.Require(false, "only an area's community workers and admins declare emergencies")
	}
	now := s.now()
	if err := in.Validate(now); err != nil {
		return Event{}, err
	}
	areas, buildings, err := s.Store.Compounds(ctx, in.Compounds)
	if err != nil {
		return Event{}, err
	}
	f := apperr.Fields{}
	area := ""
	for _, c := range in.Compounds {
		a, ok := areas[c]
		switch {
		case !ok:
			f.AddProblem("compounds", apperr.UnknownCompound(c))
		case area == "":
			area = a
		case a != area:
			f.Add("compounds", "all compounds of one event must belong to one residential area")
		}
	}
	if err := f.Err(); err != nil {
		return Event{}, err
	}
	if !access.EditsArea(u, area) {
		return Event{}, access.Require(false, "declaring an emergency outside your area")
	}
	var chosen []string
	if len(in.Buildings) > 0 {
		known := map[string]bool{}
		for _, b := range buildings {
			known[b.Code] = true
		}
		for _, b := range in.Buildings {
			if !known[b] {
				f.Add("buildings", "building "+b+" is not in the chosen compounds")
			}
		}
		chosen = in.Buildings
	} else {
		for _, b := range buildings {
			if !in.Kind.PresetLowLying() || b.LowLying {
				chosen = append(chosen, b.Code)
			}
		}
		if len(chosen) == 0 {
			f.Add("buildings", "the chosen compounds have no low-lying buildings; name the buildings")
		}
	}
	if len(in.Volunteers) > 0 {
		missing, err := s.Store.MissingUsers(ctx, in.Volunteers)
		if err != nil {
			return Event{}, err
		}
		if len(missing) > 0 {
			f.Add("volunteers", "unknown user "+missing[0])
		}
	}
	if err := f.Err(); err != nil {
		return Event{}, err
	}
	started := now
	if in.StartedAt != nil {
		started = in.StartedAt.UTC()
	}
	ev := Event{Area: area, Kind: in.Kind, Name: in.Name, Level: in.Level, StartedAt: started.Truncate(time.Microsecond),
		Compounds: in.Compounds, Buildings: chosen, AllHouseholds: in.AllHouseholds, Volunteers: in.Volunteers,
		Status: Active, CreatedBy: u.Username}
	if ev.Volunteers == nil {
		ev.Volunteers = []string{}
	}
	seq, err := s.Store.Create(ctx, &ev, u.Username)
	if err != nil {
		return Event{}, err
	}
	s.publish(ctx, ev.ID, seq)
	return s.Store.Event(ctx, mustID(ev.ID))
}

// Reseal re-encrypts up to batch check notes under k's primary key
// (seal.Resealer; the app runs it in the background after a rotation).
// Until it has, a note sealed under an older key still opens: the keyset
// keeps every key.
func (s *Service) Reseal(ctx context.Context, k *seal.Keys, batch int) (int, error) {
	return s.Store.Reseal(ctx, int64(k.PrimaryID()), batch, func(event, check int64, ct []byte) ([]byte, error) {
		plain, err := k.Open(ct, s.noteCtx(event, check))
		if err != nil {
			return nil, apperr.Wrap(err, "re-encrypt the note of check %d", check)
		}
		return k.Seal(plain, s.noteCtx(event, check))
	})
}

func mustID(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

// load reads an event (with its counts when full) and checks u may read it.
func (s *Service) load(ctx context.Context, u access.User, id string, full ...bool) (Event, int64, error) {
	n, err := parseID("emergency", id)
	if err != nil {
		return Event{}, 0, err
	}
	read := s.Store.Head
	if len(full) > 0 && full[0] {
		read = s.Store.Event
	}
	ev, err := read(ctx, n)
	if err != nil {
		return Event{}, 0, err
	}
	if !reads(u, ev) {
		return Event{}, 0, access.Require(false, "this emergency belongs to another area")
	}
	return ev, n, nil
}

// Get returns an event with its counts (and its report once closed).
func (s *Service) Get(ctx context.Context, u access.User, id string) (Event, error) {
	ev, _, err := s.load(ctx, u, id, true)
	if err != nil {
		return Event{}, err
	}
	if ev.Status == Closed {
		r, err := s.report(ctx, ev)
		if err != nil {
			return Event{}, err
		}
		ev.Report = &r
	}
	return ev, nil
}

// List returns the events u may see, newest first.
func (s *Service) List(ctx context.Context, u access.User, area string, status Status, limit int, cursor string) ([]Event, string, error) {
	f := Filter{Status: status, Limit: listing.Size(limit)}
	if status != "" && status != Active && status != Closed {
		return nil, "", apperr.Field("status", "must be active or closed")
	}
	var err error
	if f.After, err = listing.Cursor(cursor); err != nil {
		return nil, "", err
	}
	if u.Role == access.RoleVolunteer {
		f.Volunteer = u.Username
		f.Scope = access.Scope{All: true}
	} else {
		sc, err := access.ListScope(u, area)
		if err != nil {
			return nil, "", err
		}
		f.Scope = sc
	}
	evs, err := s.Store.Events(ctx, f)
	if err != nil {
		return nil, "", err
	}
	return evs, listing.Next(evs, f.Limit, func(e Event) string { return e.ID }), nil
}

func (s *Service) noteCtx(event, check int64) []byte {
	return fmt.Appendf(nil, "emergency_checks.note:%d:%d", event, check)
}

func (s *Service) open(event int64, r CheckRow) (Check, error) {
	c := r.Check
	if r.Tags != 0 && s.TagNames != nil {
		c.CareTags = s.TagNames(r.Tags)
	}
	if len(r.Sealed) > 0 {
		if s.Seal == nil {
			return Check{}, apperr.Wrap(errors.New("no data key"), "open a check's note")
		}
		n, _ := strconv.ParseInt(c.ID, 10, 64)
		plain, err := s.Seal.Open(r.Sealed, s.noteCtx(event, n))
		if err != nil {
			return Check{}, apperr.Wrap(err, "open the note of check %s", c.ID)
		}
		c.Note = string(plain)
	}
	return c, nil
}

// Checks lists an event's checks, filtered by status and building.
func (s *Service) Checks(ctx context.Context, u access.User, id string, status CheckStatus, building string, limit int, cursor string) ([]Check, string, error) {
	_, n, err := s.load(ctx, u, id)
	if err != nil {
		return nil, "", err
	}
	if status != "" && !slices.Contains(CheckStatuses, status) {
		return nil, "", apperr.FieldProblem("status", apperr.OneOf("unchecked", "safe", "needs_help", "evacuated", "unreachable"))
	}
	f := CheckFilter{Status: status, Building: building, Limit: listing.Size(limit)}
	if f.After, err = listing.Cursor(cursor); err != nil {
		return nil, "", err
	}
	rows, err := s.Store.Checks(ctx, n, f)
	if err != nil {
		return nil, "", err
	}
	out := make([]Check, 0, len(rows))
	for _, r := range rows {
		c, err := s.open(n, r)
		if err != nil {
			return nil, "", err
		}
		out = append(out, c)
	}
	return out, listing.Next(out, f.Limit, func(c Check) string { return c.ID }), nil
}

// Check records a check's new status: once per op_id, refused with the
// current state when it lost a race.
func (s *Service) Check(ctx context.Context, u access.User, id, checkID string, in CheckUpdate) (Check, error) {
	ev, n, err := s.load(ctx, u, id)
	if err != nil {
		return Check{}, err
	}
	if !checks(u, ev) {
		return Check{}, access.Require(false, "marking checks of this emergency")
	}
	cn, err := parseID("check", checkID)
	if err != nil {
		return Check{}, err
	}
	now := s.now()
	if err := in.Validate(now); err != nil {
		return Check{}, err
	}
	if s.Seal == nil {
		return Check{}, apperr.Wrap(errors.New("no data key"), "checks keep notes encrypted")
	}
	at := now
	if in.At != nil {
		at = in.At.UTC()
	}
	at = at.Truncate(time.Microsecond)
	// The digest tells a replay from a different change under the same
	// op_id; it is keyed (the blind index), so it gives no note away. The
	// index normalizes what it is given (case, spaces), so it gets the
	// content's SHA-256 in hex, which normalizing leaves as it is.
	sum := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s\x00%s\x00%d", cn, in.Status, in.Note, at.UnixMicro()))
	digest := s.Seal.Index("emergency.op", hex.EncodeToString(sum[:]))
	var sealed []byte
	if in.Note != "" {
		if sealed, err = s.Seal.Seal([]byte(in.Note), s.noteCtx(n, cn)); err != nil {
			return Check{}, apperr.Wrap(err, "seal a note")
		}
	}
	row, seq, replayed, err := s.Store.UpdateCheck(ctx, n, cn, in.OpID, digest, u.Username, func(cur CheckRow, status Status) (CheckWrite, error) {
		if status != Active {
			return CheckWrite{}, apperr.New(apperr.Conflict, "the emergency is closed; its checks are frozen")
		}
		lost := in.Version != nil && *in.Version != cur.Version ||
			cur.CheckedAt != nil && at.Before(*cur.CheckedAt)
		if lost {
			c, err := s.open(n, cur)
			if err != nil {
				return CheckWrite{}, err
			}
			return CheckWrite{}, &apperr.Error{Code: apperr.Conflict, Message: "someone else marked this check meanwhile; see its current state", Err: &LostRace{Current: c}}
		}
		if !CanMove(cur.Status, in.Status) {
			return CheckWrite{}, apperr.Field("status", fmt.Sprintf("a check cannot go from %s to %s", cur.Status, in.Status))
		}
		return CheckWrite{Status: in.Status, Note: sealed, CheckedBy: u.Username, CheckedAt: at}, nil
	})
	if err != nil {
		return Check{}, err
	}
	if !replayed {
		s.publish(ctx, id, seq)
	}
	return s.open(n, row)
}

// AddTask creates a rescue task.
func (s *Service) AddTask(ctx context.Context, u access.User, id string, in NewTask) (Task, error) {
	ev, n, err := s.load(ctx, u, id)
	if err != nil {
		return Task{}, err
	}
	if !access.EditsArea(u, ev.Area) {
		return Task{}, access.Require(false, "only the area's community workers create rescue tasks")
	}
	if err := in.Validate(); err != nil {
		return Task{}, err
	}
	if missing, err := s.Store.MissingUsers(ctx, []string{in.Assignee}); err != nil {
		return Task{}, err
	} else if len(missing) > 0 {
		return Task{}, apperr.Field("assignee", "unknown user")
	}
	now := s.now().Truncate(time.Microsecond)
	t := Task{What: in.What, Building: in.Building, Household: in.Household, Assignee: in.Assignee, Status: TaskOpen,
		CreatedBy: u.Username, CreatedAt: now, UpdatedAt: now, Version: 1}
	seq, err := s.Store.AddTask(ctx, n, &t, func(status Status, compounds []string, buildingCompound, householdBuilding string) error {
		if status != Active {
			return apperr.New(apperr.Conflict, "the emergency is closed")
		}
		f := apperr.Fields{}
		if !slices.Contains(compounds, buildingCompound) {
			f.Add("building", "not a building of this emergency's compounds")
		}
		if in.Household != nil && householdBuilding != in.Building {
			f.Add("household", "not a household of this building")
		}
		return f.Err()
	})
	if err != nil {
		return Task{}, err
	}
	s.publish(ctx, id, seq)
	return t, nil
}

// Tasks lists an event's rescue tasks.
func (s *Service) Tasks(ctx context.Context, u access.User, id string) ([]Task, error) {
	_, n, err := s.load(ctx, u, id)
	if err != nil {
		return nil, err
	}
	return s.Store.Tasks(ctx, n, false)
}

// UpdateTask moves a task along its status table: the area's workers, or
// the volunteer it is assigned to.
func (s *Service) UpdateTask(ctx context.Context, u access.User, id, taskID string, in TaskUpdate) (Task, error) {
	ev, n, err := s.load(ctx, u, id)
	if err != nil {
		return Task{}, err
	}
	tn, err := parseID("task", taskID)
	if err != nil {
		return Task{}, err
	}
	if err := in.Validate(); err != nil {
		return Task{}, err
	}
	t, seq, err := s.Store.UpdateTask(ctx, n, tn, u.Username, func(cur Task, status Status) (TaskStatus, error) {
		if !access.EditsArea(u, ev.Area) && !(checks(u, ev) && cur.Assignee == u.Username) {
			return "", access.Require(false, "only the area's workers and the task's assignee change it")
		}
		if status != Active {
			return "", apperr.New(apperr.Conflict, "the emergency is closed")
		}
		if cur.Version != in.Version {
			return "", apperr.New(apperr.Conflict, "the task changed since you read it (version %d now)", cur.Version).Because(apperr.ReasonStale)
		}
		if !CanMoveTask(cur.Status, in.Status) {
			return "", apperr.Field("status", fmt.Sprintf("a task cannot go from %s to %s", cur.Status, in.Status))
		}
		return in.Status, nil
	})
	if err != nil {
		return Task{}, err
	}
	s.publish(ctx, id, seq)
	return t, nil
}

// History lists an event's changes in order.
func (s *Service) History(ctx context.Context, u access.User, id string, limit int, cursor string) ([]HistoryEntry, string, error) {
	_, n, err := s.load(ctx, u, id)
	if err != nil {
		return nil, "", err
	}
	after, err := listing.Cursor(cursor)
	if err != nil {
		return nil, "", err
	}
	lim := listing.Size(limit)
	h, err := s.Store.History(ctx, n, lim, after)
	if err != nil {
		return nil, "", err
	}
	return h, listing.Next(h, lim, func(e HistoryEntry) string { return strconv.FormatInt(e.Seq, 10) }), nil
}

// Close freezes an event and answers it with its report.
func (s *Service) Close(ctx context.Context, u access.User, id string, version int64) (Event, error) {
	ev, n, err := s.load(ctx, u, id)
	if err != nil {
		return Event{}, err
	}
	if !access.EditsArea(u, ev.Area) {
		return Event{}, access.Require(false, "only the area's community workers close an emergency")
	}
	if version < 0 {
		return Event{}, apperr.Field("version", "must be positive")
	}
	seq, err := s.Store.Close(ctx, n, version, u.Username, s.now().Truncate(time.Microsecond))
	if err != nil {
		return Event{}, err
	}
	s.publish(ctx, id, seq)
	return s.Get(ctx, u, id)
}

// Report is a closed event's summary.
func (s *Service) Report(ctx context.Context, u access.User, id string) (Event, Report, error) {
	ev, _, err := s.load(ctx, u, id, true)
	if err != nil {
		return Event{}, Report{}, err
	}
	if ev.Status != Closed {
		return Event{}, Report{}, apperr.New(apperr.Conflict, "the emergency is still active; close it for its report")
	}
	r, err := s.report(ctx, ev)
	return ev, r, err
}

func (s *Service) report(ctx context.Context, ev Event) (Report, error) {
	n := mustID(ev.ID)
	r := Report{Counts: ev.Counts, ByBuilding: ev.ByBuilding, StartedAt: ev.StartedAt, Tasks: map[TaskStatus]int{},
		CheckedBy: map[string]int{}, Evacuated: []Check{}, StillOpen: []Check{}}
	if ev.ClosedAt != nil {
		r.ClosedAt = *ev.ClosedAt
	}
	var after int64
	for {
		rows, err := s.Store.Checks(ctx, n, CheckFilter{Limit: 1000, After: after})
		if err != nil {
			return Report{}, err
		}
		for _, row := range rows {
			c, err := s.open(n, row)
			if err != nil {
				return Report{}, err
			}
			r.Checks++
			if c.CheckedAt != nil {
				if r.FirstCheck == nil || c.CheckedAt.Before(*r.FirstCheck) {
					t := *c.CheckedAt
					r.FirstCheck = &t
				}
				if r.LastCheck == nil || c.CheckedAt.After(*r.LastCheck) {
					t := *c.CheckedAt
					r.LastCheck = &t
				}
				r.CheckedBy[c.CheckedBy]++
			}
			switch c.Status {
			case Evacuated:
				r.Evacuated = append(r.Evacuated, c)
			case Unchecked, NeedsHelp, Unreachable:
				r.StillOpen = append(r.StillOpen, c)
			}
		}
		if len(rows) < 1000 {
			break
		}
		after, _ = strconv.ParseInt(rows[len(rows)-1].ID, 10, 64)
	}
	tasks, err := s.Store.Tasks(ctx, n, false)
	if err != nil {
		return Report{}, err
	}
	for _, t := range tasks {
		r.Tasks[t.Status]++
	}
	count, _, err := s.Store.HistoryStats(ctx, n)
	if err != nil {
		return Report{}, err
	}
	r.HistorySize = int(count)
	return r, nil
}

// Board is what the live board shows now.
func (s *Service) Board(ctx context.Context, u access.User, id string) (Board, error) {
	ev, n, err := s.load(ctx, u, id, true)
	if err != nil {
		return Board{}, err
	}
	b := Board{Event: ev, Pending: []Check{}}
	for _, st := range []CheckStatus{NeedsHelp, Unchecked} {
		b.PendingTotal += ev.Counts[st]
		if len(b.Pending) >= BoardLimit {
			continue
		}
		rows, err := s.Store.Checks(ctx, n, CheckFilter{Status: st, Limit: BoardLimit - len(b.Pending)})
		if err != nil {
			return Board{}, err
		}
		for _, r := range rows {
			c, err := s.open(n, r)
			if err != nil {
				return Board{}, err
			}
			b.Pending = append(b.Pending, c)
		}
	}
	if b.Tasks, err = s.Store.Tasks(ctx, n, true); err != nil {
		return Board{}, err
	}
	if _, b.Seq, err = s.Store.HistoryStats(ctx, n); err != nil {
		return Board{}, err
	}
	return b, nil
}
