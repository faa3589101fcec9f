package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"hotline/internal/access"
	"hotline/internal/app/fieldtest"
	"hotline/internal/community/emergency"
)

// phoneHolds reports what the field pages keep in the browser: how many
// API answers (check lists, households, forms) the service worker's caches
// hold, and whether the offline queue's IndexedDB database exists.
func (u *user) phoneHolds() string {
	u.b.t.Helper()
	u.eval(`String(window.__probe = null)`)
	u.eval(`(async () => {
		let api = 0;
		for (const k of await caches.keys()) {
			const c = await caches.open(k);
			for (const r of await c.keys()) if (new URL(r.url).pathname.startsWith('/api/')) api++;
		}
		const db = (await indexedDB.databases()).some((d) => d.name === 'hotline-offline');
		window.__probe = 'api=' + api + ' db=' + db;
	})(), 'started'`)
	u.waitJS(`window.__probe !== null`)
	return u.eval(`String(window.__probe)`)
}

// Logging out of a phone clears the field pages' data from it — the
// service worker's copies of the check list and the offline queue — but
// first warns when changes have not been sent, and staying keeps them so
// they are sent once the connection is back.
func TestBrowserLogoutClearsPhone(t *testing.T) {
	b := newBrowser(t, withDataKey(t))
	fieldtest.SeedMain(t, b.m)
	ctx := context.Background()
	binyang := access.User{Username: "binyang", Role: access.RoleHandler, Unit: "binyang"}
	ev, err := b.m.Emergency.Create(ctx, binyang, emergency.NewEvent{Kind: emergency.Typhoon, Name: "台风", Level: "orange",
		Compounds: []string{"sanjiang_t"}, Volunteers: []string{"volunteer"}})
	if err != nil {
		t.Fatal(err)
	}
	checks, _, err := b.m.Emergency.Checks(ctx, binyang, ev.ID, "", "", 10, "")
	if err != nil || len(checks) != 3 {
		t.Fatalf("checks %v %v", checks, err)
	}
	v := b.as("volunteer")
	v.fieldReady("/field/emergencies/"+ev.ID, `document.querySelectorAll('#checks li[data-check]').length === 3`)

	v.setOnline(false)
	v.do(chromedp.Click(chromedp.CSS(`li[data-check="` + checks[0].ID + `"] button[data-status="safe"]`)))
	v.waitJS(`document.querySelector('#waiting').dataset.n === "1"`)
	if got := v.phoneHolds(); !strings.Contains(got, "db=true") || strings.HasPrefix(got, "api=0 ") {
		t.Fatalf("before logout the phone holds %q; want cached API answers and the queue", got)
	}
	// Logging out with a change not sent: warned, and staying keeps it.
	v.do(chromedp.Click(chromedp.CSS(`#logout button`)))
	v.waitJS(`!!document.querySelector('#logout-warn[open]')`)
	if s := v.text("#logout-warn p"); !strings.Contains(s, "1") {
		t.Errorf("warning %q does not say how many changes wait", s)
	}
	v.screenshot("logout_unsent")
	v.do(chromedp.Click(chromedp.CSS(`#logout-stay`)))
	v.waitJS(`!document.querySelector('#logout-warn') && location.pathname.startsWith('/field/') && document.querySelector('#waiting').dataset.n === "1"`)

	v.setOnline(true)
	v.waitJS(`document.querySelector('#waiting').dataset.n === "0"`)
	got, _, _ := b.m.Emergency.Checks(ctx, binyang, ev.ID, "", "", 10, "")
	if got[0].Status != emergency.Safe || got[0].CheckedBy != "volunteer" {
		t.Fatalf("the change kept by staying was not sent: %+v", got[0])
	}
	// The field page's queue lets its database go when asked: a deletion
	// is not blocked by the page's open connection (it was, and the empty
	// database stayed until the page was gone — seen 15 s after the
	// logout at load 40, and for as long as a page sits in the
	// back/forward cache).
	v.eval(`String(window.__del = null)`)
	v.eval(`(() => { const r = indexedDB.deleteDatabase('hotline-offline');
		r.onsuccess = () => { window.__del = 'deleted'; }; r.onblocked = () => { window.__del = 'blocked'; }; return 'started'; })()`)
	v.waitJS(`window.__del !== null`)
	if got := v.eval(`String(window.__del)`); got != "deleted" {
		t.Fatalf("deleting the queue's database beside the field page: %s, want deleted", got)
	}
	// Nor does the queue make it anew when it looks for changes to send
	// (every 5 s, and when the phone comes online): it did, and when that
	// look came between logout's deletion and the page going, the empty
	// database stayed on the phone (under load, with chromium-headless-shell).
	v.eval(`String(window.__look = null)`)
	v.eval(`(async () => {
		const q = await import('/static/offline/queue.js');
		const n = await new q.Queue('probe').count();
		const db = (await indexedDB.databases()).some((d) => d.name === 'hotline-offline');
		window.__look = n + ' waiting, db=' + db;
	})().catch((e) => { window.__look = String(e); }), 'started'`)
	v.waitJS(`window.__look !== null`)
	if got := v.eval(`String(window.__look)`); got != "0 waiting, db=false" {
		t.Fatalf("the queue's look for changes after the deletion: %s, want 0 waiting, db=false", got)
	}
	// Nothing waits now: logging out asks nothing and clears the phone.
	v.do(chromedp.Click(chromedp.CSS(`#logout button`)))
	v.waitJS(`location.pathname === '/login'`)
	holds := v.phoneHolds()
	for deadline := time.Now().Add(15 * time.Second); holds != "api=0 db=false" && time.Now().Before(deadline); holds = v.phoneHolds() {
		time.Sleep(100 * time.Millisecond)
	}
	if holds != "api=0 db=false" {
		t.Errorf("after logout the phone still holds %q", holds)
	}
}

