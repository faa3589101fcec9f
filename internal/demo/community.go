package demo

import (
	"context"
	"fmt"
	"time"

	"hotline/internal/access"
	"hotline/internal/calendar"
	"hotline/internal/community/meeting"
	"hotline/internal/community/patrol"
	"hotline/internal/order"
	"hotline/internal/seal"
	"hotline/internal/service"
)

// The community demo's people are fake on sight: every volunteer is named
// "<surname>某NN（演示）" and every meeting participant is a role followed by
// （演示）; the phones are in 1380000xxxx, a range not issued to subscribers.

var fewSurnames = []rune("张王李赵陈刘杨黄周吴徐孙胡朱高林何郭马罗")

var worker = access.User{Username: "binyang", Role: access.RoleHandler, Unit: "binyang"}

// LoadCommunity adds the patrol and meeting demo to a demo database: 宾阳路's
// 60 volunteers in three teams, this week's rota with its check-ins and a
// few findings that became orders, and the 三江小区 rental-housing site /
// 29号楼 construction-waste history (orders, 22 meetings over two years
// with minutes, decisions and follow-up actions). It does nothing when
// volunteers already exist. withPhones seals demo phones (needs a data key).
func LoadCommunity(ctx context.Context, svc *service.Service, p *patrol.Service, m *meeting.Service, withPhones bool) error {
	if p == nil { // patrols are off (no data key): the meetings' history alone
		if ms, _, err := m.List(ctx, worker, "", meeting.Filter{Limit: 1}, ""); err != nil || len(ms) > 0 {
			return err
		}
		at := func(t time.Time) { svc.Now, m.Now = func() time.Time { return t }, func() time.Time { return t } }
		defer func(now func() time.Time) { svc.Now, m.Now = now, nil }(svc.Now)
		if err := loadSiteHistory(ctx, svc, m, at); err != nil {
			return fmt.Errorf("demo meetings: %w", err)
		}
		return nil
	}
	if vs, _, err := p.Volunteers(ctx, worker, "", patrol.VolunteerFilter{Limit: 1}); err != nil || len(vs) > 0 {
		return err
	}
	realNow := svc.Now
	defer func() { svc.Now, p.Now, m.Now = realNow, nil, nil }()
	at := func(t time.Time) {
		svc.Now = func() time.Time { return t }
		p.Now = svc.Now
		m.Now = svc.Now
	}
	if err := loadPatrol(ctx, svc, p, withPhones, at); err != nil {
		return fmt.Errorf("demo patrol: %w", err)
	}
	svc.Now, p.Now, m.Now = realNow, nil, nil
	if err := loadSiteHistory(ctx, svc, m, at); err != nil {
		return fmt.Errorf("demo meetings: %w", err)
	}
	return nil
}

var teams = []struct {
	name      string
	compounds []string
}{
	{"三江·宾阳新村巡逻队", []string{"sanjiang", "binyang_xincun"}},
	{"龙华·瑞苑巡逻队", []string{"longhua_garden", "ruiyuan"}},
	{"梅陇·延庆里巡逻队", []string{"meilong_court", "yanqing_li"}},
}

var skills = [][]string{{"巡逻"}, {"巡逻", "急救"}, {"巡逻", "消防"}, {"巡逻", "调解"}, {"巡逻", "电工"}}

