package service

import (
	"context"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/store"
)

// ActPlatformUpdate is the timeline action of an update pushed by the
// municipal platform for an order it sent before (no status change).
const ActPlatformUpdate = "platform_update"

var platformNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// PutFeedPlatform adds or replaces a municipal platform allowed to push
// orders; sealedSecret is the secret as internal/feed sealed it.
func (s *Service) PutFeedPlatform(ctx context.Context, name, sealedSecret, deliverURL string, active bool) (store.FeedPlatform, error) {
	f := apperr.Fields{}
	if !platformNameRe.MatchString(name) {
		f.Add("name", "1 to 64 characters: lower-case letters, digits, _ . -")
	}
	if sealedSecret == "" {
		f.Add("secret", "required")
	}
	if deliverURL != "" {
		u, err := url.Parse(deliverURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f.Add("deliver_url", "must be an http:// or https:// URL")
		}
	}
	if err := f.Err(); err != nil {
		return store.FeedPlatform{}, err
	}
	now := s.now()
	p := store.FeedPlatform{Name: name, Secret: sealedSecret, DeliverURL: deliverURL, Active: active, CreatedAt: now, UpdatedAt: now}
	if err := s.store.PutFeedPlatform(ctx, p); err != nil {
		return store.FeedPlatform{}, err
	}
	_ = s.store.Audit(ctx, store.AuditEntry{At: now, Actor: "admin", Action: "feed_platform", Target: "platform:" + name, Detail: deliverURL})
	return p, nil
}

// FeedPlatform returns a platform (with its sealed secret).
func (s *Service) FeedPlatform(ctx context.Context, name string) (store.FeedPlatform, error) {
	return s.store.FeedPlatform(ctx, name)
}

// FeedOrder is an order pushed by the municipal platform (docs/feed.md).
type FeedOrder struct {
	PlatformOrderID string        `json:"platform_order_id"`
	Type            order.Type    `json:"type"`
	Urgency         order.Urgency `json:"urgency"`
	Title           string        `json:"title"`
	Description     string        `json:"description"`
	Caller          *order.Caller `json:"caller"`
	Address         string        `json:"address"`
	Lat             *float64      `json:"lat"`
	Lng             *float64      `json:"lng"`
	Category        string        `json:"category"`   // a hint: used when it is one of our codes
	CreatedAt       string        `json:"created_at"` // RFC 3339, when the platform took the call
	Deadline        string        `json:"deadline"`   // RFC 3339, the platform's own deadline, if any
}

// FeedResult says what a push did.
type FeedResult struct {
	Order   order.Order
	Created bool // a new order
	Updated bool // an existing order's text or urgency changed
}

// PushFeedOrder creates the order a platform pushed, or finds it again when
// the platform sends the same id twice (idempotent), or applies the
// platform's update to it (a platform_update event) while it is open.
func (s *Service) PushFeedOrder(ctx context.Context, platform string, in FeedOrder) (FeedResult, error) {
	f := apperr.Fields{}
	in.PlatformOrderID = strings.TrimSpace(in.PlatformOrderID)
	switch {
	case in.PlatformOrderID == "":
		f.Add("platform_order_id", "required")
	case utf8.RuneCountInString(in.PlatformOrderID) > 64 || strings.ContainsFunc(in.PlatformOrderID, func(r rune) bool { return r < ' ' || r == 0x7f }):
		f.Add("platform_order_id", "at most 64 printable characters")
	}
	var created, deadline *time.Time
	for _, t := range []struct {
		field string
		val   string
		dst   **time.Time
	}{{"created_at", in.CreatedAt, &created}, {"deadline", in.Deadline, &deadline}} {
		if t.val == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, t.val)
		if err != nil {
			f.Add(t.field, "must be an RFC 3339 time like 2026-11-29T09:30:00+08:00")
			continue
		}
		v = v.UTC()
		*t.dst = &v
	}
	hint := strings.TrimSpace(in.Category)
	category := ""
	if hint != "" && s.categoryKnown(hint) {
		category = hint
	}
	no := order.NewOrder{Type: in.Type, Source: order.SourceCityPlatform, Urgency: in.Urgency, Title: in.Title, Description: in.Description,
		Category: category, Caller: in.Caller, Address: in.Address, Lat: in.Lat, Lng: in.Lng, ExternalID: in.PlatformOrderID}
	now := s.now()
	a := Actor{Username: "city_platform:" + platform, Role: order.RoleOperator}
	o, ev, err := no.Build(a, order.CreateEnv{Now: now, CategoryKnown: s.categoryKnown, CompoundKnown: s.compoundKnown})
	if err != nil {
		if ae := apperr.As(err); ae.Fields != nil {
			for k, v := range ae.Fields {
				f.Add(k, v)
			}
		} else {
			return FeedResult{}, err
		}
	}
	if err := f.Err(); err != nil {
		return FeedResult{}, err
	}

	existing, link, err := s.store.FeedOrder(ctx, order.SourceCityPlatform, in.PlatformOrderID)
	switch {
	case err == nil:
		return s.updateFeedOrder(ctx, platform, existing, link, o, deadline, a)
	case !apperr.Is(err, apperr.NotFound):
		return FeedResult{}, err
	}
	ev.Body["platform"] = platform
	ev.Body["platform_order_id"] = in.PlatformOrderID
	if hint != "" && category == "" {
		ev.Body["category_hint"] = hint
	}
	if deadline != nil {
		ev.Body["platform_deadline"] = deadline.Format(time.RFC3339)
	}
	if created != nil {
		ev.Body["platform_created_at"] = created.Format(time.RFC3339)
	}
	err = s.store.CreateFeedOrder(ctx, &o, ev, s.tokens(&o), store.FeedLink{Platform: platform, PlatformID: in.PlatformOrderID, Deadline: deadline, PlatformCreatedAt: created})
	if apperr.Is(err, apperr.Conflict) {
		// The same id raced in from a second request: answer like a repeat.
		existing, link, err2 := s.store.FeedOrder(ctx, order.SourceCityPlatform, in.PlatformOrderID)
		if err2 != nil {
			return FeedResult{}, err
		}
		return s.updateFeedOrder(ctx, platform, existing, link, o, deadline, a)
	}
	if err != nil {
		return FeedResult{}, err
	}
	if s.Intel != nil {
		s.Intel.Observe(o)
	}
	return FeedResult{Order: o, Created: true}, nil
}

