package service

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/place"
	"hotline/internal/store"
)

func requireRole(a Actor, roles ...order.Role) error {
	for _, r := range roles {
		if a.Role == r {
			return nil
		}
	}
	return apperr.New(apperr.Forbidden, "role %s may not do this", a.Role)
}

// Units lists the units (everyone logged in may read them).
func (s *Service) Units(ctx context.Context) ([]org.Unit, error) { return s.Store.Units(ctx) }

// Categories lists the category catalogue.
func (s *Service) Categories(ctx context.Context) ([]org.Category, error) {
	return s.Store.Categories(ctx)
}

// Compounds lists the compounds, optionally of one committee.
func (s *Service) Compounds(ctx context.Context, committee string) ([]place.OrderCompound, error) {
	return s.Store.Compounds(ctx, committee)
}

var codeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}(\.[a-z][a-z0-9_]{0,31})?$`)

// PutUnit creates or edits a unit (admin).
func (s *Service) PutUnit(ctx context.Context, a Actor, u org.Unit) error {
	if err := requireRole(a, order.RoleAdmin); err != nil {
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
	if err := s.Store.PutUnit(ctx, u); err != nil {
		return err
	}
	s.audit(ctx, a, "unit", u.Code)
	return s.Reload(ctx)
}

// PutCategory creates or edits a category (admin).
func (s *Service) PutCategory(ctx context.Context, a Actor, c org.Category) error {
	if err := requireRole(a, order.RoleAdmin); err != nil {
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
		if _, ok := s.Category(c.Parent); !ok {
			f.Add("code", "parent category "+c.Parent+" does not exist")
		}
	} else {
		c.Parent = ""
	}
	if c.Unit != "" && !s.UnitKnown(c.Unit) {
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
	if err := s.Store.PutCategory(ctx, c); err != nil {
		return err
	}
	s.audit(ctx, a, "category", c.Code)
	return s.Reload(ctx)
}

// PutPolicy replaces the deadline policy (admin).
func (s *Service) PutPolicy(ctx context.Context, a Actor, p order.Policy) error {
	if err := requireRole(a, order.RoleAdmin); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if err := s.Store.PutSetting(ctx, "deadline_policy", p, a.Username, s.now()); err != nil {
		return err
	}
	return s.Reload(ctx)
}

// CalendarDays returns the special days of a year.
func (s *Service) CalendarDays(year int) []calendar.Day { return s.Calendar.Days(year) }

// PutCalendarDay adds or corrects one day (admin): a holiday or a make-up
// working day (调休) the published schedule got wrong or lacks.
func (s *Service) PutCalendarDay(ctx context.Context, a Actor, d calendar.Day) error {
	if err := requireRole(a, order.RoleAdmin); err != nil {
		return err
	}
	probe := calendar.New()
	if err := probe.Set(d); err != nil {
		return apperr.Field("date", "a date like 2027-02-06")
	}
	if err := s.Store.PutCalendarDays(ctx, []calendar.Day{d}, a.Username, s.now()); err != nil {
		return err
	}
	return s.Calendar.Set(d)
}

// LoadCalendarYear loads a year file in the holiday-cn format (admin), so a
// new year's schedule works without a rebuild.
func (s *Service) LoadCalendarYear(ctx context.Context, a Actor, doc []byte) (int, error) {
	if err := requireRole(a, order.RoleAdmin); err != nil {
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
	if err := s.Store.PutCalendarDays(ctx, days, a.Username, s.now()); err != nil {
		return 0, err
	}
	if _, err := s.Calendar.LoadYear(bytes.NewReader(doc)); err != nil {
		return 0, apperr.Wrap(err, "apply calendar")
	}
	return n, nil
}

// Users lists users (admin).
func (s *Service) Users(ctx context.Context, a Actor) ([]access.User, error) {
	if err := requireRole(a, order.RoleAdmin); err != nil {
		return nil, err
	}
	return s.Store.Users(ctx)
}

// AddUser creates a user (admin).
func (s *Service) AddUser(ctx context.Context, a Actor, username, password string, role order.Role, unit, name string) (access.User, error) {
	if err := requireRole(a, order.RoleAdmin); err != nil {
		return access.User{}, err
	}
	u, err := s.CreateUser(ctx, username, password, role, unit, name)
	if err == nil {
		s.forgetPeople()
		s.audit(ctx, a, "user_add", username)
	}
	return u, err
}

// AuditLog returns audit entries (admin).
func (s *Service) AuditLog(ctx context.Context, a Actor, actor, action, before string, limit int) ([]store.AuditEntry, error) {
	if err := requireRole(a, order.RoleAdmin); err != nil {
		return nil, err
	}
	return s.Store.AuditLog(ctx, actor, action, before, limit)
}

func (s *Service) audit(ctx context.Context, a Actor, action, target string) {
	if err := s.Store.Audit(ctx, store.AuditEntry{At: s.now(), Actor: a.Username, Action: action, Target: target}); err != nil {
		s.Log.Error("audit write failed", "err", err)
	}
}

// SetUserActive enables or disables a user (admin). Disabling also ends the
// user's sessions; an admin cannot disable themself.
func (s *Service) SetUserActive(ctx context.Context, a Actor, username string, active bool) error {
	if err := requireRole(a, order.RoleAdmin); err != nil {
		return err
	}
	if username == a.Username && !active {
		return apperr.Field("username", "you cannot disable your own account")
	}
	u, err := s.Store.UserByName(ctx, username)
	if err != nil {
		return err
	}
	u.Active = active
	u.PasswordHash = "" // keep the password
	if err := s.Store.UpdateUser(ctx, u); err != nil {
		return err
	}
	action := "user_disable"
	if active {
		action = "user_enable"
	}
	s.audit(ctx, a, action, username)
	return nil
}
