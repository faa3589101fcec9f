package web

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"hotline/internal/api"
	"hotline/internal/app"
	"hotline/internal/order"
	"hotline/internal/service"
	"hotline/internal/testenv"
)

// The browser tests drive Debian's Chromium through chromedp against the
// real server started in-process. HOTLINE_CHROMIUM names the browser
// (default: chromium-headless-shell, else chromium; testenv.Chromium);
// HOTLINE_SCREENSHOTS=1 also saves a
// screenshot of each main page to docs/screenshots/.

type browser struct {
	t    *testing.T
	base string
	m    *app.Main
	root context.Context
	shot string // screenshot folder, "" for none
}

func newBrowser(t *testing.T, opts ...func(*app.Config)) *browser {
	t.Helper()
	testenv.SkipUnderRace(t, "a browser test of the pages")
	bin := testenv.Chromium(t)
	// Every browser test runs beside the others (as many at once as go
	// test's -parallel, browserParallel unless given; sched_test.go): each
	// has its own server and database, and spends most of its time waiting
	// on the browser's round trips, so two overlap in about the time of one
	// (issue 13: the browser tests were most of internal/web's 200 s).
	// Call newBrowser before anything the test must do alone.
	parallel(t)
	root, err := chromium.get(bin)
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	m, base := server(t, opts...)
	b := &browser{t: t, base: base, m: m, root: root}
	if os.Getenv("HOTLINE_SCREENSHOTS") != "" {
		b.shot = filepath.Join("..", "..", "docs", "screenshots")
		if err := os.MkdirAll(b.shot, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// chromium is the one browser process the package's tests share (each
// user of each test has a browser context of its own, as separate as
// another browser's profile: cookies, storage, service workers). A browser
// per test cost ~1.9 s of CPU to start and most of the package's CPU was
// the browsers' (issue 13). TestMain closes it.
var chromium sharedBrowser

type sharedBrowser struct {
	once  sync.Once
	root  context.Context
	err   error
	close func()
}

func (s *sharedBrowser) get(bin string) (context.Context, error) {
	s.once.Do(func() {
		dir, err := os.MkdirTemp("", "hotline-chromium-")
		if err != nil {
			s.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true), chromedp.UserDataDir(dir),
			chromedp.WindowSize(1280, 900),
		)
		// HOTLINE_CHROME_FLAGS adds Chromium switches ("name" or
		// "name=value", space-separated) for experiments with the
		// browser's cost (docs/benchmarks.md, issue 13's sixth round).
		for _, f := range strings.Fields(os.Getenv("HOTLINE_CHROME_FLAGS")) {
			k, v, ok := strings.Cut(f, "=")
			if ok {
				opts = append(opts, chromedp.Flag(k, v))
			} else {
				opts = append(opts, chromedp.Flag(k, true))
			}
		}
		actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
		var copts []chromedp.ContextOption
		if os.Getenv("HOTLINE_CDP_DEBUG") != "" {
			copts = append(copts, chromedp.WithDebugf(log.Printf))
		}
		root, rcancel := chromedp.NewContext(actx, copts...)
		s.close = func() { rcancel(); acancel(); os.RemoveAll(dir) }
		if s.err = chromedp.Do(root); s.err != nil {
			return
		}
		s.root = root
	})
	return s.root, s.err
}

func (s *sharedBrowser) stop() {
	if s.close != nil {
		s.close()
	}
}

// user is one person at their own browser (a separate browser context, so
// separate cookies).
type user struct {
	b    *browser
	name string
	ctx  context.Context
	sw   context.Context // the field pages' service worker (emergency_field_test.go)
}

// as opens a browser context for name, already logged in: the session
// comes from the real /login form handler, posted by the test's HTTP
// client (an argon2 check like any login), and is put in the context's
// cookie jar. No page is open yet; the first open or Navigate loads one.
// Typing into the login form and loading the home page for each of the
// ~45 users of the package cost ~1 s of Chromium's work per user (2–6 s on
// a loaded machine, more than half of some tests' time; issue 13).
// TestBrowserLifecycle logs its first user in through the form (asByForm),
// and TestWebLoginCookieAndThrottle covers the form's answers.
func (b *browser) as(name string) *user {
	b.t.Helper()
	type result struct {
		c   *http.Cookie
		err error
	}
	// The login runs while Chromium opens the tab.
	got := make(chan result, 1)
	go func() {
		c, err := b.session(name)
		got <- result{c, err}
	}()
	u := b.tab(name)
	r := <-got
	if r.err != nil {
		b.t.Fatalf("log %s in: %v", name, r.err)
	}
	httpOnly := r.c.HttpOnly
	u.do(chromedp.EmulateViewport(1280, 900), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: r.c.Name, Value: r.c.Value,
			URL: b.base + "/", Path: r.c.Path, HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax})
		return err
	}))
	return u
}

