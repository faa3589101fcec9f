package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hotline/internal/testenv"
)

// TestPortalOnAPhone drives the citizen portal in Debian's chromium at a
// phone's size (390×844, mobile emulation), in zh-CN: report, the number
// and link, tracking by number + 4 digits while the order is handled, the
// reply, the rating. It checks no page is wider than the phone. With
// HOTLINE_SCREENSHOTS=1 it saves docs/screenshots/portal-*.png.
// HOTLINE_CHROMIUM names the browser (default: testenv.Chromium). Serial:
// a browser's waits are timed, and the package's parallel tests would only
// load the cores under it.
func TestPortalOnAPhone(t *testing.T) {
	testenv.SkipUnderRace(t, "a browser test of the pages")
	bin := testenv.Chromium(t)
	s := start(t, testenv.SQLiteURL(t))
	shots := ""
	if os.Getenv("HOTLINE_SCREENSHOTS") != "" {
		shots = filepath.Join("..", "..", "docs", "screenshots")
	}
	aopts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("lang", "zh-CN"), chromedp.Env("LANGUAGE=zh_CN", "LANG=zh_CN.UTF-8"), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(390, 844),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), aopts...)
	defer acancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cl := context.WithTimeout(ctx, 20*time.Second)
		defer cl()
		if err := chromedp.Do(c, steps...); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
			t.Fatalf("%v\n%s", err, html)
		}
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("eval %s: %v", js, err)
		}
		return v
	}
	text := func(sel string) string {
		t.Helper()
		c, cl := context.WithTimeout(ctx, 10*time.Second)
		defer cl()
		v, err := chromedp.Run(c, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	// fits checks the page needs no sideways scrolling and every control
	// is inside the screen, then saves the screenshot.
	fits := func(name string) {
		t.Helper()
		if w := eval(`String(document.documentElement.scrollWidth) + "/" + String(window.innerWidth)`); strings.Split(w, "/")[0] != strings.Split(w, "/")[1] {
			t.Errorf("%s: the page is wider than the phone (scroll width / screen: %s)", name, w)
		}
		if out := eval(`Array.from(document.querySelectorAll("input:not([type=hidden]):not([name=website]),select,textarea,button")).filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.left < 0 || r.right > window.innerWidth) }).map(e => e.name || e.tagName).join(",")`); out != "" {
			t.Errorf("%s: controls outside the screen: %s", name, out)
		}
		if shots == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, "portal-"+name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// setSelect chooses an option by value, or by index when value is "".
	setSelect := func(sel, value string, index int) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(c context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (%q) { e.value = %q } else { e.selectedIndex = %d }; return e.selectedIndex >= 0 })()`, sel, value, value, index))(c, tg)
			return err
		})
	}

	do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(s.base+"/portal/"),
		chromedp.WaitVisible(chromedp.CSS(`textarea[name=description]`)))
	if lang := eval(`document.documentElement.lang`); lang != "zh-CN" {
		t.Fatalf("portal language %q, want zh-CN", lang)
	}
	visible := func(sel string) bool {
		return eval(fmt.Sprintf(`String(document.querySelector(%q).offsetParent !== null)`, sel)) == "true"
	}
	if visible(`input[name=praised]`) {
		t.Errorf("the complaint form shows the praise field")
	}
	fits("report")
	do(setSelect(`select[name=type]`, "praise", 0))
	if eval(`document.querySelector("select[name=type]").value`) != "praise" || !visible(`input[name=praised]`) {
		t.Errorf("choosing praise does not show the praise field")
	}

	// Report: a complaint at a compound of the registry, with a phone.
	do(setSelect(`select[name=type]`, "complaint", 0),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=description]`), "小区3号楼门口的路灯坏了一个多星期，晚上很黑，老人出门不安全，请尽快修理。"),
		setSelect(`select[name=compound]`, "", 1),
		chromedp.SendKeys(chromedp.CSS(`input[name=building]`), "3号楼"),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "李女士"),
		chromedp.SendKeys(chromedp.CSS(`input[name=phone]`), "13812345678"),
		chromedp.Click(chromedp.CSS(`form[action="/portal/report"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.done .number`)))
	number := strings.TrimSpace(text(`.done .number`))
	if len(number) != 13 {
		t.Fatalf("order number %q", number)
	}
	link := strings.TrimSpace(text(`.done .link a`))
	if !strings.HasPrefix(link, s.base+"/portal/t/") {
		t.Fatalf("tracking link %q", link)
	}
	fits("done")

	// Staff handle it through the API: dispatch, sign, contact, reply,
	// approve the reply.
	o, err := s.m.Store.GetOrderByNumber(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	if o.Caller.Phone != "13812345678" || o.Source != "web" || o.Type != "complaint" || o.Compound == "" || o.Building != "3号楼" {
		t.Fatalf("stored order: %+v", o)
	}
	staff := apiClient{t: t, base: s.base, tokens: map[string]string{}}
	staff.act("dispatcher", o.ID, "dispatch", obj{"unit": "binyang"})

	// Tracking by number + last 4 digits while it is being handled.
	do(chromedp.Navigate(s.base+"/portal/track"), chromedp.WaitVisible(chromedp.CSS(`input[name=number]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=number]`), number),
		chromedp.SendKeys(chromedp.CSS(`input[name=phone]`), "5678"),
		chromedp.Click(chromedp.CSS(`form[action="/portal/track"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.status`)))
	if got := strings.TrimSpace(text(`.card .number`)); got != number {
		t.Fatalf("tracked %q, want %q", got, number)
	}
	page := text(`main`)
	for _, want := range []string{"已转交承办单位", "宾阳路居委会", "答复期限", "已派单"} {
		if !strings.Contains(page, want) {
			t.Errorf("tracking page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "13812345678") || strings.Contains(page, "李女士") || strings.Contains(page, "路灯坏了") {
		t.Errorf("tracking page shows the caller or the description:\n%s", page)
	}
	fits("track")

	staff.act("binyang", o.ID, "accept", obj{})
	staff.act("binyang", o.ID, "contact", obj{"note": "已电话联系李女士，约定今天下午到现场查看。"})
	staff.act("binyang", o.ID, "reply", obj{"result": "resolved", "text": "已安排物业更换3号楼门口路灯灯泡，现已恢复照明。感谢您的反映。"})
	staff.act("dispatcher", o.ID, "approve_reply", obj{})

	// The link shows the reply and the rating form; rate it.
	do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`form[action="/portal/rate"]`)))
	if page := text(`main`); !strings.Contains(page, "恢复照明") {
		t.Errorf("the approved reply is not on the tracking page:\n%s", page)
	}
	fits("replied")
	do(chromedp.Click(chromedp.CSS(`input[name=outcome][value=satisfied]`)),
		chromedp.Click(chromedp.CSS(`input[name=resolved][value=yes]`)),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=comment]`), "修得很快，谢谢！"),
		chromedp.Click(chromedp.CSS(`form[action="/portal/rate"] button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`form[action="/portal/rate"]`)))
	if page := text(`main`); !strings.Contains(page, "修得很快") {
		t.Errorf("the rating is not shown after rating:\n%s", page)
	}
	fits("rated")
}

// apiClient is staff at the JSON API (demo users).
type apiClient struct {
	t      *testing.T
	base   string
	tokens map[string]string
}

func (c *apiClient) call(user, method, path string, body any) (int, obj) {
	c.t.Helper()
	if _, ok := c.tokens[user]; !ok {
		js, _ := json.Marshal(obj{"username": user, "password": "demo12345"})
		resp, err := http.Post(c.base+"/api/v1/session", "application/json", bytes.NewReader(js))
		if err != nil {
			c.t.Fatal(err)
		}
		var out obj
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		tok, _ := out["token"].(string)
		if tok == "" {
			c.t.Fatalf("login %s: %v", user, out)
		}
		c.tokens[user] = tok
	}
	js, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(js))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.tokens[user])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out obj
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (c *apiClient) act(user, id, action string, body obj) {
	c.t.Helper()
	_, o := c.call("dispatcher", "GET", "/api/v1/orders/"+id, nil)
	body["version"] = o["version"]
	if st, out := c.call(user, "POST", "/api/v1/orders/"+id+"/"+action, body); st != 200 {
		c.t.Fatalf("%s %s: %d %v", user, action, st, out)
	}
}