// TestBrowserWorkerRegistrationRetried: a phone whose first registration of
// the field pages' service worker fails (as when the connection drops while
// its script loads) registers it a few seconds later, with no reload, and
// the page comes under its control. The failure is the page's first
// register() call rejecting, as the browser's would: Chromium fetches a
// worker's script past the page's request blocking.
func TestBrowserWorkerRegistrationRetried(t *testing.T) {
	b := newBrowser(t, withDataKey(t))
	fieldtest.SeedMain(t, b.m)
	v := b.as("volunteer")
	const failFirst = `(() => {
		const sw = navigator.serviceWorker;
		if (!sw) return;
		const real = sw.register.bind(sw);
		window.registerCalls = 0;
		sw.register = (...args) => window.registerCalls++ === 0 ? Promise.reject(new TypeError('network error (test)')) : real(...args);
	})()`
	v.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: failFirst})
		return err
	}), chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile), chromedp.Navigate(b.base+"/field/"))
	v.waitJSOr(`!!navigator.serviceWorker.controller`, workerState)
	// Controlled, on this page load, after a first call that failed.
	if calls, err := chromedp.Run(v.ctx, chromedp.Evaluate[int](`window.registerCalls`)); err != nil || calls < 2 {
		t.Fatalf("register() called %d times (%v); want the failed one and a later one", calls, err)
	}
}

// TestBrowserWorkerClaimsUncontrolledPage: a field page that is not under
// the active worker's control — it loaded while the worker was activating
// (a make test run caught an emergency page so: worker "activated", no
// controller, for 45 s), or by a reload that bypassed the worker, as here
// — asks the worker to claim it, and so works offline without another load.
func TestBrowserWorkerClaimsUncontrolledPage(t *testing.T) {
	b := newBrowser(t, withDataKey(t))
	fieldtest.SeedMain(t, b.m)
	v := b.as("volunteer")
	ready := `!!document.querySelector('#emergencies')`
	v.fieldReady("/field/", ready)
	yes := true
	v.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.Reload, page.ReloadParams{IgnoreCache: &yes})
		return err
	}))
	v.waitJS(ready)
	v.waitJSOr(`!!navigator.serviceWorker.controller`, workerState)
}
