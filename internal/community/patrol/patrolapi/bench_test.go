package patrolapi_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hotline/internal/access"
	"hotline/internal/app/communitytest"
	"hotline/internal/calendar"
	"hotline/internal/community/patrol"
	"hotline/internal/order"
	"hotline/internal/testenv"
)

var compounds6 = []string{"sanjiang", "binyang_xincun", "longhua_garden", "ruiyuan", "meilong_court", "yanqing_li"}

var worker = access.User{Username: "binyang", Role: access.RoleHandler, Unit: "binyang"}

// benchDBs runs a benchmark on a fresh demo server per database.
func benchDBs(b *testing.B, fn func(b *testing.B, s *communitytest.Server)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, communitytest.Start(b, testenv.SQLiteURL(b))) })
	b.Run("postgres", func(b *testing.B) { fn(b, communitytest.Start(b, testenv.PostgresURL(b))) })
}

// team60 adds a team of 60 volunteers, one in six unavailable on Sundays.
func team60(b *testing.B, svc *patrol.Service, name string) patrol.Team {
	ctx := context.Background()
	t, err := svc.CreateTeam(ctx, worker, name, "binyang")
	if err != nil {
		b.Fatal(err)
	}
	for i := range 60 {
		n, team := fmt.Sprintf("测试队员%02d", i), t.ID
		in := patrol.VolunteerInput{Name: &n, Team: &team}
		if i%6 == 0 {
			in.Unavailable = &[]string{"sun"}
		}
		if _, err := svc.CreateVolunteer(ctx, worker, in); err != nil {
			b.Fatal(err)
		}
	}
	return t
}

// BenchmarkPlanPure is the planner alone: a month, 6 compounds × 2 windows,
// 60 volunteers, 2 per shift (372 shifts).
func BenchmarkPlanPure(b *testing.B) {
	var vols []patrol.Volunteer
	for i := range 60 {
		v := patrol.Volunteer{ID: fmt.Sprint(i + 1)}
		if i%6 == 0 {
			v.Unavailable = []string{"sun"}
		}
		vols = append(vols, v)
	}
	from, _ := patrol.ParseDate("2026-12-01")
	to, _ := patrol.ParseDate("2026-12-31")
	req := patrol.PlanRequest{Compounds: compounds6, Dates: patrol.Dates(from, to),
		Windows: []patrol.Window{{Start: 480, End: 600}, {Start: 840, End: 960}}, Volunteers: vols, PerShift: 2}
	for b.Loop() {
		if s, _ := patrol.Plan(req); len(s) != 372 {
			b.Fatal(len(s))
		}
	}
}

// BenchmarkPlanMonth is POST /shifts/plan's work for a month: read the
// team, plan, and store 372 shifts with their overlap checks in one
// transaction. Each iteration plans a fresh team over its own month.
func BenchmarkPlanMonth(b *testing.B) {
	benchDBs(b, func(b *testing.B, s *communitytest.Server) {
		ctx := context.Background()
		i := 0
		for b.Loop() {
			b.StopTimer()
			t := team60(b, s.M.Patrol, fmt.Sprintf("队%d", i))
			first := time.Date(2027+i/12, time.Month(1+i%12), 1, 0, 0, 0, 0, calendar.Shanghai)
			i++
			b.StartTimer()
			res, err := s.M.Patrol.PlanShifts(ctx, worker, patrol.PlanInput{Compounds: compounds6, From: first.Format("2006-01-02"),
				To: first.AddDate(0, 1, -1).Format("2006-01-02"), Windows: []string{"08:00-10:00", "14:00-16:00"}, Team: t.ID})
			if err != nil || len(res.Shifts) != 6*2*first.AddDate(0, 1, -1).Day() {
				b.Fatalf("%d shifts, %v", len(res.Shifts), err)
			}
		}
	})
}