// feedFields are the parts of an order a platform update may change.
type feedFields struct {
	Type        order.Type
	Urgency     order.Urgency
	Title       string
	Description string
	Caller      order.Caller
	Address     string
	Lat, Lng    *float64
}

func feedFieldsOf(o order.Order) feedFields {
	return feedFields{o.Type, o.Urgency, o.Title, o.Description, o.Caller, o.Address, o.Lat, o.Lng}
}

// updateFeedOrder applies a repeated push: nothing when nothing changed;
// otherwise the changed fields, and a moved deadline (deadline nil keeps the
// stored one), in one platform_update event.
func (s *Service) updateFeedOrder(ctx context.Context, platform string, cur order.Order, link store.FeedLink, want order.Order, deadline *time.Time, a Actor) (FeedResult, error) {
	if link.Platform != platform {
		return FeedResult{}, apperr.New(apperr.Conflict, "order id %q belongs to another channel", truncateStr(want.ExternalID, 64))
	}
	deadlineMoved := deadline != nil && (link.Deadline == nil || !link.Deadline.Equal(*deadline))
	if reflect.DeepEqual(feedFieldsOf(cur), feedFieldsOf(want)) && !deadlineMoved {
		return FeedResult{Order: cur}, nil
	}
	if !cur.Status.Open() {
		return FeedResult{}, apperr.New(apperr.Conflict, "order %s is %s: the update is refused", cur.Number, cur.Status)
	}
	// When the deadline moves, the current round's start (for the local
	// rule), read before the update's transaction.
	var roundStart *time.Time
	if deadlineMoved && link.Deadline != nil {
		if t, ok := s.roundStart(ctx, cur.ID); ok {
			roundStart = &t
		}
	}
	var textChanged bool
	o, err := s.store.UpdateOrder(ctx, cur.ID, func(cur order.Order, _ store.Loader) (store.Mutation, error) {
		if !cur.Status.Open() {
			return store.Mutation{}, apperr.New(apperr.Conflict, "order %s is %s: the update is refused", cur.Number, cur.Status)
		}
		n := cur
		body := map[string]any{"platform": platform}
		if cur.Type != want.Type {
			body["type"] = string(want.Type)
		}
		if cur.Urgency != want.Urgency {
			body["urgency"] = string(want.Urgency)
		}
		if cur.Title != want.Title {
			body["title"] = want.Title
			textChanged = true
		}
		if cur.Description != want.Description {
			body["description"] = want.Description
			textChanged = true
		}
		if cur.Address != want.Address {
			body["address"] = want.Address
		}
		if cur.Caller != want.Caller {
			body["caller"] = "changed"
		}
		if !reflect.DeepEqual(cur.Lat, want.Lat) || !reflect.DeepEqual(cur.Lng, want.Lng) {
			body["location"] = "changed"
		}
		n.Type, n.Urgency, n.Title, n.Description = want.Type, want.Urgency, want.Title, want.Description
		n.Caller, n.Address, n.Lat, n.Lng = want.Caller, want.Address, want.Lat, want.Lng
		now := s.now()
		if deadlineMoved {
			body["platform_deadline"] = deadline.Format(time.RFC3339)
			if movePlatformDeadline(s.schedule(), cur, &n, link.Deadline, *deadline, roundStart, now) && n.Due != nil {
				body["due"] = n.Due.Format(time.RFC3339)
			}
		}
		n.Version = cur.Version + 1
		n.UpdatedAt = now
		ch := store.Change{Order: n, PrevVersion: cur.Version,
			Event: order.Event{At: now, Actor: a.Username, Action: ActPlatformUpdate, From: cur.Status, To: cur.Status, Body: body}}
		if textChanged {
			ch.Tokens = s.tokens(&n)
		}
		m := store.Mutation{Changes: []store.Change{ch}}
		if deadlineMoved {
			m.FeedDeadline = deadline // on the link, in the order's transaction
		}
		return m, nil
	})
	if err != nil {
		return FeedResult{}, err
	}
	if s.Intel != nil {
		s.Intel.Observe(o)
	}
	return FeedResult{Order: o, Updated: true}, nil
}

