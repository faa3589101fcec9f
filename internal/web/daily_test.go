package web

// Issue 18: what the center's staff meet every day. Each test here failed
// before its fix.

import (
	"bytes"
	"image"
	"image/color"
	pngenc "image/png"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hotline/internal/order"
	"hotline/internal/service"
)

// intake takes a call through the operator's form and returns the new
// order's id.
func (c *client) intake(v url.Values) string {
	c.t.Helper()
	v.Set("csrf", c.csrf())
	body, status := c.post("/intake", v)
	m := regexp.MustCompile(`flash ok[^>]*>.*?href="/orders/(\d+)"`).FindStringSubmatch(body)
	if status != 200 || m == nil {
		c.t.Fatalf("intake: %d\n%s", status, body)
	}
	return m[1]
}

// placeOf is the text of the order page's address line.
func placeOf(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<dt>地址</dt><dd[^>]*>(.*?)</dd>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no address line on the order page")
	}
	return strings.TrimSpace(m[1])
}

// TestPlaceWrittenOnce: the compound picked at intake is on the order
// page, and an address that already says it is not repeated.
func TestPlaceWrittenOnce(t *testing.T) {
	parallel(t)
	_, base := server(t)
	op := login(t, base, "operator")
	for _, c := range []struct{ building, address, want string }{
		{"29号楼", "", "三江小区29号楼"},
		{"29号楼", "三江小区29号楼", "三江小区29号楼"},
		{"29号楼", "2单元门口", "三江小区29号楼 2单元门口"},
		{"", "三江小区东门", "三江小区东门"},
	} {
		id := op.intake(url.Values{"type": {"complaint"}, "title": {"楼道灯不亮"}, "description": {"楼道里的灯坏了一个星期"},
			"caller_name": {"赵女士"}, "caller_phone": {"13800001234"}, "compound": {"sanjiang"}, "building": {c.building}, "address": {c.address}})
		body, _ := op.get("/orders/" + id)
		if got := placeOf(t, body); got != c.want {
			t.Errorf("building %q, address %q: the order page says %q, want %q", c.building, c.address, got, c.want)
		}
	}
}

