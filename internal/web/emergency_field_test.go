package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"hotline/internal/access"
	"hotline/internal/app"
	"hotline/internal/app/fieldtest"
	"hotline/internal/community/emergency"
	"hotline/internal/seal"
)

func withDataKey(t *testing.T) func(*app.Config) {
	content, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	k, err := seal.Parse(content)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *app.Config) { c.DataKey = k }
}

// setOnline switches the network on or off with DevTools' network
// emulation, in the tab and in the field pages' service worker (its own
// target: the tab's emulation does not reach the worker's fetches), and
// tells the page (navigator.onLine, online/offline events).
func (u *user) setOnline(on bool) {
	u.b.t.Helper()
	offline := func(ctx context.Context) error {
		yes := true
		_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &yes,
			MatchedNetworkConditions:    []*network.Conditions{{Offline: !on, DownloadThroughput: -1, UploadThroughput: -1}},
		})
		return err
	}
	if u.sw == nil {
		// Targets lists the whole shared browser's targets: the field
		// worker of another test's user (its own server and browser
		// context, running beside this one) has the same path, so only
		// this user's browser context and this test's server count.
		// Picking another test's worker left this tab online at load 35.
		targets, err := chromedp.Targets(u.ctx)
		if err != nil {
			u.b.t.Fatal(err)
		}
		mine := chromedp.FromContext(u.ctx).BrowserContextID
		for _, ti := range targets {
			if ti.Type == "service_worker" && ti.BrowserContextID == mine && ti.URL == u.b.base+"/field/sw.js" {
				sw, cancel := chromedp.NewContext(u.ctx, chromedp.WithTargetID(ti.TargetID))
				u.b.t.Cleanup(cancel)
				if err := chromedp.Do(sw); err != nil {
					u.b.t.Fatalf("attach to the service worker: %v", err)
				}
				u.sw = sw
			}
		}
		if u.sw == nil {
			u.b.t.Fatal("no field service worker running")
		}
	}
	if err := offline(u.sw); err != nil {
		u.b.t.Fatalf("service worker network: %v", err)
	}
	u.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if err := offline(ctx); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: !on, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
	if on {
		return
	}
	// The page's own requests (the queue's POSTs; the worker passes them
	// by) must fail from now on. The emulation's answer may come before
	// the network obeys it: a patrol entry written just after reached the
	// server at load 35. /healthz is not one of the worker's cached paths,
	// so this fetch goes to the network as the POSTs do.
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		failed, err := chromedp.Run(u.ctx, chromedp.Evaluate[bool](`fetch('/healthz', {cache: 'no-store'}).then(() => false, () => true)`, chromedp.EvalAwaitPromise))
		if err == nil && failed {
			return
		}
		if time.Now().After(deadline) {
			u.b.t.Fatalf("%s: the page still reaches the server 45 s after going offline (%v)", u.name, err)
		}
	}
}

// waitJS polls a JavaScript condition until it is true, for up to 45 s: a
// service worker's first install took more than 15 s in a clean-clone CI
// run with two browser tests and the race step sharing the two cores. A
// wait that succeeds costs only the time it takes.
func (u *user) waitJS(cond string) {
	u.b.t.Helper()
	u.waitJSOr(cond, "")
}