// session logs name in through the /login form's handler and returns the
// session cookie it sets.
func (b *browser) session(name string) (*http.Cookie, error) {
	c := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(b.base+"/login", url.Values{"username": {name}, "password": {"demo12345"}})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == api.SessionCookie && ck.Value != "" {
			return ck, nil
		}
	}
	return nil, fmt.Errorf("no session cookie from /login: %s", resp.Status)
}

// tab opens a tab in a new browser context: as separate as another
// browser's profile (cookies, storage, service workers).
func (b *browser) tab(name string) *user {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	// The first Do opens the tab for the life of ctx: it must not get a
	// shorter-lived context, or the tab's event loop stops with it.
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a tab for %s: %v", name, err)
	}
	return &user{b: b, name: name, ctx: ctx}
}

// asByForm logs name in the way a person does: the login page, the form,
// Enter, and the home page with their name in the header.
func (b *browser) asByForm(name string) *user {
	b.t.Helper()
	u := b.tab(name)
	u.do(chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(b.base+"/login"),
		chromedp.SendKeys(chromedp.CSS("#username"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), "demo12345\r"),
		chromedp.WaitVisible(chromedp.CSS("header .who")))
	// The home page is shown, but may still be loading: a click on a node
	// of a document that is still settling can miss it ("Could not find
	// node with given id", seen once at load 9 with the race step beside).
	u.waitJS(`document.readyState === "complete"`)
	return u
}

// stepTimeout bounds one do: the page loads and waits in it end on their
// conditions, so a step that succeeds costs only its own time. 20 s was
// too short for the registry's care list and the dashboard at load 30
// with four browser tests at once; waitJS allows 45 s.
const stepTimeout = 45 * time.Second

func (u *user) do(steps ...chromedp.Action[chromedp.Void]) {
	u.b.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(u.ctx, chromedp.Location())
		html, _ := chromedp.Run(u.ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		u.b.t.Fatalf("%s at %s: %v\n%s", u.name, loc, err, html)
	}
}

func (u *user) text(sel string) string {
	u.b.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		u.b.t.Fatalf("%s: text of %s: %v", u.name, sel, err)
	}
	return s
}

func (u *user) eval(js string) string {
	u.b.t.Helper()
	s, err := chromedp.Run(u.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		u.b.t.Fatalf("%s: eval %s: %v", u.name, js, err)
	}
	return s
}

// clickAway clicks sel and waits until the browser shows the page the
// click led to. The page before may already show a flash (a check-in's,
// the last form's), so waiting for ".flash.ok" alone races the navigation.
func (u *user) clickAway(sel string) {
	u.b.t.Helper()
	u.eval(`String(window.__leaving = true)`)
	u.do(chromedp.Click(chromedp.CSS(sel)))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		v, err := chromedp.Run(u.ctx, chromedp.Evaluate[string](`String(window.__leaving !== true && document.readyState === "complete")`))
		if err == nil && v == "true" {
			return
		}
		if time.Now().After(deadline) {
			u.b.t.Fatalf("%s: clicking %s led to no new page", u.name, sel)
		}
	}
}

