// Package service is the center's application layer: it authenticates the
// caller, asks the domain (internal/order) what an action does, has the store
// persist it in one transaction, masks personal data per role, and writes the
// audit log. The HTTP API and the web pages both go through it, so there is
// one path to the data.
package service

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/auth"
	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/place"
	"hotline/internal/store"
)

// Suggestion is a suggested code with the model's confidence.
type Suggestion struct {
	Code       string  `json:"code"`
	Confidence float64 `json:"confidence"`
}

// Suggestions are the category and unit suggested for an order's text; a
// nil entry means "no suggestion" (below the confidence threshold).
type Suggestions struct {
	Category *Suggestion `json:"category"`
	Unit     *Suggestion `json:"unit"`
}

// Similar is an open order that looks like the same problem.
type Similar struct {
	ID     string  `json:"id"`
	Number string  `json:"number"`
	Title  string  `json:"title"`
	Score  float64 `json:"score"`
}

// Intelligence is what the text features provide to the service; the
// intelligence package implements it. A nil Intelligence gives empty
// suggestions and no similar orders.
type Intelligence interface {
	// Tokens returns full-text index tokens for a text (title + description).
	Tokens(text string) []string
	// QueryTokens returns the tokens of a search query.
	QueryTokens(q string) []string
	Suggest(title, description string) Suggestions
	// Similar returns open orders like this text, best first.
	Similar(title, description string, limit int) []Similar
	// Observe tells the intelligence about an order after every change,
	// so its indexes follow the orders.
	Observe(o order.Order)
}

// Service is the application. Create it with New.
type Service struct {
	// store is unexported so nothing goes around the service to the orders'
	// tables: other packages get what they need as methods here, or
	// through a narrow interface of their own that the app satisfies.
	store    *store.Store
	Calendar *calendar.Calendar
	Intel    Intelligence
	Log      *slog.Logger
	Now      func() time.Time
	Throttle *auth.Throttle
	// Passwords bounds the password checks running at once (one per CPU).
	Passwords *auth.Checker

	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration

	reloadMu   sync.Mutex // one Reload at a time, so an older read never overwrites a newer one
	mu         sync.RWMutex
	version    int64 // the store's settings_version the cached settings were read at
	policy     order.Policy
	units      map[string]org.Unit
	categories map[string]org.Category
	compounds  map[string]place.OrderCompound

	peopleCache peopleCache // display names of users (people.go)
	sweeps      sweepStats  // the sweeper's runs, for /metrics (figures.go)
}

