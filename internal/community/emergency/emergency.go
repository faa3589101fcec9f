// Package emergency is community.md §4: emergency events (防汛防台 / 应急).
// Declaring an event generates its check list from the registry at once
// (one check per active care-tagged resident in the affected buildings,
// optionally one per household there); community workers and assigned
// volunteers mark each check with one of five statuses, often from a phone
// that was offline when they did; rescue tasks follow who still needs help;
// every change is kept in the event's history and wakes the live board;
// closing freezes the event and its report.
//
// This package holds the types, the validation, the status tables and the
// service (who may do what, via access). It does no I/O: its storage is the
// Store interface (emergencydb), its live board the Publisher (live.Hub),
// and its notes are sealed through Sealer (internal/seal).
package emergency

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
	"hotline/internal/community/listing"
)

// Kind of event.
type Kind string

// Kinds (community.md §4, word for word).
const (
	Typhoon  Kind = "typhoon"
	Flood    Kind = "flood"
	Fire     Kind = "fire"
	Epidemic Kind = "epidemic"
	Other    Kind = "other"
)

// Kinds lists every kind.
var Kinds = []Kind{Typhoon, Flood, Fire, Epidemic, Other}

// Level of alert.
type Level string

// Levels (blue is the lowest).
var Levels = []Level{"blue", "yellow", "orange", "red"}

// Status of an event.
type Status string

// Event statuses.
const (
	Active Status = "active"
	Closed Status = "closed"
)

// CheckStatus is where a check stands.
type CheckStatus string

// Check statuses (community.md §4, word for word).
const (
	Unchecked   CheckStatus = "unchecked"
	Safe        CheckStatus = "safe"
	NeedsHelp   CheckStatus = "needs_help"
	Evacuated   CheckStatus = "evacuated"
	Unreachable CheckStatus = "unreachable"
)

// CheckStatuses lists every check status, in the board's order.
var CheckStatuses = []CheckStatus{Unchecked, Safe, NeedsHelp, Evacuated, Unreachable}

// checkMoves is the checks' status table: from a status, the statuses a
// check may be set to. Setting the same status again is allowed (a later
// visit adds a note). Nothing goes back to unchecked: once someone has
// reached a resident, that stays in the record; a resident who was safe
// may need help later, and an evacuated one may come home.
var checkMoves = map[CheckStatus][]CheckStatus{
	Unchecked:   {Safe, NeedsHelp, Evacuated, Unreachable},
	Unreachable: {Unreachable, Safe, NeedsHelp, Evacuated},
	NeedsHelp:   {NeedsHelp, Safe, Evacuated, Unreachable},
	Safe:        {Safe, NeedsHelp, Evacuated},
	Evacuated:   {Evacuated, Safe, NeedsHelp},
}

// CanMove reports whether a check may go from one status to another.
func CanMove(from, to CheckStatus) bool { return slices.Contains(checkMoves[from], to) }

// TaskStatus is where a rescue task stands.
type TaskStatus string

// Task statuses.
const (
	TaskOpen       TaskStatus = "open"
	TaskInProgress TaskStatus = "in_progress"
	TaskDone       TaskStatus = "done"
)

// taskMoves is the rescue tasks' status table. A done task stays done: if
// the help was not enough, that is a new task with its own history.
var taskMoves = map[TaskStatus][]TaskStatus{
	TaskOpen:       {TaskInProgress, TaskDone},
	TaskInProgress: {TaskOpen, TaskDone},
}

// CanMoveTask reports whether a task may go from one status to another.
func CanMoveTask(from, to TaskStatus) bool { return slices.Contains(taskMoves[from], to) }

// Event is an emergency event (JSON of the contract, plus area, the
// volunteers assigned to it and its board's numbers).
type Event struct {
	ID            string                         `json:"id"`
	Area          string                         `json:"area"`
	Kind          Kind                           `json:"kind"`
	Name          string                         `json:"name"`
	Level         Level                          `json:"level"`
	StartedAt     time.Time                      `json:"started_at"`
	Compounds     []string                       `json:"compounds"`
	Buildings     []string                       `json:"buildings"`
	AllHouseholds bool                           `json:"all_households"`
	Volunteers    []string                       `json:"volunteers"`
	Status        Status                         `json:"status"`
	ClosedAt      *time.Time                     `json:"closed_at,omitempty"`
	CreatedBy     string                         `json:"created_by"`
	Version       int64                          `json:"version"`
	Counts        map[CheckStatus]int            `json:"counts"`
	ByBuilding    map[string]map[CheckStatus]int `json:"by_building"`
	Report        *Report                        `json:"report,omitempty"`
}