// The municipal platform's deadline (docs/feed.md, "Deadlines"). The city
// measures the subdistrict against its own deadline, so a round's sign,
// contact and reply deadlines are the local working-day rule's, but never
// later than the platform's deadline when that is still ahead. A deadline
// that has already passed when a round starts (a reopened order, typically)
// cannot be met any more: that round gets the local rule alone.

// platformDeadliner is the deadline policy with the platform's cap: the
// order.Deadliner of workflow actions (Service.deadliner).
type platformDeadliner struct {
	order.Schedule
	deadline *time.Time // the platform's, read before the action's transaction
}

// deadliner returns the deadline rule of the action act on order id: the
// admin-editable policy, capped by the municipal platform's deadline when
// the order came from a platform and the action starts a round (dispatch,
// redispatch, reopen). The deadline is read here, before the action's
// transaction, so that no second connection is taken while the action holds
// one (a platform update landing in between is applied by its own
// platform_update to the running round).
func (s *Service) deadliner(ctx context.Context, id string, act order.Action) order.Deadliner {
	p := platformDeadliner{Schedule: s.schedule()}
	switch act {
	case order.ActDispatch, order.ActRedispatch, order.ActReopen:
		dl, err := s.store.FeedDeadline(ctx, id)
		if err != nil {
			s.Log.Warn("platform deadline not read: the local rule applies", "order", id, "err", err)
		}
		p.deadline = dl
	}
	return p
}

func (p platformDeadliner) Deadlines(o *order.Order, at time.Time) (sign, contact, due time.Time) {
	sign, contact, due = p.Schedule.Deadlines(o, at)
	dl := p.deadline
	if o.Source != order.SourceCityPlatform || dl == nil || !dl.After(at) {
		return sign, contact, due
	}
	capAt := func(t time.Time) time.Time {
		if dl.Before(t) {
			return *dl
		}
		return t
	}
	return capAt(sign), capAt(contact), capAt(due)
}

// movePlatformDeadline applies a platform's new deadline to the running
// round of n (cur as read): a deadline of the round later than the new one
// is pulled in to it; one that the old platform deadline had capped (equal
// to it) moves out to the new deadline, but never past the local rule from
// the round's start (roundStart; when unknown, it stays). An order not
// dispatched yet has no deadlines (dispatch applies the platform's); a new
// deadline already past changes nothing. It reports whether a deadline
// changed.
func movePlatformDeadline(rule order.Deadliner, cur order.Order, n *order.Order, old *time.Time, dl time.Time, roundStart *time.Time, now time.Time) bool {
	if !dl.After(now) || (cur.SignDue == nil && cur.ContactDue == nil && cur.Due == nil) {
		return false
	}
	var local [3]*time.Time
	if old != nil && roundStart != nil {
		sg, ct, du := rule.Deadlines(n, *roundStart) // n: a changed urgency or type counts
		local = [3]*time.Time{&sg, &ct, &du}
	}
	changed := false
	for k, d := range []**time.Time{&n.SignDue, &n.ContactDue, &n.Due} {
		if *d == nil {
			continue
		}
		v := **d
		switch {
		case dl.Before(v):
			v = dl
		case old != nil && v.Equal(*old) && local[k] != nil:
			v = *local[k]
			if dl.Before(v) {
				v = dl
			}
		}
		if !v.Equal(**d) {
			*d = &v
			changed = true
		}
	}
	return changed
}

// roundStart is when the order's current round began: its last dispatch,
// redispatch or reopen.
func (s *Service) roundStart(ctx context.Context, id string) (time.Time, bool) {
	evs, err := s.store.Events(ctx, id)
	if err != nil {
		return time.Time{}, false
	}
	for i := len(evs) - 1; i >= 0; i-- {
		switch order.Action(evs[i].Action) {
		case order.ActDispatch, order.ActRedispatch, order.ActReopen:
			return evs[i].At, true
		}
	}
	return time.Time{}, false
}

// UseFeedNonce records a request signature for the replay window; false
// means it was seen before.
func (s *Service) UseFeedNonce(ctx context.Context, platform, signature string, window time.Duration) (bool, error) {
	now := s.now()
	return s.store.UseFeedNonce(ctx, platform, signature, now, now.Add(window))
}

// FeedPlatforms lists the platforms with their secrets still sealed (the
// CLI's `feed list`), so the command needs no way around the service.
func (s *Service) FeedPlatforms(ctx context.Context) ([]store.FeedPlatform, error) {
	return s.store.FeedPlatforms(ctx)
}

// OutboxStats counts the outbox's pending and delivered items.
func (s *Service) OutboxStats(ctx context.Context) (pending, delivered int, err error) {
	return s.store.OutboxStats(ctx)
}
