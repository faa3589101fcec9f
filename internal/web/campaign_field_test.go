package web

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/chromedp/chromedp"

	"hotline/internal/access"
	"hotline/internal/app/fieldtest"
	"hotline/internal/community/campaign"
)

// A collector's phone: the form validates as the server does, a visit
// recorded offline waits on the phone through a reload and is stored once
// when the connection returns.
func TestBrowserCampaignOffline(t *testing.T) {
	b := newBrowser(t, withDataKey(t))
	fieldtest.SeedMain(t, b.m)
	ctx := context.Background()
	binyang := access.User{Username: "binyang", Role: access.RoleHandler, Unit: "binyang"}
	name := "人口普查"
	form := campaign.Form{Fields: []campaign.Field{
		{Code: "people", Label: "常住人数", Type: campaign.Number, Required: true},
		{Code: "housing", Label: "住房类型", Type: campaign.Choice, Required: true, Choices: []string{"自有", "租赁"}},
		{Code: "needs", Label: "需要的服务", Type: campaign.Multi, Choices: []string{"助餐", "就医"}},
	}}
	cols := []campaign.Collector{{User: "volunteer", Buildings: []string{"sanjiang_t-29"}}}
	c, err := b.m.Campaign.Create(ctx, binyang, campaign.Input{Name: &name, Form: &form, Scope: &campaign.Scope{Compounds: []string{"sanjiang_t"}}, Collectors: &cols})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.m.Campaign.SetStatus(ctx, binyang, c.ID, campaign.Open, 0); err != nil {
		t.Fatal(err)
	}
	v := b.as("volunteer")
	v.fieldReady("/field/campaigns/"+c.ID, `document.querySelectorAll('#households li[data-household]').length === 5`)
	v.setOnline(false)
	v.do(chromedp.Click(chromedp.CSS(`#households li[data-household] .hhbtn`)))
	v.waitJS(`!document.querySelector('#visit').hidden`)
	// Required fields left empty: the phone says so and keeps nothing.
	v.do(chromedp.Click(chromedp.CSS(`#visit button[type=submit]`)))
	v.waitJS(`document.querySelector('#e-people').textContent !== ''`)
	v.waitJS(`document.querySelector('#waiting').dataset.n === "0"`)
	v.do(chromedp.SendKeys(chromedp.CSS(`#f-people`), "3"), setSelect(`#f-housing`, "租赁"),
		chromedp.Click(chromedp.CSS(`#f-needs input[value="就医"]`)))
	v.screenshot("campaign_field")
	v.do(chromedp.Click(chromedp.CSS(`#visit button[type=submit]`)))
	v.waitJS(`document.querySelector('#waiting').dataset.n === "1"`)
	v.do(chromedp.Reload())
	v.waitJS(`document.querySelectorAll('#households li[data-household]').length === 5 && document.querySelector('#waiting').dataset.n === "1"`)
	admin := access.User{Username: "admin", Role: access.RoleAdmin}
	if _, subs, err := b.m.Campaign.Export(ctx, admin, c.ID, "test"); err != nil || len(subs) != 0 {
		t.Fatalf("while offline the server holds %d submissions (%v)", len(subs), err)
	}
	v.setOnline(true)
	v.waitJS(`document.querySelector('#waiting').dataset.n === "0"`)
	_, subs, err := b.m.Campaign.Export(ctx, admin, c.ID, "test")
	if err != nil || len(subs) != 1 {
		t.Fatalf("after reconnecting the server holds %d submissions (%v), want 1", len(subs), err)
	}
	got, _ := json.Marshal(subs[0].Answers)
	if string(got) != `{"housing":"租赁","needs":["就医"],"people":3}` || subs[0].Outcome != campaign.Done || subs[0].Collector != "volunteer" {
		t.Errorf("stored %s %s by %s", got, subs[0].Outcome, subs[0].Collector)
	}
	v.waitJS(`document.querySelector('#households .badge.o-done') !== null`)
}
