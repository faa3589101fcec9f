// Package order is the domain of Hotline 12345: work orders (工单), their
// states, the actions that move them, deadlines and the event timeline. It does
// no I/O; the store persists what it decides and the API translates HTTP.
package order

import (
	"slices"
	"time"

	"hotline/internal/access"
)

// Type is the kind of citizen request.
type Type string

// Order types (workflow.md).
const (
	Consultation Type = "consultation" // 咨询
	Help         Type = "help"         // 求助
	Complaint    Type = "complaint"    // 投诉
	Report       Type = "report"       // 举报
	Suggestion   Type = "suggestion"   // 建议
	Praise       Type = "praise"       // 表扬
)

// Types lists every order type in display order.
var Types = []Type{Consultation, Help, Complaint, Report, Suggestion, Praise}

// Source is the channel an order came in by.
type Source string

// Sources (workflow.md).
const (
	SourceHotline      Source = "hotline"
	SourceCityPlatform Source = "city_platform"
	SourceWeb          Source = "web"
	SourceOpen311      Source = "open311"
	SourcePatrol       Source = "patrol" // 主动发现
	SourceWalkIn       Source = "walk_in"
)

// Sources lists every source.
var Sources = []Source{SourceHotline, SourceCityPlatform, SourceWeb, SourceOpen311, SourcePatrol, SourceWalkIn}

// Urgency decides which deadline policy applies.
type Urgency string

// Urgencies (workflow.md).
const (
	Normal    Urgency = "normal"
	Urgent    Urgency = "urgent"    // risk to water, power, gas, heating
	Emergency Urgency = "emergency" // risk to life or property
)

// Urgencies lists every urgency.
var Urgencies = []Urgency{Normal, Urgent, Emergency}

// Status is the state of an order (workflow.md, word for word).
type Status string

// States.
const (
	Received        Status = "received"         // 已受理
	Answered        Status = "answered"         // 已直接答复
	Dispatched      Status = "dispatched"       // 已派单
	Accepted        Status = "accepted"         // 已签收
	InProgress      Status = "in_progress"      // 办理中
	ReturnRequested Status = "return_requested" // 退单申请中
	Returned        Status = "returned"         // 已退回
	Replied         Status = "replied"          // 已答复待审核
	Reviewed        Status = "reviewed"         // 待回访
	Closed          Status = "closed"           // 已办结
	Merged          Status = "merged"           // 已并单
	Invalid         Status = "invalid"          // 无效工单
)

// Statuses lists every state in lifecycle order.
var Statuses = []Status{Received, Answered, Dispatched, Accepted, InProgress, ReturnRequested, Returned, Replied, Reviewed, Closed, Merged, Invalid}

// Open reports whether the order is still being worked on: every state except
// answered, closed, merged and invalid.
func (s Status) Open() bool {
	switch s {
	case Answered, Closed, Merged, Invalid:
		return false
	}
	return true
}

// Role is what a user may do (product.md); the roles live in access, which
// the community modules share with orders.
type Role = access.Role

// Roles.
const (
	RoleOperator   = access.RoleOperator   // 受理员
	RoleDispatcher = access.RoleDispatcher // 派单员
	RoleHandler    = access.RoleHandler    // 承办人
	RoleLeader     = access.RoleLeader
	RoleVolunteer  = access.RoleVolunteer
	RoleAdmin      = access.RoleAdmin
)

// Roles lists every role.
var Roles = access.Roles

// Actor is who does something: a user with a role and, for handlers, a unit.
type Actor struct {
	Username string
	Role     Role
	Unit     string
}

// Caller is the citizen behind an order.
type Caller struct {
	Name         string `json:"name"`
	Phone        string `json:"phone"`
	Confidential bool   `json:"confidential"` // 保密: hidden from handlers entirely
	Anonymous    bool   `json:"anonymous"`
}

// Extension is a pending request for more time (延期申请).
type Extension struct {
	Days        int       `json:"days"`
	Reason      string    `json:"reason"`
	RequestedBy string    `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
}

// Order is a work order (工单).
type Order struct {
	ID          string
	Number      string // YYYYMMDD + 5-digit serial of the day in Asia/Shanghai
	Type        Type
	Source      Source
	Urgency     Urgency
	Status      Status
	Title       string
	Description string
	Category    string
	Unit        string // the unit holding it; "" when the center holds it
	CoUnits     []string
	Caller      Caller
	CoCallers   []Caller // callers of orders merged into this one
	Address     string
	Compound    string
	Building    string
	Lat, Lng    *float64
	ExternalID  string // the municipal platform's order id, when it came from there

	Round     int
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time

	DispatchedAt *time.Time // first dispatch: the period an order counts in
	SignDue      *time.Time
	ContactDue   *time.Time
	Due          *time.Time
	AcceptedAt   *time.Time
	ContactedAt  *time.Time // first contact of the current round
	RepliedAt    *time.Time // first reply of the current round
	ClosedAt     *time.Time

	UrgeCount    int
	Supervised   bool
	Parent       string
	Children     []string
	Satisfaction string // last callback outcome
	Resolved     *bool  // last callback's resolved answer
	ReopenCount  int

	ReplyResult      string
	ReplyText        string
	ReturnFrom       Status // the state a return was requested from, for reject_return
	PendingExtension *Extension
}

// Overdue reports whether a step's deadline has passed while the step is not
// done: signing, first contact, or the reply.
func (o *Order) Overdue(now time.Time) bool {
	past := func(t *time.Time) bool { return t != nil && now.After(*t) }
	st := o.Status
	if st == ReturnRequested {
		// The clock keeps running while the center decides on a return: the
		// steps not done are those of the state the return was asked from.
		st = o.ReturnFrom
		if st != Dispatched && st != Accepted {
			st = InProgress
		}
	}
	switch st {
	case Dispatched:
		return past(o.SignDue) || past(o.ContactDue) || past(o.Due)
	case Accepted:
		return past(o.ContactDue) || past(o.Due)
	case InProgress:
		return past(o.Due)
	}
	return false
}

// Scope is the one rule of who may read which orders. Reading an order,
// listing and counting orders (the store's SeenBy filter), and every view
// derived from other orders (similar past cases, similar open orders) all
// take it from ScopeOf, so a view cannot show an order its reader would be
// refused when opening it.
type Scope struct {
	// All: every order (the center's roles).
	All bool
	// Unit, when All is false: the orders this unit holds or co-handles.
	// Neither All nor a Unit: no order at all (volunteers, a handler
	// without a unit).
	Unit string
}

// ScopeOf returns the orders an actor may read: handlers their own unit's
// orders and those they co-handle; volunteers (and unknown roles) none.
func ScopeOf(a Actor) Scope {
	switch a.Role {
	case RoleHandler:
		return Scope{Unit: a.Unit}
	case RoleOperator, RoleDispatcher, RoleLeader, RoleAdmin:
		return Scope{All: true}
	}
	return Scope{}
}

// None reports whether the scope admits no order at all.
func (s Scope) None() bool { return !s.All && s.Unit == "" }

// Admits reports whether the order is within the scope.
func (s Scope) Admits(o *Order) bool {
	if s.All {
		return true
	}
	return s.Unit != "" && (o.Unit == s.Unit || slices.Contains(o.CoUnits, s.Unit))
}

// Visible reports whether the actor may read the order at all (ScopeOf).
func (o *Order) Visible(a Actor) bool { return ScopeOf(a).Admits(o) }
