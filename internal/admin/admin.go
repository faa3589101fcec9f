// Package admin is what the administrators change and what each user
// changes of their own account: the units and the category catalogue, the
// deadline policy, the holiday calendar, the users, passwords, and the
// audit log that records it all.
//
// It was part of the orders' service. It is a service of its own because
// none of it is about an order: it writes settings and accounts (Store),
// and then asks the orders' service to reread the settings it caches
// (Orders.Reload) and the names it shows (Orders.ForgetPeople). It shares
// the live calendar, the login throttle and the password checker with the
// orders' service, so a day corrected here and a password guessed here count
// there at once.
package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/auth"
	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/store"
)

// Store is the settings and accounts the admin service writes and reads.
type Store interface {
	PutUnit(ctx context.Context, u org.Unit) error
	PutCategory(ctx context.Context, c org.Category) error
	PutSetting(ctx context.Context, key string, v any, actor string, now time.Time) error
	PutCalendarDays(ctx context.Context, days []calendar.Day, actor string, now time.Time) error
	Users(ctx context.Context) ([]access.User, error)
	UserByName(ctx context.Context, username string) (access.User, error)
	UpdateUser(ctx context.Context, u access.User) error
	SetPassword(ctx context.Context, username, hash, keep string) error
	Audit(ctx context.Context, entries ...store.AuditEntry) error
	AuditLog(ctx context.Context, actor, action, before string, limit int) ([]store.AuditEntry, error)
}

// Orders is what the admin service asks of the orders' service: it caches
// the units, categories and policy (checked against here, reread after a
// change) and the people's names, and it creates users (the CLI does too).
type Orders interface {
	Reload(ctx context.Context) error
	UnitKnown(code string) bool
	Category(code string) (org.Category, bool)
	CreateUser(ctx context.Context, username, password string, role order.Role, unit, displayName string) (access.User, error)
	ForgetPeople()
}

// Service changes the settings and accounts. Create it with New.
type Service struct {
	store     Store
	orders    Orders
	calendar  *calendar.Calendar
	throttle  *auth.Throttle
	passwords *auth.Checker
	log       *slog.Logger
	// Now is the clock (tests set it).
	Now func() time.Time
}

// Shared is what the admin service shares with the orders' service: the
// live holiday calendar, the failure throttle and the bound on password
// checks at once.
type Shared struct {
	Calendar  *calendar.Calendar
	Throttle  *auth.Throttle
	Passwords *auth.Checker
	Log       *slog.Logger
}

// New builds the admin service.
func New(st Store, orders Orders, sh Shared) *Service {
	log := sh.Log
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: st, orders: orders, calendar: sh.Calendar, throttle: sh.Throttle, passwords: sh.Passwords, log: log, Now: time.Now}
}

func (s *Service) now() time.Time { return s.Now().UTC() }

var codeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}(\.[a-z][a-z0-9_]{0,31})?$`)

// PutUnit creates or edits a unit (admin).
func (s *Service) PutUnit(ctx context.Context, a order.Actor, u org.Unit) error {
	if err := access.RequireRole(a.Role, order.RoleAdmin); err != nil {
		return err
	}
	f := apperr.Fields{}
	if !codeRe.MatchString(u.Code) || strings.Contains(u.Code, ".") {
		f.Add("code", "lower-case letters, digits and _, starting with a letter")
	}
	if strings.TrimSpace(u.Name) == "" || len([]rune(u.Name)) > 100 {
		f.Add("name", "required, at most 100 characters")
	}
	ok := false
	for _, k := range org.UnitKinds {
		ok = ok || u.Kind == k
	}
	if !ok {
		f.Add("kind", "must be center, committee or section")
	}
	if err := f.Err(); err != nil {
		return err
	}
	if err := s.store.PutUnit(ctx, u); err != nil {
		return err
	}
	s.audit(ctx, a, "unit", u.Code)
	return s.orders.Reload(ctx)
}

// PutCategory creates or edits a category (admin).
func (s *Service) PutCategory(ctx context.Context, a order.Actor, c org.Category) error {
	if err := access.RequireRole(a.Role, order.RoleAdmin); err != nil {
		return err
	}
	f := apperr.Fields{}
	if !codeRe.MatchString(c.Code) {
		f.Add("code", "like environment or environment.noise")
	}
	if strings.TrimSpace(c.Name) == "" || len([]rune(c.Name)) > 100 {
		f.Add("name", "required, at most 100 characters")
	}
	if i := strings.Index(c.Code, "."); i > 0 {
		c.Parent = c.Code[:i]
		if _, ok := s.orders.Category(c.Parent); !ok {
			f.Add("code", "parent category "+c.Parent+" does not exist")
		}
	} else {
		c.Parent = ""
	}
	if c.Unit != "" && !s.orders.UnitKnown(c.Unit) {
		f.AddProblem("unit", apperr.UnknownUnit(c.Unit))
	}
	if len(c.Attributes) > 0 {
		var v []map[string]any
		if err := json.Unmarshal(c.Attributes, &v); err != nil {
			f.Add("attributes", "a JSON list of attributes")
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	if err := s.store.PutCategory(ctx, c); err != nil {
		return err
	}
	s.audit(ctx, a, "category", c.Code)
	return s.orders.Reload(ctx)
}

// PutPolicy replaces the deadline policy (admin).
func (s *Service) PutPolicy(ctx context.Context, a order.Actor, p order.Policy) error {
	if err := access.RequireRole(a.Role, order.RoleAdmin); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if err := s.store.PutSetting(ctx, "deadline_policy", p, a.Username, s.now()); err != nil {
		return err
	}
	return s.orders.Reload(ctx)
}

// CalendarDays returns the special days of a year.
func (s *Service) CalendarDays(year int) []calendar.Day { return s.calendar.Days(year) }

// PutCalendarDay adds or corrects one day (admin): a holiday or a make-up
// working day (调休) the published schedule got wrong or lacks.
func (s *Service) PutCalendarDay(ctx context.Context, a order.Actor, d calendar.Day) error {
	if err := access.RequireRole(a.Role, order.RoleAdmin); err != nil {
		return err
	}
	probe := calendar.New()
	if err := probe.Set(d); err != nil {
		return apperr.Field("date", "a date like 2027-02-06")
	}
	if err := s.store.PutCalendarDays(ctx, []calendar.Day{d}, a.Username, s.now()); err != nil {
		return err
	}
	return s.calendar.Set(d)
}

// LoadCalendarYear loads a year file in the holiday-cn format (admin), so a
// new year's schedule works without a rebuild.
func (s *Service) LoadCalendarYear(ctx context.Context, a order.Actor, doc []byte) (int, error) {
	if err := access.RequireRole(a.Role, order.RoleAdmin); err != nil {
		return 0, err
	}
	probe := calendar.New()
	n, err := probe.LoadYear(bytes.NewReader(doc))
	if err != nil {
		return 0, apperr.Field("file", "not a holiday-cn year file: "+err.Error())
	}
	var days []calendar.Day
	for y := 1990; y <= 2100; y++ {
		days = append(days, probe.Days(y)...)
	}
	if err := s.store.PutCalendarDays(ctx, days, a.Username, s.now()); err != nil {
		return 0, err
	}
	if _, err := s.calendar.LoadYear(bytes.NewReader(doc)); err != nil {
		return 0, apperr.Wrap(err, "apply calendar")
	}
	return n, nil
}

// Users lists users (admin).
func (s *Service) Users(ctx context.Context, a order.Actor) ([]access.User, error) {
	if err := access.RequireRole(a.Role, order.RoleAdmin); err != nil {
		return nil, err
	}
	return s.store.Users(ctx)
}

// AddUser creates a user (admin).
func (s *Service) AddUser(ctx context.Context, a order.Actor, username, password string, role order.Role, unit, name string) (access.User, error) {
	if err := access.RequireRole(a.Role, order.RoleAdmin); err != nil {
		return access.User{}, err
	}
	u, err := s.orders.CreateUser(ctx, username, password, role, unit, name)
	if err == nil {
		s.orders.ForgetPeople()
		s.audit(ctx, a, "user_add", username)
	}
	return u, err
}

// AuditLog returns audit entries (admin).
func (s *Service) AuditLog(ctx context.Context, a order.Actor, actor, action, before string, limit int) ([]store.AuditEntry, error) {
	if err := access.RequireRole(a.Role, order.RoleAdmin); err != nil {
		return nil, err
	}
	return s.store.AuditLog(ctx, actor, action, before, limit)
}

func (s *Service) audit(ctx context.Context, a order.Actor, action, target string) {
	if err := s.store.Audit(ctx, store.AuditEntry{At: s.now(), Actor: a.Username, Action: action, Target: target}); err != nil {
		s.log.Error("audit write failed", "err", err)
	}
}

// SetUserActive enables or disables a user (admin). Disabling also ends the
// user's sessions; an admin cannot disable themself.
func (s *Service) SetUserActive(ctx context.Context, a order.Actor, username string, active bool) error {
	if err := access.RequireRole(a.Role, order.RoleAdmin); err != nil {
		return err
	}
	if username == a.Username && !active {
		return apperr.Field("username", "you cannot disable your own account")
	}
	u, err := s.store.UserByName(ctx, username)
	if err != nil {
		return err
	}
	u.Active = active
	u.PasswordHash = "" // keep the password
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return err
	}
	action := "user_disable"
	if active {
		action = "user_enable"
	}
	s.audit(ctx, a, action, username)
	return nil
}
