package app

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"hotline/internal/access"
	"hotline/internal/community/meeting"
	"hotline/internal/community/meeting/meetingapi"
	"hotline/internal/community/meeting/meetingdb"
	"hotline/internal/service"
	"hotline/internal/store"
)

// meetingOrders adapts the orders' service to meeting.OrderNoter.
type meetingOrders struct{ svc *service.Service }

func (p meetingOrders) NoteOrders(ctx context.Context, u access.User, ids []string, body map[string]any,
	write func(ctx context.Context, tx *sql.Tx) (map[string]any, error)) error {
	return p.svc.NoteOrdersWith(ctx, service.ActorOf(u), "orders", ids, body, write)
}

func (p meetingOrders) OrderGroup(ctx context.Context, u access.User, id string) ([]string, error) {
	return p.svc.OrderGroup(ctx, service.ActorOf(u), id)
}

// meetingInbox delivers the meetings' overdue-action notices into the
// staff's inbox through the orders' service: to the owner unit's workers,
// or to the owner's own login.
type meetingInbox struct{ svc *service.Service }

func (p meetingInbox) DeliverOverdue(ctx context.Context, o meeting.Overdue, now time.Time) (bool, error) {
	target := o.Owner
	if !o.OwnerIsUnit {
		target = service.UserTarget(o.Owner)
	}
	return p.svc.Deliver(ctx, store.Notification{Target: target, ActionID: o.Action, MeetingID: o.Meeting, Kind: "action_overdue",
		Deadline: o.Due, Message: o.Message(), CreatedAt: now})
}

func (p meetingInbox) Notices(ctx context.Context, u access.User, limit int) ([]meeting.Notice, error) {
	list, err := p.svc.ActionNotices(ctx, service.ActorOf(u), limit)
	out := make([]meeting.Notice, len(list))
	for i, n := range list {
		out[i] = meeting.Notice{ID: n.ID, Target: n.Target, Action: n.ActionID, Meeting: n.MeetingID, Kind: n.Kind, Deadline: n.Deadline,
			Message: n.Message, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt}
	}
	return out, err
}

// newMeetings migrates the meetings module, builds its service and lets
// the order view list an order's meetings.
func (m *Main) newMeetings(ctx context.Context) error {
	db := m.Store.DB()
	if err := meetingdb.Migrate(ctx, db); err != nil {
		return err
	}
	m.Meetings = &meeting.Service{Store: &meetingdb.Store{DB: db}, Orders: meetingOrders{m.Svc}, Inbox: meetingInbox{m.Svc}}
	m.API.OrderMeetings = func(ctx context.Context, orderID string) (any, error) { return m.Meetings.ForOrder(ctx, orderID) }
	return nil
}

func (m *Main) mountMeetings(mux *http.ServeMux) {
	meetingapi.Mount(m.API.Routes(mux), m.Meetings)
}

// runMeetingSweeper notifies overdue meeting actions' owners, once each,
// on the deadline sweeper's interval.
func (m *Main) runMeetingSweeper(ctx context.Context) {
	m.Meetings.RunSweeper(ctx, m.Sweep, func(err error) { m.Log.Error("meeting action sweep failed", "err", err) })
}