// NewEvent is the body of POST /api/v1/emergencies. Buildings may be left
// out: for a typhoon or a flood the low-lying buildings of the compounds are
// taken, for other kinds all their buildings.
type NewEvent struct {
	Kind          Kind       `json:"kind"`
	Name          string     `json:"name"`
	Level         Level      `json:"level"`
	StartedAt     *time.Time `json:"started_at"`
	Compounds     []string   `json:"compounds"`
	Buildings     []string   `json:"buildings"`
	AllHouseholds bool       `json:"all_households"`
	Volunteers    []string   `json:"volunteers"`
}

// Validate checks a new event's own fields (the places are checked against
// the registry by the service).
func (n *NewEvent) Validate(now time.Time) error {
	f := apperr.Fields{}
	if !slices.Contains(Kinds, n.Kind) {
		f.AddProblem("kind", apperr.OneOf("typhoon", "flood", "fire", "epidemic", "other"))
	}
	n.Name = strings.TrimSpace(n.Name)
	listing.CheckText(f, "name", n.Name, 100, true)
	if !slices.Contains(Levels, n.Level) {
		f.AddProblem("level", apperr.OneOf("blue", "yellow", "orange", "red"))
	}
	if n.StartedAt != nil && n.StartedAt.After(now.Add(24*time.Hour)) {
		f.Add("started_at", "more than a day in the future")
	}
	n.Compounds = listing.Clean(n.Compounds)
	if len(n.Compounds) == 0 {
		f.Add("compounds", "at least one compound")
	} else if len(n.Compounds) > 100 {
		f.Add("compounds", "at most 100")
	}
	n.Buildings = listing.Clean(n.Buildings)
	if len(n.Buildings) > 2000 {
		f.Add("buildings", "at most 2000")
	}
	n.Volunteers = listing.Clean(n.Volunteers)
	if len(n.Volunteers) > 500 {
		f.Add("volunteers", "at most 500")
	}
	for _, lists := range []struct {
		field string
		v     []string
	}{{"compounds", n.Compounds}, {"buildings", n.Buildings}, {"volunteers", n.Volunteers}} {
		for _, s := range lists.v {
			if !utf8.ValidString(s) || len(s) > 64 || strings.ContainsRune(s, 0) {
				f.Add(lists.field, "each must be a code of at most 64 characters")
			}
		}
	}
	return f.Err()
}

// PresetLowLying reports whether a kind preselects the low-lying buildings.
func (k Kind) PresetLowLying() bool { return k == Typhoon || k == Flood }

// Check is one resident (or household) to reach. Resident is null for a
// household's own check (all_households). ResidentName, Room and CareTags
// are what a worker at the door needs; they come from the registry.
type Check struct {
	ID           string      `json:"id"`
	Resident     *string     `json:"resident"`
	ResidentName string      `json:"resident_name,omitempty"`
	CareTags     []string    `json:"care_tags,omitempty"`
	Household    string      `json:"household"`
	Room         string      `json:"room,omitempty"`
	Building     string      `json:"building"`
	Status       CheckStatus `json:"status"`
	Note         string      `json:"note"`
	CheckedBy    string      `json:"checked_by"`
	CheckedAt    *time.Time  `json:"checked_at"`
	Version      int64       `json:"version"`
}

// CheckUpdate is the body of POST /api/v1/emergencies/{id}/checks/{check}.
// OpID is made by the phone (a UUID); At is when the worker marked it,
// which may be long before a phone that was offline sends it. Version is
// optional: the version the phone saw, when it knows it.
type CheckUpdate struct {
	Status  CheckStatus `json:"status"`
	Note    string      `json:"note"`
	OpID    string      `json:"op_id"`
	At      *time.Time  `json:"at"`
	Version *int64      `json:"version"`
}