func loadPatrol(ctx context.Context, svc *service.Service, p *patrol.Service, withPhones bool, at func(time.Time)) error {
	now := time.Now().UTC()
	today := now.In(calendar.Shanghai)
	// "This week" is the seven days up to tomorrow, so that the rota has a
	// past to show whatever the day (early on a Monday a calendar week has
	// no served shift yet).
	monday := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, calendar.Shanghai).AddDate(0, 0, -5)
	var first string // the volunteer of the "volunteer" login
	for ti, t := range teams {
		team, err := p.CreateTeam(ctx, worker, t.name, "binyang")
		if err != nil {
			return err
		}
		var ids []string
		for i := range 20 {
			n := ti*20 + i + 1
			name := fmt.Sprintf("%c某%02d（演示）", fewSurnames[n%len(fewSurnames)], n)
			party := n%4 == 0
			sk := skills[n%len(skills)]
			in := patrol.VolunteerInput{Name: &name, Team: &team.ID, PartyMember: &party, Skills: &sk}
			if withPhones {
				ph := seal.Secret(fmt.Sprintf("1380000%04d", 2000+n))
				in.Phone = &ph
			}
			if n%7 == 0 {
				in.Unavailable = &[]string{"sat", "sun"}
			}
			if n == 1 {
				u := "volunteer"
				in.User = &u
			}
			v, err := p.CreateVolunteer(ctx, worker, in)
			if err != nil {
				return err
			}
			ids = append(ids, v.ID)
		}
		if ti == 0 {
			first = ids[0]
			// The demo volunteer is on duty around now, whatever the hour,
			// so the phone page has a shift to check into.
			m := today.Hour()*60 + today.Minute()
			st, en := max(m-60, 0), min(m+60, 24*60)
			if _, err := p.CreateShift(ctx, worker, patrol.ShiftInput{Compound: "sanjiang", Date: today.Format("2006-01-02"),
				Start: patrol.HM(st), End: patrol.HM(en), Volunteers: []string{first}}); err != nil {
				return err
			}
		}
		if _, err := p.PlanShifts(ctx, worker, patrol.PlanInput{Compounds: t.compounds, From: monday.Format("2006-01-02"),
			To: monday.AddDate(0, 0, 6).Format("2006-01-02"), Windows: []string{"08:00-10:00", "14:00-16:00"}, Team: team.ID}); err != nil {
			return err
		}
	}
	// The past shifts of the week: most were served, a few missed, and
	// some found something, which became an order.
	shifts, _, err := p.Shifts(ctx, worker, "", patrol.ShiftFilter{From: &monday, To: &now, Limit: 1000})
	if err != nil {
		return err
	}
	findings := map[string]struct{ text, building string }{
		"sanjiang":       {"29号楼东侧消防通道堆放装修垃圾，已影响通行", "29号楼"},
		"binyang_xincun": {"3号楼楼道内有电动自行车飞线充电", "3号楼"},
		"longhua_garden": {"南门口路灯不亮", ""},
		"ruiyuan":        {"2幢门口车辆占用消防通道", "2幢"},
		"meilong_court":  {"A座地下车库入口积水", "A座"},
		"yanqing_li":     {"13号门口有人散发小广告", "13号"},
	}
	found := 0
	for i, sh := range shifts {
		if !sh.EndsAt.Before(now) || i%9 == 4 { // every ninth past shift is missed
			continue
		}
		at(sh.EndsAt.Add(-time.Minute))
		in := sh.StartsAt.Add(time.Duration(2+i%5) * time.Minute)
		out := sh.EndsAt.Add(-time.Duration(1+i%4) * time.Minute)
		for _, a := range sh.Attendance {
			if _, err := p.Check(ctx, worker, sh.ID, true, patrol.CheckInput{Time: &in, Volunteer: a.Volunteer,
				Position: &patrol.Position{Lat: 31.1755, Lng: 121.448}}); err != nil {
				return err
			}
		}
		if f, ok := findings[sh.Compound]; ok && i%3 == 1 {
			delete(findings, sh.Compound)
			found++
			var b *string
			if f.building != "" {
				b = &f.building
			}
			if _, err := p.AddFinding(ctx, worker, sh.ID, patrol.FindingInput{Text: f.text, Building: b, CreateOrder: found%3 != 0,
				Volunteer: sh.Attendance[0].Volunteer}); err != nil {
				return err
			}
		}
		for _, a := range sh.Attendance {
			if _, err := p.Check(ctx, worker, sh.ID, false, patrol.CheckInput{Time: &out, Volunteer: a.Volunteer}); err != nil {
				return err
			}
		}
	}
	return nil
}