func (u *user) open(path string) { u.do(chromedp.Navigate(u.b.base + path)) }

// act opens an action's form on the order page, fills it and submits it.
func (u *user) act(id string, action string, fill ...chromedp.Action[chromedp.Void]) {
	u.b.t.Helper()
	u.open("/orders/" + id)
	steps := []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS("details.act-" + action + " > summary"))}
	steps = append(steps, fill...)
	steps = append(steps, chromedp.Click(chromedp.CSS("details.act-"+action+" button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	u.do(steps...)
}

// screenshot saves the page as docs/screenshots/NAME.png when asked to.
func (u *user) screenshot(name string) {
	if u.b.shot == "" {
		return
	}
	u.b.t.Helper()
	png, err := chromedp.Run(u.ctx, chromedp.FullScreenshot(100))
	if err == nil && len(png) > 300<<10 {
		png, err = chromedp.Run(u.ctx, chromedp.CaptureScreenshot())
	}
	if err != nil {
		u.b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(u.b.shot, name+".png"), png, 0o644); err != nil {
		u.b.t.Fatal(err)
	}
}

func (u *user) status(id string) order.Status {
	u.b.t.Helper()
	o, err := u.b.m.Store.GetOrder(context.Background(), id)
	if err != nil {
		u.b.t.Fatal(err)
	}
	return o.Status
}

// setSelect chooses an option and fires change (for htmx).
func setSelect(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, sel, value))(ctx, t)
		return err
	})
}

var orderLink = regexp.MustCompile(`/orders/(\d+)`)