// Validate checks the update's own fields.
func (c *CheckUpdate) Validate(now time.Time) error {
	f := apperr.Fields{}
	if !slices.Contains(CheckStatuses, c.Status) || c.Status == Unchecked {
		f.AddProblem("status", apperr.OneOf("safe", "needs_help", "evacuated", "unreachable"))
	}
	c.Note = strings.TrimSpace(c.Note)
	listing.CheckText(f, "note", c.Note, 500, false)
	c.OpID = strings.TrimSpace(c.OpID)
	listing.CheckText(f, "op_id", c.OpID, 64, true)
	if c.At != nil && c.At.After(now.Add(5*time.Minute)) {
		f.Add("at", "in the future (check the phone's clock)")
	}
	if c.At != nil && c.At.Before(now.AddDate(-1, 0, 0)) {
		f.Add("at", "more than a year ago")
	}
	return f.Err()
}

// Task is a rescue task.
type Task struct {
	ID        string     `json:"id"`
	What      string     `json:"what"`
	Building  string     `json:"building"`
	Household *string    `json:"household"`
	Assignee  string     `json:"assignee"`
	Status    TaskStatus `json:"status"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	Version   int64      `json:"version"`
}

// NewTask is the body of POST /api/v1/emergencies/{id}/tasks.
type NewTask struct {
	What      string  `json:"what"`
	Building  string  `json:"building"`
	Household *string `json:"household"`
	Assignee  string  `json:"assignee"`
}

// Validate checks the task's own fields.
func (n *NewTask) Validate() error {
	f := apperr.Fields{}
	n.What = strings.TrimSpace(n.What)
	listing.CheckText(f, "what", n.What, 500, true)
	n.Building = strings.TrimSpace(n.Building)
	listing.CheckText(f, "building", n.Building, 64, true)
	n.Assignee = strings.TrimSpace(n.Assignee)
	listing.CheckText(f, "assignee", n.Assignee, 64, true)
	if n.Household != nil {
		h := strings.TrimSpace(*n.Household)
		if h == "" {
			n.Household = nil
		} else if !listing.IsID(h) {
			f.Add("household", "must be a household id")
		} else {
			n.Household = &h
		}
	}
	return f.Err()
}

// TaskUpdate is the body of POST /api/v1/emergencies/{id}/tasks/{task}.
type TaskUpdate struct {
	Status  TaskStatus `json:"status"`
	Version int64      `json:"version"`
}

// Validate checks the update's own fields.
func (u TaskUpdate) Validate() error {
	f := apperr.Fields{}
	switch u.Status {
	case TaskOpen, TaskInProgress, TaskDone:
	default:
		f.AddProblem("status", apperr.OneOf("open", "in_progress", "done"))
	}
	if u.Version <= 0 {
		f.Add("version", "required: the version you read")
	}
	return f.Err()
}

// HistoryEntry is one change in an event's history.
type HistoryEntry struct {
	Seq    int64          `json:"seq"`
	At     time.Time      `json:"at"`
	Actor  string         `json:"actor"`
	Action string         `json:"action"`
	Target string         `json:"target,omitempty"`
	Detail map[string]any `json:"detail,omitempty"`
}

// Report is the summary of a closed event (counts, timeline, who was
// evacuated where). It is computed from the frozen checks and tasks, so it
// reads the same every time.
type Report struct {
	Counts      map[CheckStatus]int            `json:"counts"`
	ByBuilding  map[string]map[CheckStatus]int `json:"by_building"`
	Checks      int                            `json:"checks"`
	StartedAt   time.Time                      `json:"started_at"`
	ClosedAt    time.Time                      `json:"closed_at"`
	FirstCheck  *time.Time                     `json:"first_check"`
	LastCheck   *time.Time                     `json:"last_check"`
	Evacuated   []Check                        `json:"evacuated"`
	StillOpen   []Check                        `json:"still_open"`
	Tasks       map[TaskStatus]int             `json:"tasks"`
	CheckedBy   map[string]int                 `json:"checked_by"`
	HistorySize int                            `json:"history_size"`
}

// Board is what a live board shows, sent on every change.
type Board struct {
	Event   Event   `json:"event"`
	Pending []Check `json:"pending"`
	// PendingTotal counts every unchecked or needs-help check; Pending
	// shows the first BoardLimit of them (needs_help first).
	PendingTotal int    `json:"pending_total"`
	Tasks        []Task `json:"tasks"`
	Seq          int64  `json:"seq"`
}

// BoardLimit caps the residents a board lists.
const BoardLimit = 200
