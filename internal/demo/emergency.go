package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"hotline/internal/access"
	"hotline/internal/community/campaign"
	"hotline/internal/community/emergency"
	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registrydb"
	"hotline/internal/place"
	"hotline/internal/place/placedb"
)

// CommunityDeps is what the community part of the demo writes through.
type CommunityDeps struct {
	Places    *placedb.Store
	Residents *registrydb.Store
	Emergency *emergency.Service
	Campaign  *campaign.Service
}

// Community loads the demo's emergencies and campaigns (issue 16): a past
// typhoon over 三江小区's low-lying 29号楼, closed with its report, and an
// open census campaign half done. It runs once (it does nothing when an
// emergency exists). When the registry holds nobody in 29号楼 yet, it adds
// twelve households of clearly fake people there: every name starts with
// 演示 ("demo") and none has an ID number or a phone.
func Community(ctx context.Context, d CommunityDeps) error {
	admin := access.User{Username: "admin", Role: access.RoleAdmin}
	worker := access.User{Username: "binyang", Role: access.RoleHandler, Unit: "binyang"}
	volunteer := access.User{Username: "volunteer", Role: access.RoleVolunteer, Unit: "binyang"}
	if evs, _, err := d.Emergency.List(ctx, admin, "", "", 1, ""); err != nil || len(evs) > 0 {
		return err
	}
	building, err := d.Places.Building(ctx, "sanjiang-29")
	if err != nil {
		return fmt.Errorf("demo building: %w", err)
	}
	if hs, err := d.Places.Households(ctx, place.HouseholdFilter{Building: building.Code, Limit: 1}); err != nil {
		return err
	} else if len(hs) == 0 {
		if err := fakePeople(ctx, d, building); err != nil {
			return err
		}
	}
	// The typhoon, two months ago: declared, every resident reached within
	// three hours, two evacuated, one carried out by a rescue task.
	start := time.Now().UTC().AddDate(0, 0, -60).Truncate(time.Hour)
	ev, err := d.Emergency.Create(ctx, worker, emergency.NewEvent{Kind: emergency.Typhoon, Name: `台风"贝碧嘉"（演示）`, Level: "orange",
		StartedAt: &start, Compounds: []string{"sanjiang"}, Volunteers: []string{"volunteer"}})
	if err != nil {
		return fmt.Errorf("demo typhoon: %w", err)
	}
	checks, _, err := d.Emergency.Checks(ctx, worker, ev.ID, "", "", 500, "")
	if err != nil {
		return err
	}
	for i, c := range checks {
		at := start.Add(time.Duration(20+i*9) * time.Minute)
		upd := emergency.CheckUpdate{Status: emergency.Safe, OpID: fmt.Sprintf("demo-%s-%d", c.ID, i), At: &at}
		who := volunteer
		switch i % 4 {
		case 1:
			upd.Status, upd.Note = emergency.Evacuated, "转移到宾阳路街道避难点（演示）"
		case 3:
			who = worker
		}
		if i == 2 {
			help := at.Add(-5 * time.Minute)
			if _, err := d.Emergency.Check(ctx, who, ev.ID, c.ID, emergency.CheckUpdate{Status: emergency.NeedsHelp, Note: "水已到膝，行动不便（演示）", OpID: fmt.Sprintf("demo-help-%s", c.ID), At: &help}); err != nil {
				return err
			}
			t, err := d.Emergency.AddTask(ctx, worker, ev.ID, emergency.NewTask{What: "消防救援背出老人（演示）", Building: c.Building, Household: &c.Household, Assignee: "volunteer"})
			if err != nil {
				return err
			}
			if _, err := d.Emergency.UpdateTask(ctx, worker, ev.ID, t.ID, emergency.TaskUpdate{Status: emergency.TaskDone, Version: t.Version}); err != nil {
				return err
			}
			upd.Status, upd.Note = emergency.Evacuated, "消防员背出，送往区中心医院观察（演示）"
		}
		if _, err := d.Emergency.Check(ctx, who, ev.ID, c.ID, upd); err != nil {
			return fmt.Errorf("demo check: %w", err)
		}
	}
	if _, err := d.Emergency.Close(ctx, worker, ev.ID, 0); err != nil {
		return err
	}
	// The census, open, half the households of 29号楼 visited.
	name := "第七次人口普查入户登记（演示）"
	form := campaign.Form{Fields: []campaign.Field{
		{Code: "people", Label: "常住人数", Type: campaign.Number, Required: true},
		{Code: "housing", Label: "住房类型", Type: campaign.Choice, Required: true, Choices: []string{"自有", "租赁", "其他"}},
		{Code: "moved_in", Label: "迁入日期", Type: campaign.Date},
		{Code: "needs", Label: "需要的服务", Type: campaign.Multi, Choices: []string{"助餐", "助浴", "就医陪护"}},
		{Code: "elderly", Label: "有80岁以上老人", Type: campaign.Bool},
		{Code: "remark", Label: "备注", Type: campaign.Text},
	}}
	cols := []campaign.Collector{{User: "volunteer", Buildings: []string{building.Code}}}
	starts, ends := time.Now().AddDate(0, 0, -7).Format("2006-01-02"), time.Now().AddDate(0, 0, 21).Format("2006-01-02")
	c, err := d.Campaign.Create(ctx, worker, campaign.Input{Name: &name, Form: &form, Scope: &campaign.Scope{Buildings: []string{building.Code}},
		Collectors: &cols, Starts: &starts, Ends: &ends})
	if err != nil {
		return fmt.Errorf("demo campaign: %w", err)
	}
	if _, err := d.Campaign.SetStatus(ctx, worker, c.ID, campaign.Open, 0); err != nil {
		return err
	}
	hs, _, err := d.Campaign.Households(ctx, worker, c.ID, 500, "")
	if err != nil {
		return err
	}
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	for i, h := range hs[:len(hs)/2] {
		at := time.Now().UTC().AddDate(0, 0, -6+i/3).Add(time.Duration(i) * time.Hour)
		s := campaign.Submission{SubmissionID: fmt.Sprintf("demo-census-%s", h.Household), Household: h.Household, Outcome: campaign.Done, CollectedAt: &at,
			Answers: map[string]json.RawMessage{"people": raw(1 + i%4), "housing": raw([]string{"自有", "租赁"}[i%2]), "elderly": raw(i%3 == 0)}}
		switch i % 5 {
		case 3:
			s.Outcome, s.Answers = campaign.Absent, nil
		case 4:
			s.Outcome, s.Answers = campaign.Refused, nil
		}
		if _, err := d.Campaign.Submit(ctx, volunteer, c.ID, s); err != nil {
			return fmt.Errorf("demo submission: %w", err)
		}
	}
	return nil
}