// TestTimelineNamesPeople: timelines and extension requests name the
// person and unit (or the channel in Chinese), never a login.
func TestTimelineNamesPeople(t *testing.T) {
	parallel(t)
	m, base := server(t)
	ctx := t.Context()
	u, err := m.Store.UserByName(ctx, "binyang")
	if err != nil {
		t.Fatal(err)
	}
	binyang := service.ActorOf(u)
	// An extension request by the committee, and an order from the citizen form.
	c := login(t, base, "binyang")
	body, _ := c.get("/inbox?step=progress")
	ids := regexp.MustCompile(`href="/orders/(\d+)"`).FindAllStringSubmatch(body, -1)
	if len(ids) == 0 {
		t.Fatal("the committee has no order in progress")
	}
	var o service.OrderView
	for _, id := range ids {
		if o, err = m.Svc.GetOrder(ctx, binyang, id[1]); err != nil {
			t.Fatal(err)
		}
		if o.PendingExtension != nil {
			break
		}
		if hasAction(o.Allowed, "request_extension") {
			ver := o.Version
			if _, err := m.Svc.Act(ctx, binyang, o.ID, "request_extension", order.Input{Version: &ver, Days: 3, Reason: "需要协调物业"}); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	pub, err := m.Svc.CreateFromChannel(ctx, order.SourceWeb, order.NewOrder{Type: order.Complaint, Title: "路灯不亮", Description: "小区门口路灯坏了",
		Caller: &order.Caller{Name: "孙先生", Phone: "13800007777"}})
	if err != nil {
		t.Fatal(err)
	}
	d := login(t, base, "dispatcher")
	body, _ = d.get("/orders/" + o.ID)
	if !regexp.MustCompile(`申请延期 \d+ 个工作日（宾阳路居委会 书记）`).MatchString(body) {
		t.Errorf("the extension request does not name the person:\n%s", section(body, "申请延期"))
	}
	body, _ = d.get("/orders/" + pub.Order.ID)
	if !strings.Contains(body, `<span class="muted who">市民网页</span>`) {
		t.Errorf("the citizen form's order does not say 市民网页:\n%s", section(body, "timeline"))
	}
	body, _ = d.get("/search")
	all := regexp.MustCompile(`href="/orders/(\d+)"`).FindAllStringSubmatch(body, -1)
	whoRe := regexp.MustCompile(`<span class="muted who">([^<]*)</span>`)
	seen := 0
	for _, id := range all {
		page, _ := d.get("/orders/" + id[1])
		for _, w := range whoRe.FindAllStringSubmatch(page, -1) {
			seen++
			if regexp.MustCompile(`[A-Za-z]`).MatchString(strings.ReplaceAll(w[1], "Open311", "")) {
				t.Errorf("order %s: the timeline names %q", id[1], w[1])
			}
		}
	}
	if seen < 20 {
		t.Fatalf("only %d timeline actors seen", seen)
	}
}

// section is the part of a page around a word, for failure messages.
func section(body, word string) string {
	i := strings.Index(body, word)
	if i < 0 {
		return "(" + word + " not on the page)"
	}
	return body[max(0, i-300):min(len(body), i+600)]
}

// zhAllowed are the Latin words a Chinese page may show: codes and names
// that are written in Latin letters in Chinese too.
var zhAllowed = map[string]bool{"Excel": true, "CSV": true, "Open311": true, "API": true, "n": true, "ID": true,
	"A": true, "B": true, "C": true, "D": true, "E": true, "F": true, "Tab": true, "Enter": true, "PNG": true, "JPEG": true, "JPG": true, "MB": true, "KB": true, "A4": true,
	"JSON": true, "json": true, "GeoJSON": true, "holiday-cn": true}

var (
	dropRe  = regexp.MustCompile(`(?is)<(script|style|code|noscript)\b[^>]*>.*?</(script|style|code|noscript)>|<[a-z]+[^>]*\blang="en"[^>]*>[^<]*<`)
	attrRe  = regexp.MustCompile(`(?i)\b(?:title|placeholder|aria-label|alt)="([^"]*)"`)
	tagRe   = regexp.MustCompile(`(?s)<[^>]*>`)
	latinRe = regexp.MustCompile(`[A-Za-z][A-Za-z_.'-]*`)
)

// latinWords lists the Latin words a page shows (text and the attributes
// people read), apart from zhAllowed.
func latinWords(body string) []string {
	body = dropRe.ReplaceAllString(body, "<")
	var text []string
	for _, m := range attrRe.FindAllStringSubmatch(body, -1) {
		text = append(text, m[1])
	}
	text = append(text, tagRe.ReplaceAllString(body, " "))
	var out []string
	for _, t := range text {
		for _, w := range latinRe.FindAllString(t, -1) {
			w = strings.Trim(w, ".'-_")
			if w != "" && !zhAllowed[w] && !strings.ContainsAny(w, "._") { // a.b and a_b are codes
				out = append(out, w)
			}
		}
	}
	return out
}

// TestChineseAlone renders every page in Chinese, as each role and with
// the demo's orders, and fails on a Latin word outside zhAllowed.
func TestChineseAlone(t *testing.T) {
	parallel(t)
	_, base := server(t)
	pages := map[string][]string{
		"operator":   {"/intake", "/queue?tab=reviewed", "/search?q=噪音", "/notifications", "/intake/assist?title=夜间施工噪音&description=", "/intake/buildings?compound=sanjiang", "/nope", "/intake/caller?caller_phone=13800000111", "/account/password"},
		"dispatcher": {"/queue", "/queue?tab=returned", "/queue?tab=return_requested", "/queue?tab=replied", "/queue?tab=reviewed", "/queue?tab=overdue", "/queue?tab=supervised", "/board", "/search", "/notifications", "/hotspots", "/dashboard", "/dashboard/ranking", "/dashboard/trends", "/dashboard/map", "/dashboard/praise", "/bigscreen"},
		"binyang":    {"/inbox", "/inbox?step=contact", "/inbox?step=progress", "/inbox?step=near", "/notifications", "/dashboard"},
		"leader":     {"/board", "/dashboard", "/search?q=工地"},
		"admin":      {"/admin/users", "/admin/units", "/admin/categories", "/admin/policy", "/admin/calendar", "/admin/models"},
		"volunteer":  {"/notifications", "/account/password"},
	}
	anon := client{t: t, base: base, c: &http.Client{}}
	pages[""] = []string{"/login"}
	check := func(who string, c *client, path string) {
		body, _ := c.get(path)
		if ws := latinWords(body); len(ws) > 0 {
			t.Errorf("%s %s shows Latin words %q", who, path, ws)
		}
	}
	for who, paths := range pages {
		c := &anon
		if who != "" {
			c = login(t, base, who)
		}
		for _, p := range paths {
			check(who, c, p)
		}
	}
	d := login(t, base, "dispatcher")
	body, _ := d.get("/search")
	for _, m := range regexp.MustCompile(`href="/orders/(\d+)"`).FindAllStringSubmatch(body, -1) {
		check("dispatcher", d, "/orders/"+m[1])
		check("dispatcher", d, "/orders/"+m[1]+"/print")
	}
	h := login(t, base, "binyang")
	body, _ = h.get("/inbox?step=progress")
	for _, m := range regexp.MustCompile(`href="/orders/(\d+)"`).FindAllStringSubmatch(body, -1) {
		check("binyang", h, "/orders/"+m[1])
	}
}

// TestOwnNotFoundPage: an unknown address gets the site's page, in the
// user's language, signed in or not; the API keeps its JSON error.
func TestOwnNotFoundPage(t *testing.T) {
	parallel(t)
	_, base := server(t)
	anon := &client{t: t, base: base, c: &http.Client{}}
	for _, c := range []struct {
		who  *client
		path string
		want string
	}{
		{anon, "/no/such/page", "找不到"},
		{anon, "/no/such/page?lang=en", "not found"},
		{login(t, base, "operator"), "/orders/1/nope/deeper", "找不到"},
	} {
		body, status := c.who.get(c.path)
		if status != 404 || strings.Contains(body, "404 page not found") || !strings.Contains(strings.ToLower(body), c.want) || !strings.Contains(body, `<html lang=`) {
			t.Errorf("GET %s: %d\n%s", c.path, status, body)
		}
	}
	body, status := anon.get("/api/v1/nope")
	if status != 404 || !strings.Contains(body, `"code":"not_found"`) {
		t.Errorf("GET /api/v1/nope: %d %s", status, body)
	}
}

// TestListedInconsistencies covers issue 18's point 7, one check each.
func TestListedInconsistencies(t *testing.T) {
	parallel(t)
	_, base := server(t)
	// The operator's 回访队列 is a page of its own.
	op := login(t, base, "operator")
	body, _ := op.get("/queue")
	if !strings.Contains(body, `<h1 class="pagetitle">回访队列</h1>`) || strings.Contains(body, "tab=received") || strings.Contains(body, "派单队列") {
		t.Errorf("the operator's queue is the dispatcher's page:\n%s", section(body, "pagetitle"))
	}
	if ids := regexp.MustCompile(`href="/orders/(\d+)"`).FindStringSubmatch(body); ids != nil {
		page, _ := op.get("/orders/" + ids[1])
		if !strings.Contains(page, "← 回访队列") {
			t.Errorf("the operator's order page links back to %s", section(page, "crumbs"))
		}
	}
	// One suggestion: the queue preselects what the order page preselects.
	d := login(t, base, "dispatcher")
	body, _ = d.get("/queue?tab=received")
	rowRe := regexp.MustCompile(`(?s)href="/orders/(\d+)".*?<option value="([a-z_]+)" selected>`)
	rows := rowRe.FindAllStringSubmatch(body, -1)
	if len(rows) == 0 {
		t.Fatal("no preselected unit in the queue")
	}
	selRe := regexp.MustCompile(`(?s)id="dispatch-unit".*?<option value="([a-z_]+)" selected>`)
	for _, r := range rows {
		page, _ := d.get("/orders/" + r[1])
		m := selRe.FindStringSubmatch(page)
		if m == nil || m[1] != r[2] {
			t.Errorf("order %s: the queue suggests %s, the order page %v", r[1], r[2], m)
		}
	}
	// The center's own row has no response or on-time rate.
	body, _ = d.get("/dashboard")
	if m := regexp.MustCompile(`(?s)<th scope="row">城运中心（未派）</th><td class="num">\d+</td>\s*<td class="num"([^>]*)>([^<]*)<`).FindStringSubmatch(body); m == nil || m[2] != "—" {
		t.Errorf("the center's row shows a response rate: %q", m)
	}
}

// TestPageWording: "超期 0分钟", "。；" and the countdown after a reply.
func TestPageWording(t *testing.T) {
	w, err := New(nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	p := &Page{w: w, Lang: "zh"}
	now := time.Now()
	for _, c := range []struct {
		at   time.Time
		want string
	}{{now.Add(-10 * time.Second), "刚刚超期"}, {now.Add(30 * time.Second), "剩不到 1 分钟"}, {now.Add(-90 * time.Second), "超期 1分钟"}} {
		if got := p.Left(&c.at); got != c.want {
			t.Errorf("Left(%v) = %q, want %q", time.Until(c.at).Round(time.Second), got, c.want)
		}
	}
	if got := p.BodyText(map[string]any{"note": "已联系物业。", "reason": "需要时间；"}); strings.Contains(got, "。；") || strings.Contains(got, "；；") {
		t.Errorf("BodyText doubles punctuation: %q", got)
	}
	due := now.Add(-time.Hour)
	for _, st := range []order.Status{order.Replied, order.Reviewed, order.Closed} {
		o := order.Order{Status: st, Due: &due}
		if o.RunningDeadline() != nil {
			t.Errorf("a %s order still counts down to its reply deadline", st)
		}
	}
	o := order.Order{Status: order.InProgress, Due: &due}
	if o.RunningDeadline() != &due {
		t.Error("an order in progress does not count down to its reply deadline")
	}
}

// TestResponseRateWaitsForContactDue: an order just dispatched to a unit
// does not count against its response rate before its contact deadline
// (a unit with one such order showed 0.0%).
func TestResponseRateWaitsForContactDue(t *testing.T) {
	parallel(t)
	m, _ := server(t)
	ctx := t.Context()
	lead := service.Actor{Username: "leader", Role: order.RoleLeader}
	rk, err := m.Dash.Ranking(ctx, lead, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	unit := ""
	for _, u := range rk.Units {
		if u.Samples.Dispatched == 0 && u.Code != "" {
			unit = u.Code
			break
		}
	}
	if unit == "" {
		t.Fatal("every demo unit has dispatched orders this month")
	}
	disp := service.Actor{Username: "dispatcher", Role: order.RoleDispatcher, Unit: "center"}
	o, err := m.Svc.CreateOrder(ctx, disp, order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Urgency: order.Normal, Title: "人行道地砖松动", Description: "人行道地砖松动，老人容易绊倒",
		Caller: &order.Caller{Name: "周先生", Phone: "13800005555"}})
	if err != nil {
		t.Fatal(err)
	}
	ver := o.Version
	if _, err := m.Svc.Act(ctx, disp, o.ID, order.ActDispatch, order.Input{Version: &ver, Unit: unit}); err != nil {
		t.Fatal(err)
	}
	ov, err := m.Dash.Overview(ctx, lead, "", "", unit)
	if err != nil {
		t.Fatal(err)
	}
	if ov.Samples.Dispatched != 1 || ov.Samples.ResponseBase != 0 || ov.Response != nil {
		t.Errorf("%s after one dispatch: dispatched %d, response base %d, response rate %v; want 1, 0, no rate",
			unit, ov.Samples.Dispatched, ov.Samples.ResponseBase, ov.Response)
	}
}

// TestCitizenPhotosShown: a citizen's photo is on the staff order page as
// a thumbnail that opens the photo, served only to staff who see the order.
func TestCitizenPhotosShown(t *testing.T) {
	parallel(t)
	m, base := server(t)
	var png bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	img.Set(3, 4, color.RGBA{200, 10, 10, 255})
	if err := pngenc.Encode(&png, img); err != nil {
		t.Fatal(err)
	}
	pub, err := m.Svc.CreatePublic(t.Context(), order.SourceWeb, order.NewOrder{Type: order.Complaint, Urgency: order.Normal, Title: "垃圾堆在楼下",
		Description: "楼下垃圾三天没人清运，附照片", Caller: &order.Caller{Name: "吴女士", Phone: "13800006666"}},
		order.PublicMeta{}, []order.Photo{{ContentType: "image/png", Width: 40, Height: 30, Size: png.Len(), Data: png.Bytes(), CreatedAt: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	d := login(t, base, "dispatcher")
	body, _ := d.get("/orders/" + pub.Order.ID)
	src := regexp.MustCompile(`<a href="#photo-(\d+)"[^>]*><img src="(/orders/\d+/photos/\d+)"`).FindStringSubmatch(body)
	if src == nil || !strings.Contains(body, `id="photo-`+src[1]+`"`) {
		t.Fatalf("no photo thumbnail on the order page:\n%s", section(body, "h-desc"))
	}
	resp, err := d.c.Get(base + src[2])
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, png.Bytes()) {
		t.Errorf("the photo: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(got))
	}
	// Not dispatched yet: a committee does not see it, nor its photo.
	h := login(t, base, "binyang")
	if _, status := h.get(src[2]); status != 403 && status != 404 {
		t.Errorf("another unit's handler gets the photo: %d", status)
	}
}

// TestDispatchNotifiesUnit: a unit is told at once of an order dispatched
// to it, in its language.
func TestDispatchNotifiesUnit(t *testing.T) {
	parallel(t)
	m, base := server(t)
	ctx := t.Context()
	disp := service.Actor{Username: "dispatcher", Role: order.RoleDispatcher, Unit: "center"}
	o, err := m.Svc.CreateOrder(ctx, disp, order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Urgency: order.Normal,
		Title: "井盖缺失", Description: "路口井盖没了，很危险", Caller: &order.Caller{Name: "冯先生", Phone: "13800004444"}})
	if err != nil {
		t.Fatal(err)
	}
	ver := o.Version
	if _, err := m.Svc.Act(ctx, disp, o.ID, order.ActDispatch, order.Input{Version: &ver, Unit: "binyang"}); err != nil {
		t.Fatal(err)
	}
	h := login(t, base, "binyang")
	body, _ := h.get("/notifications")
	if !strings.Contains(body, "新工单 "+o.Number+" 已派给本单位") {
		t.Errorf("the committee is not told of the new order:\n%s", section(body, "notes"))
	}
	body, _ = h.get("/notifications?lang=en")
	if !strings.Contains(body, "New order "+o.Number+" dispatched to your unit") {
		t.Errorf("not in English:\n%s", section(body, "notes"))
	}
}