// siteOrders are the 三江小区 rental-housing site's complaints over two
// years, oldest first: days before today, text, and whether it was closed.
var siteOrders = []struct {
	daysAgo int
	title   string
	desc    string
	cat     string
	closed  bool
}{
	{720, "租赁住房项目开工前要开听证会", "听说三江小区旁要建租赁住房，希望开工前征求居民意见。", "community", true},
	{690, "工地围挡占用人行道", "三江小区东侧工地围挡占了人行道，老人只能走机动车道。", "facilities.parking", true},
	{640, "夜间打桩噪音", "工地夜里还在打桩，29号楼根本睡不着。", "environment.noise", true},
	{600, "渣土车带泥上路", "渣土车出门不冲洗，小区门口全是泥。", "environment.dust", true},
	{540, "29号楼墙体出现裂缝", "工地基坑开挖后29号楼有几户墙上出现裂缝，担心安全。", "property.management", true},
	{480, "建筑垃圾堆在29号楼旁", "工地把建筑垃圾临时堆在29号楼旁边，灰很大。", "sanitation.construction_waste", true},
	{420, "建筑垃圾堆放点选址", "29号楼居民反对在楼旁设建筑垃圾堆放点，希望重新选址。", "sanitation.construction_waste", true},
	{360, "堆放点扬尘", "建筑垃圾堆放点没有覆盖，刮风全是灰。", "environment.dust", true},
	{300, "清运车辆夜间作业", "清运建筑垃圾的车晚上十一点还在作业。", "environment.noise", true},
	{240, "消防通道被占", "堆放点扩大后把29号楼消防通道占了一半。", "sanitation.construction_waste", true},
	{180, "装修垃圾混入", "有人把装修垃圾也倒进工地堆放点，越堆越多。", "sanitation.construction_waste", true},
	{120, "堆放点何时撤除", "说好的竣工后撤除堆放点，现在还没动静。", "sanitation.construction_waste", true},
	{60, "新租户装修噪音", "租赁住房交付后，新租户集中装修，噪音很大。", "environment.noise", false},
	{20, "29号楼旁垃圾仍未清完", "堆放点撤了，但29号楼旁还有一堆建筑垃圾没清。", "sanitation.construction_waste", false},
}

var meetingTopics = []struct {
	kind, topic string
}{
	{"hearing", "三江小区旁租赁住房项目听证会"},
	{"coordination", "工地围挡与人行通道协调会"},
	{"coordination", "夜间施工噪音协调会"},
	{"review", "施工噪音整改评议会"},
	{"coordination", "渣土车冲洗协调会"},
	{"hearing", "29号楼墙体裂缝鉴定听证会"},
	{"coordination", "29号楼房屋安全协调会"},
	{"review", "墙体裂缝修缮评议会"},
	{"coordination", "建筑垃圾临时堆放协调会"},
	{"hearing", "建筑垃圾堆放点选址听证会"},
	{"coordination", "堆放点覆盖与扬尘控制协调会"},
	{"review", "扬尘整改评议会"},
	{"coordination", "清运作业时间协调会"},
	{"coordination", "消防通道清障协调会"},
	{"review", "消防通道整改评议会"},
	{"coordination", "装修垃圾分类投放协调会"},
	{"hearing", "堆放点撤除时间听证会"},
	{"coordination", "竣工交付与撤点协调会"},
	{"review", "撤点情况评议会"},
	{"coordination", "新租户装修管理协调会"},
	{"other", "三江小区居民议事会：工地遗留问题"},
	{"coordination", "29号楼旁剩余垃圾清运协调会"},
}