// fakePeople registers twelve households of 29号楼 with one or two fake
// residents each, a few of them care-tagged.
func fakePeople(ctx context.Context, d CommunityDeps, b place.Building) error {
	names := []string{"演示·张阿婆", "演示·李老伯", "演示·王阿姨", "演示·赵老师", "演示·陈师傅", "演示·刘奶奶",
		"演示·周爷爷", "演示·吴阿姨", "演示·郑老伯", "演示·孙奶奶", "演示·钱师傅", "演示·冯阿婆"}
	tags := [][]registry.CareTag{{registry.ElderlyAlone}, {registry.Elderly80Plus, registry.MobilityImpaired}, nil, {registry.Disabled},
		{registry.ElderlyAlone, registry.Elderly80Plus}, nil}
	for i, n := range names {
		hh, err := d.Places.CreateHousehold(ctx, b, place.NewHousehold{Room: fmt.Sprintf("%d%02d", 1+i/6, 1+i%6), Kind: place.Residential})
		if err != nil {
			return fmt.Errorf("demo household: %w", err)
		}
		var id int64
		fmt.Sscan(hh.ID, &id)
		gender := []string{"f", "m"}[i%2]
		if _, err := d.Residents.Create(ctx, registry.Person{Household: id, Name: n, Gender: gender, Relation: "head", Residence: "registered",
			Tags: registry.TagMask(tags[i%len(tags)]), Status: registry.Active}, "demo"); err != nil {
			return fmt.Errorf("demo resident: %w", err)
		}
	}
	return nil
}
