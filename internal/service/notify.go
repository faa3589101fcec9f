package service

import (
	"context"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/store"
)

// CenterTarget is the inbox of the center's staff (dispatchers, leaders).
const CenterTarget = "center"

// WarnBefore is how long before `due` a unit is warned (预警).
const WarnBefore = 2 * time.Hour

// UserTarget is the inbox of one login (a meeting's action owned by a
// person rather than a unit); the prefix keeps a login from ever reading a
// unit's inbox that happens to share its name.
func UserTarget(username string) string { return "user:" + username }

func inboxes(a Actor) []string {
	var out []string
	switch a.Role {
	case order.RoleHandler:
		out = []string{a.Unit}
	case order.RoleDispatcher, order.RoleLeader, order.RoleOperator, order.RoleAdmin:
		out = []string{CenterTarget}
	}
	if a.Username != "" {
		out = append(out, UserTarget(a.Username))
	}
	return out
}

// Notifications lists the actor's inbox.
func (s *Service) Notifications(ctx context.Context, a Actor, unreadOnly bool, limit int) ([]order.Notification, int, error) {
	t := inboxes(a)
	list, err := s.store.Notifications(ctx, t, unreadOnly, limit)
	if err != nil {
		return nil, 0, err
	}
	n, err := s.store.UnreadCount(ctx, t)
	if list == nil {
		list = []order.Notification{}
	}
	return list, n, err
}

// UnreadCount is the number shown in the header.
func (s *Service) UnreadCount(ctx context.Context, a Actor) (int, error) {
	return s.store.UnreadCount(ctx, inboxes(a))
}

// MarkRead marks one of the actor's notifications read.
func (s *Service) MarkRead(ctx context.Context, a Actor, id string) error {
	t := inboxes(a)
	if len(t) == 0 {
		return apperr.New(apperr.Forbidden, "no inbox for role %s", a.Role)
	}
	return s.store.MarkRead(ctx, id, t, s.now())
}

// Sweep is one pass of the deadline sweeper: a warning to the unit 2 hours
// before `due`, and at `due` an overdue notice to the unit and the center.
// Each is stored under a unique key (order, kind, target, deadline), so any
// number of sweepers in any number of processes send each exactly once. It
// returns how many notifications this pass stored.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now()
	sent := 0
	var after *store.DeadlineCandidate
	for {
		cands, err := s.store.DueBefore(ctx, now.Add(WarnBefore), now, after, 1000)
		if err != nil {
			return sent, err
		}
		for _, c := range cands {
			due := c.Due.In(calendar.Shanghai).Format("01-02 15:04")
			var ns []order.Notification
			if now.Before(c.Due) {
				if c.Unit != "" {
					ns = append(ns, order.Notification{Target: c.Unit, Kind: "warning", Message: "工单 " + c.Number + " 将于 " + due + " 到期"})
				}
			} else {
				if c.Unit != "" {
					ns = append(ns, order.Notification{Target: c.Unit, Kind: "overdue", Message: "工单 " + c.Number + " 已超期（" + due + "）"})
				}
				ns = append(ns, order.Notification{Target: CenterTarget, Kind: "overdue", Message: "工单 " + c.Number + " 已超期（" + due + "）"})
			}
			for _, n := range ns {
				n.OrderID, n.Deadline, n.CreatedAt = c.OrderID, c.Due, now
				ok, err := s.store.Notify(ctx, n)
				if err != nil {
					return sent, err
				}
				if ok {
					sent++
				}
			}
		}
		if len(cands) < 1000 {
			return sent, nil
		}
		after = &cands[len(cands)-1]
	}
}

// RunSweeper sweeps every interval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		start := time.Now()
		n, err := s.Sweep(ctx)
		s.sweeps.record(start, time.Now(), err)
		if err != nil {
			if ctx.Err() == nil {
				s.Log.Error("deadline sweep failed", "err", err)
			}
		} else if n > 0 {
			s.Log.Info("deadline sweep", "notifications", n)
		}
		if err := s.store.PurgeSessions(ctx, s.now()); err != nil && ctx.Err() == nil {
			s.Log.Error("session purge failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
