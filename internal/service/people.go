package service

import (
	"context"
	"hotline/internal/access"
	"strings"
	"sync"
	"time"
)

// Who is how a timeline, an extension request or a notification names the
// actor of an event. Events keep the login (or the channel) because that
// is what the hash chain and the audit are about; people read the person
// and their unit, or the channel's name.
type Who struct {
	Name    string // the display name (else the login) of a user, "" otherwise
	Unit    string // the user's unit code, or the unit an unnamed handler acted for
	Channel string // for an outside door: the source or "citizen", "import", "city_platform"
}

// peopleTTL bounds how stale a renamed user's name may be on another
// instance: users are few and rarely change, so the list is read once
// and reused across pages rather than joined into every timeline query.
const peopleTTL = 30 * time.Second

type peopleCache struct {
	mu    sync.Mutex
	at    time.Time
	users map[string]access.User
}

// WhoIs names an actor (the username stored on an event).
func (s *Service) WhoIs(ctx context.Context, username string) Who {
	if u, ok := s.people(ctx)[username]; ok {
		name := u.DisplayName
		if name == "" {
			name = u.Username
		}
		return Who{Name: name, Unit: u.Unit}
	}
	channel, _, _ := strings.Cut(username, ":")
	switch channel {
	case "web", "open311", "city_platform", "patrol", "walk_in", "hotline", "citizen", ImportActor:
		return Who{Channel: channel}
	}
	if _, ok := s.Unit(username); ok {
		// Generated and older events name a handler by the unit's code.
		return Who{Unit: username}
	}
	return Who{Name: username}
}

func (s *Service) people(ctx context.Context) map[string]access.User {
	c := &s.peopleCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users != nil && s.now().Sub(c.at) < peopleTTL {
		return c.users
	}
	us, err := s.store.Users(ctx)
	if err != nil {
		s.Log.Warn("read users for display names", "err", err)
		return c.users // the last good list, or none: logins show instead
	}
	c.users = make(map[string]access.User, len(us))
	for _, u := range us {
		c.users[u.Username] = u
	}
	c.at = s.now()
	return c.users
}

// ForgetPeople makes the next WhoIs reread the users (after a change to
// them here or in internal/admin).
func (s *Service) ForgetPeople() {
	s.peopleCache.mu.Lock()
	s.peopleCache.users = nil
	s.peopleCache.mu.Unlock()
}
