package order

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"hotline/internal/apperr"
)

// shanghai is Asia/Shanghai for the tests. China has had no daylight saving
// time since 1991, so a fixed UTC+8 zone is exactly the same thing and keeps
// the tests independent of the host's zoneinfo.
var shanghai = time.FixedZone("CST", 8*3600)

// testCal is a plain Monday–Friday calendar with optional extra off days,
// implementing the working-day rule of workflow.md: "N working days" from t
// is the end (23:59:59 Asia/Shanghai) of the N-th working day after the
// calendar day of t; the day of t itself never counts. The real holiday
// calendar is tested in internal/calendar.
type testCal struct {
	off map[string]bool // extra off days, YYYY-MM-DD
}

func (c testCal) working(d time.Time) bool {
	if c.off[d.Format(time.DateOnly)] {
		return false
	}
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
}

func (c testCal) AddWorkingDays(t time.Time, n int) time.Time {
	if n <= 0 {
		return t
	}
	l := t.In(shanghai)
	d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, shanghai)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.working(d) {
			n--
		}
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, shanghai)
}

// sh is a wall-clock time in Shanghai.
func sh(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, shanghai)
}

// eod is 23:59:59 Shanghai of a day, as a UTC instant (what the domain stores).
func eod(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 23, 59, 59, 0, shanghai).UTC()
}

// testNow is Wednesday 4 March 2026, 10:00 in Shanghai (02:00 UTC).
var testNow = sh(2026, time.March, 4, 10, 0)

func testSchedule() Schedule { return Schedule{Policy: DefaultPolicy(), Calendar: testCal{}} }

var knownUnits = map[string]bool{"u1": true, "u2": true, "u3": true, "u4": true, "u5": true, "u6": true,
	"u7": true, "u8": true, "u9": true, "u10": true, "u11": true, "u12": true, "u13": true}

func testEnv() Env {
	return Env{Now: testNow, Deadlines: testSchedule(), UnitKnown: func(c string) bool { return knownUnits[c] }}
}

func envAt(now time.Time) Env {
	e := testEnv()
	e.Now = now
	return e
}

func ptr[T any](v T) *T { return &v }

func ver(v int64) *int64 { return &v }

// The actors of the matrix: every role, and the handler three times (of the
// holding unit u1, of the co-unit u2, of another unit u3).
var (
	opActor       = Actor{Username: "op1", Role: RoleOperator}
	dispActor     = Actor{Username: "disp1", Role: RoleDispatcher}
	ownActor      = Actor{Username: "h-own", Role: RoleHandler, Unit: "u1"}
	coActor       = Actor{Username: "h-co", Role: RoleHandler, Unit: "u2"}
	otherActor    = Actor{Username: "h-other", Role: RoleHandler, Unit: "u3"}
	leaderActor   = Actor{Username: "lead1", Role: RoleLeader}
	volActor      = Actor{Username: "vol1", Role: RoleVolunteer}
	adminActor    = Actor{Username: "admin1", Role: RoleAdmin}
	unitlessHandl = Actor{Username: "h-none", Role: RoleHandler}
)

type namedActor struct {
	kind  string // operator, dispatcher, handler_own, handler_co, handler_other, leader, volunteer, admin
	actor Actor
}

var matrixActors = []namedActor{
	{"operator", opActor},
	{"dispatcher", dispActor},
	{"handler_own", ownActor},
	{"handler_co", coActor},
	{"handler_other", otherActor},
	{"leader", leaderActor},
	{"volunteer", volActor},
	{"admin", adminActor},
}

// fixture is a fully populated order in the given state, held by unit u1
// with co-unit u2, at version 7, round 1. Every call returns fresh slices
// and pointers, so a second call is an independent deep copy to compare with.
func fixture(st Status) Order {
	o := Order{
		ID:          "o-1",
		Number:      "2026030300001",
		Type:        Complaint,
		Source:      SourceHotline,
		Urgency:     Normal,
		Status:      st,
		Title:       "工地夜间施工噪音",
		Description: "小区旁边的工地每天晚上十一点以后还在施工。",
		Category:    "noise",
		Unit:        "u1",
		CoUnits:     []string{"u2"},
		Caller:      Caller{Name: "张三丰", Phone: "13812345678"},
		CoCallers:   []Caller{{Name: "李四", Phone: "13900001111"}},
		Address:     "长寿路 100 弄",
		Compound:    "c-1",
		Building:    "29",
		Lat:         ptr(31.24),
		Lng:         ptr(121.44),
		Round:       1,
		Version:     7,
		CreatedAt:   sh(2026, time.March, 3, 9, 0).UTC(),
		UpdatedAt:   sh(2026, time.March, 3, 9, 30).UTC(),

		DispatchedAt: ptr(sh(2026, time.March, 3, 9, 30).UTC()),
		SignDue:      ptr(eod(2026, time.March, 4)),
		ContactDue:   ptr(eod(2026, time.March, 4)),
		Due:          ptr(eod(2026, time.March, 10)),
		Children:     []string{"o-9"},
	}
	switch st {
	case Received, Answered, Invalid:
		o.DispatchedAt, o.SignDue, o.ContactDue, o.Due = nil, nil, nil, nil
	case ReturnRequested:
		o.ReturnFrom = Accepted
	case Reviewed, Closed:
		o.RepliedAt = ptr(sh(2026, time.March, 3, 16, 0).UTC())
		o.ReplyResult, o.ReplyText = "resolved", "已处理"
	}
	if st == Closed {
		o.ClosedAt = ptr(sh(2026, time.March, 3, 18, 0).UTC())
		o.Satisfaction = "satisfied"
		o.Resolved = ptr(true)
	}
	return o
}

// centerFixture is an order the center holds: no unit, no co-units.
func centerFixture(st Status) Order {
	o := fixture(st)
	o.Unit, o.CoUnits = "", nil
	return o
}

func withPending(o Order) Order {
	o.PendingExtension = &Extension{Days: 3, Reason: "需要协调物业", RequestedBy: "h-own", RequestedAt: sh(2026, time.March, 3, 11, 0).UTC()}
	return o
}

// codeOf fails the test when err is not an *apperr.Error.
func codeOf(t *testing.T, err error) apperr.Code {
	t.Helper()
	var e *apperr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *apperr.Error", err, err)
	}
	return e.Code
}

func fieldsOf(err error) map[string]string {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// wantUnchanged compares an order handed to Apply with an independent copy.
func wantUnchanged(t *testing.T, got, want Order) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the input order was changed:\n got %+v\nwant %+v", got, want)
	}
}

func long(n int) string { return strings.Repeat("长", n) }