// New loads the settings the service caches (policy, units, categories,
// compounds, the calendar's admin days) from the store.
func New(ctx context.Context, st *store.Store, intel Intelligence, log *slog.Logger) (*Service, error) {
	cal, err := calendar.Embedded()
	if err != nil {
		return nil, apperr.Wrap(err, "load the holiday calendar")
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Service{store: st, Calendar: cal, Intel: intel, Log: log, Now: time.Now, Throttle: auth.NewThrottle(), Passwords: auth.NewChecker(runtime.GOMAXPROCS(0)), SessionTTL: 12 * time.Hour}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload rereads the cached settings. An admin change calls it on the
// instance that made the change; every other instance calls it through
// Refresh (WatchSettings, run by the app) once it sees the store's
// settings_version move.
func (s *Service) Reload(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	// The version is read before the settings: a change committed in
	// between is then in what is read, or else makes the next Refresh
	// reload again; never the other way round.
	version, err := s.store.SettingsVersion(ctx)
	if err != nil {
		return err
	}
	p := order.DefaultPolicy()
	if _, err := s.store.GetSetting(ctx, "deadline_policy", &p); err != nil {
		return err
	}
	units, err := s.store.Units(ctx)
	if err != nil {
		return err
	}
	cats, err := s.store.Categories(ctx)
	if err != nil {
		return err
	}
	comps, err := s.store.Compounds(ctx, "")
	if err != nil {
		return err
	}
	days, err := s.store.CalendarDays(ctx)
	if err != nil {
		return err
	}
	for _, d := range days {
		if err := s.Calendar.Set(d); err != nil {
			s.Log.Warn("ignoring a bad calendar day", "date", d.Date, "err", err)
		}
	}
	if c, ok := s.Intel.(catalogueLoader); ok {
		if err := c.LoadCatalogue(ctx, s.store); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version = version
	s.policy = p
	s.units = map[string]org.Unit{}
	for _, u := range units {
		s.units[u.Code] = u
	}
	s.categories = map[string]org.Category{}
	for _, c := range cats {
		s.categories[c.Code] = c
	}
	s.compounds = map[string]place.OrderCompound{}
	for _, c := range comps {
		s.compounds[c.Code] = c
	}
	return nil
}

// catalogueLoader is an intelligence that keeps its own copy of the
// category catalogue (keywords, each category's unit): Reload refreshes it
// with the service's.
type catalogueLoader interface {
	LoadCatalogue(ctx context.Context, st TextStore) error
}

// Refresh reloads the cached settings if any instance changed them since
// they were read: one single-row read when nothing changed.
func (s *Service) Refresh(ctx context.Context) error {
	v, err := s.store.SettingsVersion(ctx)
	if err != nil {
		return err
	}
	s.mu.RLock()
	current := v == s.version
	s.mu.RUnlock()
	if current {
		return nil
	}
	return s.Reload(ctx)
}

// WatchSettings calls Refresh every interval until ctx ends, so an admin
// change made on another instance is in force here within an interval
// (issue 12). Errors are logged and retried at the next tick.
func (s *Service) WatchSettings(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("settings refresh", "err", err)
		}
	}
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// Ping checks that the database answers (the API's /readyz).
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// SetObserver connects the store's event counters (group-commit batches,
// notifications) to the metrics the API registers.
func (s *Service) SetObserver(o store.Observer) { s.store.SetObserver(o) }

// Policy returns the time-limit policy in force.
func (s *Service) Policy() order.Policy {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.policy
}

func (s *Service) schedule() order.Schedule {
	return order.Schedule{Policy: s.Policy(), Calendar: s.Calendar}
}

// UnitKnown reports whether an active unit with the code exists.
func (s *Service) UnitKnown(code string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.units[code]
	return ok && u.Active
}

// Unit returns a unit by code.
func (s *Service) Unit(code string) (org.Unit, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.units[code]
	return u, ok
}

func (s *Service) categoryKnown(code string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.categories[code]
	return ok && c.Active
}

// Category returns a category by code.
func (s *Service) Category(code string) (org.Category, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.categories[code]
	return c, ok
}

func (s *Service) compoundKnown(code string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.compounds[code]
	return ok
}

// Actor is the user behind a request.
type Actor = order.Actor

// ActorOf turns a user into the domain's actor.
func ActorOf(u access.User) Actor {
	return Actor{Username: u.Username, Role: u.Role, Unit: u.Unit}
}

// Login checks a username and password and opens a session. clientKey (the
// client's address) joins the username in the failure throttle.
func (s *Service) Login(ctx context.Context, username, password, clientKey string) (string, access.User, error) {
	username = strings.TrimSpace(username)
	f := apperr.Fields{}
	if username == "" {
		f.Add("username", "required")
	}
	if password == "" {
		f.Add("password", "required")
	}
	if len(username) > 100 || len(password) > 200 {
		f.Add("username", "too long")
	}
	if err := f.Err(); err != nil {
		return "", access.User{}, err
	}
	// Reserve the attempt before the expensive check, so that parallel
	// guesses count against each other (auth.Throttle), then check within
	// the machine's bound on concurrent password checks (auth.Checker).
	attempt, wait := s.Throttle.Reserve(username, clientKey)
	if wait > 0 {
		return "", access.User{}, apperr.Later(apperr.Unauthorized, wait, "too many failed logins")
	}
	u, err := s.store.UserByName(ctx, username)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		attempt.Cancel()
		return "", access.User{}, err
	}
	ok, cerr := s.Passwords.Check(ctx, u.PasswordHash, password) // "" for no such user: a dummy check
	switch {
	case errors.Is(cerr, auth.ErrBusy):
		attempt.Cancel()
		return "", access.User{}, apperr.Later(apperr.Unavailable, time.Second, "too many logins at once")
	case cerr != nil:
		attempt.Cancel()
		return "", access.User{}, apperr.Wrap(cerr, "check password")
	case !ok || !u.Active:
		attempt.Failed()
		return "", access.User{}, apperr.New(apperr.Unauthorized, "wrong username or password")
	}
	attempt.Succeeded()
	token, hash := auth.NewToken()
	now := s.now()
	if err := s.store.CreateSession(ctx, hash, u.ID, now, now.Add(s.SessionTTL)); err != nil {
		return "", access.User{}, err
	}
	if err := s.store.Audit(ctx, store.AuditEntry{At: now, Actor: u.Username, Action: "login", Target: "session"}); err != nil {
		return "", access.User{}, err
	}
	return token, u, nil
}

// Authenticate returns the user of a session token.
func (s *Service) Authenticate(ctx context.Context, token string) (access.User, error) {
	if token == "" || len(token) > 200 {
		return access.User{}, apperr.New(apperr.Unauthorized, "log in first")
	}
	return s.store.SessionUser(ctx, auth.HashToken(token), s.now())
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.store.DeleteSession(ctx, auth.HashToken(token))
}

// CreateUser adds a user with a password (admin and the CLI).
func (s *Service) CreateUser(ctx context.Context, username, password string, role order.Role, unit, displayName string) (access.User, error) {
	f := apperr.Fields{}
	username = strings.TrimSpace(username)
	switch {
	case username == "":
		f.Add("username", "required")
	case len(username) > 64 || strings.ContainsAny(username, " \t\r\n/"):
		f.Add("username", "at most 64 characters, no spaces or slashes")
	}
	if len(password) < 8 || len(password) > 200 {
		f.Add("password", "8 to 200 characters")
	}
	valid := false
	for _, r := range order.Roles {
		valid = valid || r == role
	}
	if !valid {
		f.AddProblem("role", apperr.OneOf("operator", "dispatcher", "handler", "leader", "volunteer", "admin"))
	}
	if role == order.RoleHandler && unit == "" {
		f.Add("unit", "a handler needs a unit")
	}
	if unit != "" && !s.UnitKnown(unit) {
		f.AddProblem("unit", apperr.UnknownUnit(unit))
	}
	if err := f.Err(); err != nil {
		return access.User{}, err
	}
	hash, err := s.Passwords.Hash(password)
	if err != nil {
		return access.User{}, apperr.Wrap(err, "hash password")
	}
	u := access.User{Username: username, PasswordHash: hash, Role: role, Unit: unit, DisplayName: displayName, Active: true, CreatedAt: s.now()}
	if err := s.store.CreateUser(ctx, &u); err != nil {
		return access.User{}, err
	}
	return u, nil
}