func loadSiteHistory(ctx context.Context, svc *service.Service, m *meeting.Service, at func(time.Time)) error {
	now := time.Now().UTC().Truncate(time.Minute)
	h := order.Actor{Username: "binyang", Role: order.RoleHandler, Unit: "binyang"}
	var ids []string
	var days []int
	for i, so := range siteOrders {
		t0 := now.AddDate(0, 0, -so.daysAgo)
		at(t0)
		v, err := svc.CreateOrder(ctx, opr, order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Title: so.title, Description: so.desc,
			Category: so.cat, Compound: "sanjiang", Building: "29号楼", Address: "三江小区29号楼旁工地",
			Caller: &order.Caller{Name: fmt.Sprintf("居民%c先生（演示）", fewSurnames[i]), Phone: fmt.Sprintf("1380000%04d", 3000+i)}})
		if err != nil {
			return err
		}
		version := v.Version // each step acts on the version the previous one returned
		step := func(d time.Duration, a order.Actor, act order.Action, in order.Input) error {
			at(t0.Add(d))
			in.Version = &version
			w, err := svc.Act(ctx, a, v.ID, act, in)
			if err == nil {
				version = w.Version
			}
			return err
		}
		yes := true
		steps := []func() error{
			func() error {
				return step(time.Hour, disp, order.ActDispatch, order.Input{Unit: "binyang", Note: "请居委会牵头协调"})
			},
			func() error { return step(2*time.Hour, h, order.ActAccept, order.Input{}) },
			func() error {
				return step(3*time.Hour, h, order.ActContact, order.Input{Note: "已联系来电人，约定召开协调会。"})
			},
		}
		if so.closed {
			steps = append(steps,
				func() error {
					return step(72*time.Hour, h, order.ActReply, order.Input{Result: "resolved", Text: "经协商会议协调，施工方已按会议决定整改。"})
				},
				func() error {
					return step(73*time.Hour, disp, order.ActApproveReply, order.Input{Note: "答复完整"})
				},
				func() error {
					return step(74*time.Hour, opr, order.ActCallback, order.Input{Outcome: "basically_satisfied", Resolved: &yes, Note: "来电人基本满意"})
				})
		}
		for _, s := range steps {
			if err := s(); err != nil {
				return fmt.Errorf("site order %d: %w", i, err)
			}
		}
		ids = append(ids, v.ID)
		days = append(days, so.daysAgo)
	}
	for i, mt := range meetingTopics {
		daysAgo := 715 - i*33
		starts := time.Date(now.Year(), now.Month(), now.Day(), 6, 30, 0, 0, time.UTC).AddDate(0, 0, -daysAgo) // 14:30 in Shanghai
		var linked []string
		for j := len(ids) - 1; j >= 0; j-- {
			// an order at least eight days older than the meeting: its own
			// steps (three days) are over when the meeting is convened
			if days[j] >= daysAgo+8 && len(linked) < 2 {
				linked = append(linked, ids[j])
			}
		}
		at(starts.Add(-72 * time.Hour))
		kind, topic, place, compound := mt.kind, mt.topic, "宾阳路居委会二楼会议室", "sanjiang"
		parts := []meeting.Participant{{Name: "29号楼居民代表（演示）", Kind: "resident"}, {Name: "三江小区业委会（演示）", Kind: "resident"},
			{Name: "施工单位项目经理（演示）", Kind: "company"}, {Name: "城市管理办", Kind: "unit", Unit: "cityops"}, {Name: "街道分管领导（演示）", Kind: "official"}}
		mtg, err := m.Create(ctx, worker, meeting.Input{Kind: &kind, Topic: &topic, StartsAt: &starts, Place: &place, Compound: &compound,
			Participants: &parts, Orders: &linked})
		if err != nil {
			return fmt.Errorf("meeting %d: %w", i, err)
		}
		if daysAgo <= 0 {
			continue
		}
		a1 := starts.Add(-time.Hour)
		at(a1)
		due := starts.AddDate(0, 0, 14)
		act, err := m.AddAction(ctx, worker, mtg.ID, meeting.ActionInput{Text: "施工方按会议决定整改并书面回复", Owner: "binyang", Due: due.Format(time.RFC3339)})
		if err != nil {
			return fmt.Errorf("meeting %d action: %w", i, err)
		}
		at(starts.Add(2 * time.Hour))
		if _, err := m.Minutes(ctx, worker, mtg.ID, meeting.MinutesInput{
			Minutes:   "会议由居委会书记主持。居民代表陈述诉求，施工单位说明情况，城管提出执法意见。经协商形成决定如下。",
			Decisions: []string{"施工单位" + []string{"七日内", "十日内", "本月内"}[i%3] + "完成整改", "居委会组织居民代表跟踪监督"}}); err != nil {
			return fmt.Errorf("meeting %d minutes: %w", i, err)
		}
		if daysAgo > 40 || i%2 == 0 { // the last ones stay open; one is overdue
			at(due.Add(-24 * time.Hour))
			if _, err := m.Done(ctx, worker, act.ID); err != nil {
				return err
			}
		}
	}
	return nil
}
