package admin_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"hotline/internal/admin"
	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/service"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// The admin service writes settings and has the orders' service reread
// them: a unit added here is known to the orders' checks at once, a day
// corrected here moves the orders' deadlines, and a refused change writes
// nothing. On both databases.
func TestAdminChangesReachTheOrdersService(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st, err := store.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		svc, err := service.New(ctx, st, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		adm := admin.New(st, svc, admin.Shared{Calendar: svc.Calendar, Throttle: svc.Throttle, Passwords: svc.Passwords})
		root := order.Actor{Username: "root", Role: order.RoleAdmin}
		u := org.Unit{Code: "binyang", Name: "宾阳路居委会", Kind: "committee", Active: true}

		if err := adm.PutUnit(ctx, order.Actor{Username: "lead", Role: order.RoleLeader}, u); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("a leader's unit: %v, want forbidden", err)
		}
		if err := adm.PutUnit(ctx, root, org.Unit{Code: "Bad Code", Name: "x", Kind: "committee"}); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("a bad code: %v, want invalid", err)
		}
		if units, _ := svc.Units(ctx); len(units) != 0 || svc.UnitKnown(u.Code) {
			t.Fatalf("refused changes wrote %+v", units)
		}
		if err := adm.PutUnit(ctx, root, u); err != nil {
			t.Fatal(err)
		}
		if !svc.UnitKnown(u.Code) {
			t.Fatal("the orders' service does not know the unit the admin added")
		}
		if _, err := adm.AddUser(ctx, root, "wang", "password123", order.RoleHandler, u.Code, "王"); err != nil {
			t.Fatal(err)
		}
		if who := svc.WhoIs(ctx, "wang"); who.Name != "王" || who.Unit != u.Code {
			t.Fatalf("WhoIs(wang) = %+v after the admin added him", who)
		}

		day := calendar.Day{Date: "2031-05-06", OffDay: true, Name: "测试"}
		if err := adm.PutCalendarDay(ctx, root, day); err != nil {
			t.Fatal(err)
		}
		if got := svc.Calendar.Days(2031); !containsDay(got, day) {
			t.Fatalf("the orders' calendar has %+v, not the day the admin set", got)
		}
		again, err := service.New(ctx, st, nil, nil) // another instance, started after the change
		if err != nil {
			t.Fatal(err)
		}
		if got := again.Calendar.Days(2031); !containsDay(got, day) {
			t.Fatalf("the day the admin set was not stored: a new instance has %+v", got)
		}
	})
}

func containsDay(days []calendar.Day, d calendar.Day) bool {
	for _, x := range days {
		if x.Date == d.Date && x.OffDay == d.OffDay {
			return true
		}
	}
	return false
}
