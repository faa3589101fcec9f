package meetingapi_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"hotline/internal/access"
	"hotline/internal/app/communitytest"
	"hotline/internal/community/meeting"
	"hotline/internal/order"
	"hotline/internal/testenv"
)

// BenchmarkThread reads a compound's meeting thread: 200 meetings over
// two years, each linked to 10 of 2,000 orders, with two decisions and an
// action each (half of them done).
func BenchmarkThread(b *testing.B) {
	run := func(b *testing.B, s *communitytest.Server) {
		ctx := context.Background()
		admin := access.User{Username: "admin", Role: access.RoleAdmin}
		ids := make([]string, 2000)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for w := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(ids); i += 16 {
					v, err := s.M.Svc.CreateFromChannel(ctx, order.SourceWeb, order.NewOrder{Type: order.Complaint,
						Title: fmt.Sprintf("29号楼旁建筑垃圾 %d", i), Description: "工地建筑垃圾堆放", Compound: "sanjiang"})
					if err != nil {
						errs <- err
						return
					}
					ids[i] = v.ID
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		start := time.Now().AddDate(-2, 0, 0)
		for i := range 200 {
			kind, topic, compound := "coordination", fmt.Sprintf("三江小区工地第%d次协调会", i+1), "sanjiang"
			at := start.Add(time.Duration(i) * 84 * time.Hour)
			linked := ids[i*10 : i*10+10]
			m, err := s.M.Meetings.Create(ctx, admin, meeting.Input{Kind: &kind, Topic: &topic, StartsAt: &at, Compound: &compound, Orders: &linked})
			if err != nil {
				b.Fatal(err)
			}
			a, err := s.M.Meetings.AddAction(ctx, admin, m.ID, meeting.ActionInput{Text: "整改并回复", Owner: "binyang", Due: "2099-01-01"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.M.Meetings.Minutes(ctx, admin, m.ID, meeting.MinutesInput{Minutes: "纪要", Decisions: []string{"清运", "围挡"}}); err != nil {
				b.Fatal(err)
			}
			if i%2 == 0 {
				if _, err := s.M.Meetings.Done(ctx, admin, a.ID); err != nil {
					b.Fatal(err)
				}
			}
		}
		leader := access.User{Username: "leader", Role: access.RoleLeader, Unit: "center"}
		b.ResetTimer()
		for b.Loop() {
			items, err := s.M.Meetings.ThreadOf(ctx, leader, "sanjiang", "")
			if err != nil || len(items) != 200+400+100 {
				b.Fatalf("%d items, %v", len(items), err)
			}
		}
	}
	b.Run("sqlite", func(b *testing.B) { run(b, communitytest.Start(b, testenv.SQLiteURL(b))) })
	b.Run("postgres", func(b *testing.B) { run(b, communitytest.Start(b, testenv.PostgresURL(b))) })
}