// waitJSOr is waitJS that, when the wait fails, also reports what the
// promise-valued JavaScript expression why says.
func (u *user) waitJSOr(cond, why string) {
	u.b.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		ok, err := chromedp.Run(u.ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			html, _ := chromedp.Run(u.ctx, chromedp.OuterHTML(chromedp.CSS("main")))
			if why != "" {
				said, werr := chromedp.Run(u.ctx, chromedp.Evaluate[string](why, chromedp.EvalAwaitPromise))
				html = fmt.Sprintf("%s: %s %v\n%s", why, said, werr, html)
			}
			u.b.t.Fatalf("%s: waited 45 s for %s (%v)\n%s", u.name, cond, err, html)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// workerState says, for a failed wait, what the browser has of the field
// pages' service worker registration.
const workerState = `navigator.serviceWorker.getRegistration('/field/').then(r => r ? JSON.stringify({
	installing: r.installing && r.installing.state, waiting: r.waiting && r.waiting.state,
	active: r.active && r.active.state, controller: !!navigator.serviceWorker.controller}) : 'no registration')`

// fieldReady opens a field page and reloads it once the service worker
// controls it, so that the page and its data are kept for offline use.
func (u *user) fieldReady(path, ready string) {
	u.b.t.Helper()
	u.do(chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile), chromedp.Navigate(u.b.base+path))
	u.waitJS(ready)
	u.waitJSOr(`!!navigator.serviceWorker.controller`, workerState)
	u.do(chromedp.Reload())
	u.waitJS(ready)
}

// The check list on a phone that loses its connection: marks made offline
// wait on the phone (counted on the page), survive a reload without a
// connection, are sent once when it returns, and a mark that lost a race
// to a worker at the office is shown, not dropped.
func TestBrowserEmergencyOffline(t *testing.T) {
	b := newBrowser(t, withDataKey(t))
	fieldtest.SeedMain(t, b.m)
	ctx := context.Background()
	binyang := access.User{Username: "binyang", Role: access.RoleHandler, Unit: "binyang"}
	ev, err := b.m.Emergency.Create(ctx, binyang, emergency.NewEvent{Kind: emergency.Typhoon, Name: `台风"利奇马"`, Level: "orange",
		Compounds: []string{"sanjiang_t"}, Volunteers: []string{"volunteer"}})
	if err != nil {
		t.Fatal(err)
	}
	checks, _, err := b.m.Emergency.Checks(ctx, binyang, ev.ID, "", "", 10, "")
	if err != nil || len(checks) != 3 {
		t.Fatalf("checks %v %v", checks, err)
	}
	history := func() []emergency.HistoryEntry {
		h, _, err := b.m.Emergency.History(ctx, binyang, ev.ID, 100, "")
		if err != nil {
			t.Fatal(err)
		}
		return h
	}

	v := b.as("volunteer")
	// The way in: the header's 现场 link, the event on the field start page.
	v.do(chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile), chromedp.Navigate(b.base+"/"), chromedp.Click(chromedp.CSS(`header a[href="/field/"]`)))
	v.waitJS(fmt.Sprintf(`!!document.querySelector('#emergencies a[href="/field/emergencies/%s"]')`, ev.ID))
	v.screenshot("field_index")
	v.fieldReady("/field/emergencies/"+ev.ID, `document.querySelectorAll('#checks li[data-check]').length === 3`)
	v.screenshot("emergency_field")

	v.setOnline(false)
	v.waitJS(`document.querySelector('#net').classList.contains('off')`)
	c0, c1 := checks[0].ID, checks[1].ID
	v.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`li[data-check="%s"] button[data-status="safe"]`, c0))))
	// The mark re-renders the list: wait for it before typing into the
	// next card, whose old node is gone by then.
	v.waitJS(`document.querySelector('#waiting').dataset.n === "1"`)
	v.do(chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`li[data-check="%s"] .noteinput`, c1)), "转移到街道避难点"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`li[data-check="%s"] button[data-status="evacuated"]`, c1))))
	v.waitJS(`document.querySelector('#waiting').dataset.n === "2"`)
	// Meanwhile at the office, a worker marks the second resident.
	if _, err := b.m.Emergency.Check(ctx, binyang, ev.ID, c1, emergency.CheckUpdate{Status: emergency.Safe, OpID: "office-1"}); err != nil {
		t.Fatal(err)
	}
	// Reload without a connection: the page, its data and the waiting
	// changes are all still on the phone.
	v.do(chromedp.Reload())
	v.waitJS(`document.querySelectorAll('#checks li[data-check]').length === 3`)
	v.waitJS(`document.querySelector('#waiting').dataset.n === "2" && document.querySelectorAll('.badge.pending').length === 2`)
	// What the phone shows came from its own copy: the office's mark,
	// made after the phone lost its connection, is not there yet.
	if s := v.text(fmt.Sprintf(`li[data-check="%s"] .badge`, c1)); s != "未核查" {
		t.Errorf("offline reload shows check %s as %q: the data came from the server, not the phone's copy", c1, s)
	}
	v.screenshot("emergency_field_offline")
	if n := len(history()); n != 2 {
		t.Fatalf("while offline the server got %d history entries, want 2 (declare, the office's mark)", n)
	}

	v.setOnline(true)
	v.waitJS(`document.querySelector('#waiting').dataset.n === "0"`)
	v.waitJS(`document.querySelectorAll('.notice.lost').length === 1`)
	v.screenshot("emergency_field_lost")
	if lost := v.text(".notice.lost"); !strings.Contains(lost, "binyang") {
		t.Errorf("lost race notice %q does not say who marked it", lost)
	}
	h := history()
	var mine int
	for _, e := range h {
		if e.Actor == "volunteer" {
			mine++
			if e.Target != c0 {
				t.Errorf("the volunteer's stored change is on check %s, want %s", e.Target, c0)
			}
		}
	}
	if mine != 1 || len(h) != 3 {
		t.Errorf("history after reconnecting: %d entries, %d by the volunteer; want 3 and 1", len(h), mine)
	}
	got, _, _ := b.m.Emergency.Checks(ctx, binyang, ev.ID, "", "", 10, "")
	for _, c := range got {
		switch c.ID {
		case c0:
			if c.Status != emergency.Safe || c.CheckedBy != "volunteer" {
				t.Errorf("check %s: %s by %s", c.ID, c.Status, c.CheckedBy)
			}
		case c1:
			if c.Status != emergency.Safe || c.CheckedBy != "binyang" {
				t.Errorf("the race's winner was overwritten: %s by %s", c.Status, c.CheckedBy)
			}
		}
	}
	// The page reloads from the server once online.
	v.waitJS(fmt.Sprintf(`document.querySelector('li[data-check="%s"] .badge').textContent === "安全"`, c0))
}