// BenchmarkCoverageMonth reads the coverage grid of a month with a full
// rota, half of it checked into.
func BenchmarkCoverageMonth(b *testing.B) {
	benchDBs(b, func(b *testing.B, s *communitytest.Server) {
		ctx := context.Background()
		t := team60(b, s.M.Patrol, "覆盖队")
		today := time.Now().In(calendar.Shanghai)
		first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, calendar.Shanghai).AddDate(0, -1, 0)
		last := first.AddDate(0, 1, -1)
		res, err := s.M.Patrol.PlanShifts(ctx, worker, patrol.PlanInput{Compounds: compounds6, From: first.Format("2006-01-02"),
			To: last.Format("2006-01-02"), Team: t.ID})
		if err != nil {
			b.Fatal(err)
		}
		for i, sh := range res.Shifts {
			if i%2 == 0 {
				at := sh.StartsAt.Add(5 * time.Minute)
				if _, err := s.M.Patrol.Check(ctx, worker, sh.ID, true, patrol.CheckInput{Time: &at, Volunteer: sh.Attendance[0].Volunteer}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ResetTimer()
		for b.Loop() {
			rep, err := s.M.Patrol.Coverage(ctx, worker, "", first.Format("2006-01-02"), last.Format("2006-01-02"), "")
			if err != nil || len(rep.Cells) != 6*2*last.Day() || rep.Totals["covered"] == 0 {
				b.Fatalf("%v %v", err, rep.Totals)
			}
		}
	})
}

// BenchmarkFindingOrder compares a finding that becomes an order (the
// order's create path plus the finding in its transaction) with a plain
// order created through the same path.
func BenchmarkFindingOrder(b *testing.B) {
	benchDBs(b, func(b *testing.B, s *communitytest.Server) {
		ctx := context.Background()
		t := team60(b, s.M.Patrol, "发现队")
		vs, _, err := s.M.Patrol.Volunteers(ctx, worker, "", patrol.VolunteerFilter{Team: t.ID, Limit: 1})
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now().In(calendar.Shanghai)
		sh, err := s.M.Patrol.CreateShift(ctx, worker, patrol.ShiftInput{Compound: "sanjiang", Date: now.Format("2006-01-02"), Start: "00:00", End: "24:00",
			Volunteers: []string{vs[0].ID}})
		if err != nil {
			b.Fatal(err)
		}
		text := "29号楼东侧建筑垃圾堆放在消防通道上，影响通行"
		b.Run("finding_to_order", func(b *testing.B) {
			for b.Loop() {
				if _, err := s.M.Patrol.AddFinding(ctx, worker, sh.ID, patrol.FindingInput{Text: text, Building: ptr("29号楼"), CreateOrder: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("plain_order", func(b *testing.B) {
			for b.Loop() {
				if _, err := s.M.Svc.CreateFromChannel(ctx, order.SourcePatrol, order.NewOrder{Type: order.Report, Title: "巡逻发现：" + text,
					Description: text, Compound: "sanjiang", Building: "29号楼"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func ptr[T any](v T) *T { return &v }

// BenchmarkFindingAmongCreates is the group commit under mixed load: eight
// clients create plain orders while a ninth turns findings into orders
// without pause. The figure is per plain create (its throughput); a
// finding's order carries an in-transaction hook, and a batch holding one
// used to go to the per-order path whole, taking the plain creates
// gathered with it along.
func BenchmarkFindingAmongCreates(b *testing.B) {
	benchDBs(b, func(b *testing.B, s *communitytest.Server) {
		ctx := context.Background()
		t := team60(b, s.M.Patrol, "混合队")
		vs, _, err := s.M.Patrol.Volunteers(ctx, worker, "", patrol.VolunteerFilter{Team: t.ID, Limit: 1})
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now().In(calendar.Shanghai)
		sh, err := s.M.Patrol.CreateShift(ctx, worker, patrol.ShiftInput{Compound: "sanjiang", Date: now.Format("2006-01-02"), Start: "00:00", End: "24:00",
			Volunteers: []string{vs[0].ID}})
		if err != nil {
			b.Fatal(err)
		}
		text := "29号楼东侧建筑垃圾堆放在消防通道上，影响通行"
		stop := make(chan struct{})
		findings := make(chan int)
		go func() {
			n := 0
			defer func() { findings <- n }()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.M.Patrol.AddFinding(ctx, worker, sh.ID, patrol.FindingInput{Text: text, Building: ptr("29号楼"), CreateOrder: true}); err != nil {
					b.Error(err)
					return
				}
				n++
			}
		}()
		b.SetParallelism(4) // 8 clients on 2 processors
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.M.Svc.CreateFromChannel(ctx, order.SourcePatrol, order.NewOrder{Type: order.Report, Title: "巡逻发现：" + text,
					Description: text, Compound: "sanjiang", Building: "29号楼"}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		close(stop)
		b.ReportMetric(float64(<-findings)/b.Elapsed().Seconds(), "findings/s")
	})
}