// TestBrowserLifecycle walks one complaint through its whole life, each step
// as the right user in the UI.
func TestBrowserLifecycle(t *testing.T) {
	b := newBrowser(t)
	start := time.Now()

	login, lcancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	defer lcancel()
	if err := chromedp.Do(login); err != nil {
		t.Fatal(err)
	}
	lu := &user{b: b, name: "anonymous", ctx: login}
	lu.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(b.base+"/login"), chromedp.WaitVisible(chromedp.CSS("#username")))
	if !strings.Contains(lu.text(".demo"), "binyang") {
		t.Error("demo accounts are not listed on the login page in demo mode")
	}
	lu.screenshot("login")

	// Intake, by keyboard: type, tab, Enter.
	op := b.asByForm("operator")
	op.open("/intake")
	title := "浏览器测试：三江小区夜间施工噪音扰民"
	op.do(
		chromedp.SendKeys(chromedp.CSS("#title"), title),
		chromedp.SendKeys(chromedp.CSS("#description"), "三江小区29号楼旁的工地晚上十一点还在打桩，噪音很大，老人孩子都睡不着。"),
		chromedp.WaitVisible(chromedp.CSS("#assist h3")),
		chromedp.SendKeys(chromedp.CSS("#caller_name"), "测试先生"),
		setSelect("#compound", "sanjiang"),
		chromedp.WaitReady(chromedp.CSS(`#building option[value="29号楼"]`)),
		setSelect("#building", "29号楼"),
		setSelect("#category", "environment.noise"),
	)
	op.screenshot("intake")
	op.do(chromedp.SendKeys(chromedp.CSS("#caller_phone"), "13800009999\r"), chromedp.WaitVisible(chromedp.CSS(".flash.ok a")))
	banner := op.eval(`document.querySelector('.flash.ok a').getAttribute('href')`)
	m := orderLink.FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("no order link in the intake banner: %q", banner)
	}
	id := m[1]
	if st := op.status(id); st != order.Received {
		t.Fatalf("after intake: %s", st)
	}

	// Dispatch from the queue: the suggested unit (the category's) is preselected.
	disp := b.as("dispatcher")
	disp.open("/queue?tab=received")
	if got := disp.eval(fmt.Sprintf(`document.querySelector('#u-%s').value`, id)); got != "cityops" {
		t.Errorf("preselected unit %q, want the category's unit cityops", got)
	}
	disp.screenshot("queue")
	disp.do(setSelect("#u-"+id, "binyang"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/orders/%s/act/dispatch"] button`, id))),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	if st := op.status(id); st != order.Dispatched {
		t.Fatalf("after dispatch: %s", st)
	}

	// The unit, on a phone: sign, contact, reply.
	h := b.as("binyang")
	h.do(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	handle := func(round int) {
		h.open("/inbox?step=sign")
		h.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/orders/%s/act/accept"] button`, id))), chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
		h.open("/inbox?step=contact")
		if round == 1 {
			if over := h.eval(`String(document.documentElement.scrollWidth > window.innerWidth)`); over != "false" {
				t.Errorf("the inbox is wider than a 375-px phone")
			}
			h.screenshot("inbox-phone")
		}
		h.do(chromedp.SendKeys(chromedp.CSS("#c-"+id), "已电话联系市民，约定明天上午到现场查看。"),
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/orders/%s/act/contact"] button`, id))),
			chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
		h.act(id, "note", setSelect("#note-kind", "site_visit"), chromedp.SendKeys(chromedp.CSS("#note-text"), "现场查看：工地夜间打桩，已要求停工整改。"))
		h.act(id, "reply", setSelect("#reply-result", "resolved"), chromedp.SendKeys(chromedp.CSS("#reply-text"), fmt.Sprintf("第%d轮：已协调工地夜间停止施工。", round)))
		if st := h.status(id); st != order.Replied {
			t.Fatalf("round %d after reply: %s", round, st)
		}
	}
	handle(1)

	// Review, then the callback: dissatisfied, reopened in the same step.
	disp.act(id, "approve_reply", chromedp.SendKeys(chromedp.CSS("#approve_reply-note"), "答复完整"))
	disp.open("/orders/" + id + "/callback")
	disp.do(chromedp.Click(chromedp.CSS(`input[name=outcome][value=dissatisfied]`)),
		chromedp.Click(chromedp.CSS(`input[name=resolved][value=no]`)),
		chromedp.SendKeys(chromedp.CSS("#cb-note"), "市民表示晚上仍有噪音"),
		chromedp.Click(chromedp.CSS(`input[name=reopen]`)),
		chromedp.SendKeys(chromedp.CSS("#reopen-note"), "市民不满意，请重新处理"))
	disp.screenshot("callback")
	disp.do(chromedp.Click(chromedp.CSS(`form[action$="/callback"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	if o, _ := b.m.Store.GetOrder(context.Background(), id); o.Status != order.Dispatched || o.Round != 2 || o.Unit != "binyang" {
		t.Fatalf("after the dissatisfied callback and reopen: %s round %d unit %s", o.Status, o.Round, o.Unit)
	}

	handle(2)
	disp.act(id, "approve_reply")
	op.open("/orders/" + id + "/callback")
	op.do(chromedp.Click(chromedp.CSS(`input[name=outcome][value=satisfied]`)),
		chromedp.Click(chromedp.CSS(`input[name=resolved][value=yes]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/callback"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	if st := op.status(id); st != order.Closed {
		t.Fatalf("after the satisfied callback: %s", st)
	}
	disp.open("/orders/" + id)
	if tl := disp.text(".timeline"); !strings.Contains(tl, "重办") || !strings.Contains(tl, "回访") {
		t.Errorf("timeline lacks the reopen or callback:\n%s", tl)
	}
	disp.screenshot("order")
	t.Logf("lifecycle walked in %s", time.Since(start).Round(time.Millisecond))
}

// TestBrowserMainPages: the rest of the main pages, for the screenshots and
// a smoke check. They were the tail of TestBrowserLifecycle, the package's
// longest test and so its critical path once the tests run side by side
// (issue 13); they need none of its order.
func TestBrowserMainPages(t *testing.T) {
	b := newBrowser(t)
	lead := b.as("leader")
	lead.open("/board")
	lead.do(chromedp.WaitVisible(chromedp.CSS(".stats")))
	lead.screenshot("board")
	disp := b.as("dispatcher")
	disp.open("/search?type=complaint")
	disp.do(chromedp.WaitVisible(chromedp.CSS("table.tbl")))
	disp.screenshot("search")
	h := b.as("binyang")
	h.do(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	h.open("/notifications")
	h.screenshot("notifications-phone")
	adm := b.as("admin")
	adm.open("/admin/calendar?year=2026")
	adm.screenshot("admin-calendar")
	adm.open("/admin/policy")
	adm.screenshot("admin-policy")
	disp.open("/queue?tab=received&lang=en")
	disp.screenshot("queue-en")
}

// TestBrowserRefusedAndStale: a handler opening another unit's order gets
// a clear 403 page; a page loaded before someone else's change gets the
// "someone else changed this order" message and keeps what was typed.
func TestBrowserRefusedAndStale(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	// A binyang order of the demo.
	list, _, err := b.m.Svc.ListOrders(ctx, service.Actor{Username: "binyang", Role: order.RoleHandler, Unit: "binyang"}, service.ListQuery{Limit: 1})
	if err != nil || len(list) == 0 {
		t.Fatalf("no binyang order: %v", err)
	}
	co := b.as("cityops")
	co.open("/orders/" + list[0].ID)
	if code := co.text(".errcode"); code != "403" {
		t.Errorf("cityops opening a binyang order: HTTP %s, want 403", code)
	}
	if msg := co.text("main"); !strings.Contains(msg, "属于其他单位") {
		t.Errorf("refusal page does not say why:\n%s", msg)
	}
	if strings.Contains(co.text("main"), list[0].Title) {
		t.Error("the refusal page shows the order's title")
	}
	co.screenshot("refused")

	// A received order: the dispatcher opens it, someone else dispatches
	// it meanwhile, then the dispatcher submits.
	recv, _, err := b.m.Svc.ListOrders(ctx, service.Actor{Username: "dispatcher", Role: order.RoleDispatcher}, service.ListQuery{Status: []order.Status{order.Received}, Limit: 1})
	if err != nil || len(recv) == 0 {
		t.Fatalf("no received order: %v", err)
	}
	o := recv[0]
	d := b.as("dispatcher")
	d.open("/orders/" + o.ID)
	d.do(chromedp.Click(chromedp.CSS("details.act-dispatch > summary")),
		chromedp.SendKeys(chromedp.CSS("#dispatch-note"), "请尽快处理（我写的备注）"))
	other := service.Actor{Username: "leader", Role: order.RoleLeader}
	if _, err := b.m.Svc.Act(ctx, other, o.ID, order.ActUrge, order.Input{Version: &o.Version, Note: "催一下"}); err != nil {
		t.Fatal(err)
	}
	d.do(chromedp.Click(chromedp.CSS("details.act-dispatch button[type=submit]")), chromedp.WaitVisible(chromedp.CSS(".flash.stale")))
	if msg := d.text(".flash.stale"); !strings.Contains(msg, "有人") {
		t.Errorf("stale message: %q", msg)
	}
	if kept := d.eval(`document.querySelector('#dispatch-note').value`); kept != "请尽快处理（我写的备注）" {
		t.Errorf("the typed note was lost: %q", kept)
	}
	d.screenshot("stale")
	// Submitting again (now on the fresh version) works.
	d.do(chromedp.Click(chromedp.CSS("details.act-dispatch button[type=submit]")), chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	if st := d.status(o.ID); st != order.Dispatched {
		t.Errorf("after resubmitting: %s", st)
	}
}
