package web

// Issue 18, the remaining points (h/18a): handlers' site photos, the print
// view, the caller's earlier orders, export from search, passwords,
// business figures in /metrics.

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hotline/internal/app"
	"hotline/internal/order"
	"hotline/internal/service"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// gpsJPEG is a 40×20 JPEG, left half red and right half blue, carrying an
// EXIF block as a phone writes it: orientation 6 (the phone was held
// upright: turn 90° clockwise to show), a GPS position, and a comment
// naming the place. None of it may survive into the stored photo.
func gpsJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for y := 0; y < 20; y++ {
		for x := 0; x < 40; x++ {
			c := color.RGBA{220, 0, 0, 255}
			if x >= 20 {
				c = color.RGBA{0, 0, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	// TIFF, big-endian: IFD0 at 8 with Orientation and the GPS IFD pointer;
	// the GPS IFD at 38 with GPSLatitudeRef "N" and GPSLatitude 31°12'34.56".
	be := binary.BigEndian
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	ifd := func(entries [][]byte, next uint32) []byte {
		b := be.AppendUint16(nil, uint16(len(entries)))
		for _, e := range entries {
			b = append(b, e...)
		}
		return be.AppendUint32(b, next)
	}
	entry := func(tag, typ uint16, count, value uint32) []byte {
		b := be.AppendUint16(nil, tag)
		b = be.AppendUint16(b, typ)
		b = be.AppendUint32(b, count)
		return be.AppendUint32(b, value)
	}
	tiff = append(tiff, ifd([][]byte{entry(0x0112, 3, 1, 6<<16), entry(0x8825, 4, 1, 38)}, 0)...)   // 8+2+24+4 = 38
	tiff = append(tiff, ifd([][]byte{entry(0x0001, 2, 2, 'N'<<24), entry(0x0002, 5, 3, 68)}, 0)...) // 38+2+24+4 = 68
	for _, r := range [][2]uint32{{31, 1}, {12, 1}, {3456, 100}} {
		tiff = be.AppendUint32(tiff, r[0])
		tiff = be.AppendUint32(tiff, r[1])
	}
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	com := []byte("GPSSECRET 31.2096N 121.4737E")
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1}
	out = be.AppendUint16(out, uint16(len(app1)+2))
	out = append(out, app1...)
	out = append(out, 0xFF, 0xFE)
	out = be.AppendUint16(out, uint16(len(com)+2))
	out = append(out, com...)
	return append(out, enc.Bytes()[2:]...)
}

// postMultipart sends a form with files as the browser does.
func (c *client) postMultipart(path string, fields map[string]string, files map[string][][]byte) (string, int) {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for k, list := range files {
		for i, data := range list {
			fw, _ := mw.CreateFormFile(k, "IMG_000"+string(rune('1'+i))+".jpg")
			_, _ = fw.Write(data)
		}
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", c.base+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return string(out), resp.StatusCode
}

var versionRe = regexp.MustCompile(`name="version" value="(\d+)"`)

// TestHandlerSitePhotos: a handler attaches site photos to a note and to a
// reply; they are stored without EXIF, GPS or comments, turned upright,
// and shown as thumbnails (with their enlargement) in the timeline entry
// they came with. A file that is not an image is refused with the field
// named, and nothing is written.
func TestHandlerSitePhotos(t *testing.T) {
	parallel(t)
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		testSitePhotos(t, db)
	})
}

func testSitePhotos(t *testing.T, db string) {
	m, base := server(t, func(c *app.Config) { c.DB = db })
	ctx := t.Context()
	disp := service.Actor{Username: "dispatcher", Role: order.RoleDispatcher, Unit: "center"}
	hand := service.Actor{Username: "binyang", Role: order.RoleHandler, Unit: "binyang"}
	o := inProgress(t, m)
	raw := gpsJPEG(t)
	if !bytes.Contains(raw, []byte("Exif")) || !bytes.Contains(raw, []byte("GPSSECRET")) {
		t.Fatal("the test photo carries no EXIF")
	}
	if _, _, err := image.Decode(bytes.NewReader(raw)); err != nil {
		t.Fatalf("the test photo does not decode: %v", err)
	}
	h := login(t, base, "binyang")
	page, _ := h.get("/orders/" + o.ID)
	for _, want := range []string{`enctype="multipart/form-data"`, `name="photos" type="file" accept="image/jpeg,image/png,image/*" capture="environment" multiple`} {
		if !strings.Contains(page, want) {
			t.Errorf("the order page has no %s", want)
		}
	}
	version := func() string {
		body, _ := h.get("/orders/" + o.ID)
		mv := versionRe.FindStringSubmatch(body)
		if mv == nil {
			t.Fatalf("no version on the order page")
		}
		return mv[1]
	}
	// Not an image: refused with the field named, nothing written.
	before := len(mustPhotos(t, m.Svc, hand, o.ID))
	body, status := h.postMultipart("/orders/"+o.ID+"/act/note", map[string]string{"csrf": h.csrf(), "version": version(), "kind": "site_visit", "text": "现场查看"},
		map[string][][]byte{"photos": {[]byte("%PDF-1.4 not a photo")}})
	if status != 400 || !strings.Contains(body, "不是 JPEG 或 PNG 图片") {
		t.Errorf("a PDF as a photo: %d, want 400 with the field's problem", status)
	}
	if v, _ := m.Svc.GetOrder(ctx, disp, o.ID); len(v.Events) != 4 || len(mustPhotos(t, m.Svc, hand, o.ID)) != before {
		t.Errorf("a refused note wrote something: %d events", len(v.Events))
	}
	// A note with two photos, then a reply with one.
	if _, status := h.postMultipart("/orders/"+o.ID+"/act/note", map[string]string{"csrf": h.csrf(), "version": version(), "kind": "site_visit", "text": "现场查看，纸箱已清走一半"},
		map[string][][]byte{"photos": {raw, raw}}); status != 200 {
		t.Fatalf("note with photos: %d", status)
	}
	if _, status := h.postMultipart("/orders/"+o.ID+"/act/reply", map[string]string{"csrf": h.csrf(), "version": version(), "result": "resolved", "text": "杂物已全部清理，通道畅通"},
		map[string][][]byte{"photos": {raw}}); status != 200 {
		t.Fatalf("reply with a photo: %d", status)
	}
	photos := mustPhotos(t, m.Svc, hand, o.ID)
	if len(photos) != 3 || photos[0].EventSeq != 5 || photos[1].EventSeq != 5 || photos[2].EventSeq != 6 {
		t.Fatalf("stored photos: %+v", photos)
	}
	for _, p := range photos {
		ph, err := m.Svc.OrderPhoto(ctx, hand, o.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{"Exif", "GPSSECRET", "MM\x00\x2a"} {
			if bytes.Contains(ph.Data, []byte(leak)) {
				t.Errorf("photo %s keeps %q", p.ID, leak)
			}
		}
		if bytes.Contains(ph.Data, []byte{0xFF, 0xE1}) {
			t.Errorf("photo %s keeps an APP1 segment", p.ID)
		}
		img, err := jpeg.Decode(bytes.NewReader(ph.Data))
		if err != nil {
			t.Fatal(err)
		}
		// Upright: 20 wide, 40 high, the red half on top.
		b := img.Bounds()
		r1, _, b1, _ := img.At(10, 5).RGBA()
		r2, _, b2, _ := img.At(10, 35).RGBA()
		if b.Dx() != 20 || b.Dy() != 40 || r1 < b1 || b2 < r2 {
			t.Errorf("photo %s is %dx%d, top (r %d b %d), bottom (r %d b %d): not turned upright", p.ID, b.Dx(), b.Dy(), r1>>8, b1>>8, r2>>8, b2>>8)
		}
	}
	// In the timeline, under their entries, with an enlargement each.
	page, _ = h.get("/orders/" + o.ID)
	tl := between(page, `id="h-tl"`, `id="h-act"`)
	for _, p := range photos {
		if !strings.Contains(tl, `href="#tlphoto-`+p.ID+`"`) || !strings.Contains(tl, `id="tlphoto-`+p.ID+`"`) ||
			!strings.Contains(tl, `src="/orders/`+o.ID+`/photos/`+p.ID+`"`) {
			t.Errorf("photo %s is not in the timeline with its enlargement", p.ID)
		}
	}
	if n := strings.Count(tl, `class="photos tl-photos"`); n != 2 {
		t.Errorf("%d timeline entries with photos, want 2 (the note and the reply)", n)
	}
	// Photos only with a note or a reply.
	v, _ := m.Svc.GetOrder(ctx, disp, o.ID)
	if _, err := m.Svc.ActWithPhotos(ctx, disp, o.ID, order.ActApproveReply, order.Input{Version: &v.Version}, photos[:1]); err == nil {
		t.Errorf("photos accepted with an approval")
	}
}

func mustPhotos(t *testing.T, svc *service.Service, a service.Actor, id string) []store.Photo {
	t.Helper()
	p, err := svc.OrderPhotos(t.Context(), a, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// between is the part of a page from one marker to the next.
func between(body, from, to string) string {
	i := strings.Index(body, from)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], to)
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

// inProgress creates a hotline complaint and takes it to 宾阳路居委会,
// signed for and contacted: a handler may now add notes and reply.
func inProgress(t testing.TB, m *app.Main) service.OrderView {
	t.Helper()
	ctx := t.Context()
	disp := service.Actor{Username: "dispatcher", Role: order.RoleDispatcher, Unit: "center"}
	hand := service.Actor{Username: "binyang", Role: order.RoleHandler, Unit: "binyang"}
	o, err := m.Svc.CreateOrder(ctx, disp, order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Urgency: order.Normal,
		Title: "楼道堆放杂物", Description: "3号楼楼道堆满纸箱，消防通道被堵", Caller: &order.Caller{Name: "钱先生", Phone: "13800007777"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		a   service.Actor
		act order.Action
		in  order.Input
	}{{disp, order.ActDispatch, order.Input{Unit: "binyang"}}, {hand, order.ActAccept, order.Input{}}, {hand, order.ActContact, order.Input{Note: "已电话联系钱先生"}}} {
		v, err := m.Svc.GetOrder(ctx, disp, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.in.Version = &v.Version
		if o, err = m.Svc.Act(ctx, s.a, o.ID, s.act, s.in); err != nil {
			t.Fatalf("%s: %v", s.act, err)
		}
	}
	return o
}

// TestPrintView: the print view is the order on its own page (no site
// navigation), the caller masked for the handling unit as on the order
// page, every timeline entry a row; another unit's handler gets nothing.
func TestPrintView(t *testing.T) {
	parallel(t)
	m, base := server(t)
	o := inProgress(t, m)
	h := login(t, base, "binyang")
	body, status := h.get("/orders/" + o.ID + "/print")
	if status != 200 {
		t.Fatalf("print view: %d", status)
	}
	for _, want := range []string{o.Number, "楼道堆放杂物", "138****7777", `href="/static/print.css"`, "经办人签字"} {
		if !strings.Contains(body, want) {
			t.Errorf("the print view lacks %q", want)
		}
	}
	for _, not := range []string{"13800007777", `class="nav"`, "hx-headers"} {
		if strings.Contains(body, not) {
			t.Errorf("the print view shows %q", not)
		}
	}
	if n := strings.Count(between(body, `class="tl"`, "</table>"), "<tr>"); n != len(o.Events)+1 {
		t.Errorf("%d timeline rows, want %d events and the head", n, len(o.Events))
	}
	if _, status := login(t, base, "cityops").get("/orders/" + o.ID + "/print"); status != 403 && status != 404 {
		t.Errorf("another unit's handler prints the order: %d", status)
	}
}

// TestCallerHistoryAtIntake: typing a caller's phone at intake lists that
// caller's earlier orders (newest first) to the operator and dispatcher;
// a role that may not see callers in full gets none, by page or service.
func TestCallerHistoryAtIntake(t *testing.T) {
	parallel(t)
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		m, base := server(t, func(c *app.Config) { c.DB = db })
		op := login(t, base, "operator")
		var ids []string
		for _, title := range []string{"夜间施工噪音扰民", "楼下餐馆油烟太大"} {
			ids = append(ids, op.intake(url.Values{"type": {"complaint"}, "title": {title}, "description": {title + "，希望尽快处理"},
				"caller_name": {"孙女士"}, "caller_phone": {"13900001212"}}))
		}
		op.intake(url.Values{"type": {"complaint"}, "title": {"路灯不亮"}, "description": {"小区门口路灯坏了"},
			"caller_name": {"李先生"}, "caller_phone": {"13900003434"}})
		page, _ := op.get("/intake")
		if !strings.Contains(page, `hx-get="/intake/caller"`) || !strings.Contains(page, `id="caller-history"`) {
			t.Fatal("the intake form does not look up the caller's phone")
		}
		for _, who := range []string{"operator", "dispatcher"} {
			c := login(t, base, who)
			body, status := c.get("/intake/caller?caller_phone=13900001212")
			if status != 200 {
				t.Fatalf("%s: %d", who, status)
			}
			i0, i1 := strings.Index(body, `href="/orders/`+ids[1]+`"`), strings.Index(body, `href="/orders/`+ids[0]+`"`)
			if i0 < 0 || i1 < 0 || i0 > i1 || !strings.Contains(body, "以往工单（最近 2 张）") || strings.Contains(body, "路灯不亮") {
				t.Errorf("%s: the caller's earlier orders, newest first, and no one else's:\n%s", who, body)
			}
		}
		if body, _ := op.get("/intake/caller?caller_phone=13900009999"); !strings.Contains(body, "该号码没有以往工单") {
			t.Errorf("a new number: %s", body)
		}
		if body, _ := op.get("/intake/caller?caller_phone=139"); strings.Contains(body, "以往工单") {
			t.Errorf("a half-typed number looked up: %s", body)
		}
		if _, status := login(t, base, "leader").get("/intake/caller?caller_phone=13900001212"); status != 403 {
			t.Errorf("a leader gets the caller lookup: %d", status)
		}
		for _, a := range []service.Actor{{Username: "leader", Role: order.RoleLeader, Unit: "center"}, {Username: "binyang", Role: order.RoleHandler, Unit: "binyang"}} {
			if h, err := m.Svc.CallerHistory(t.Context(), a, "13900001212", 8); err != nil || len(h) != 0 {
				t.Errorf("%s sees a caller's history: %v %v", a.Role, h, err)
			}
		}
	})
}

// TestSearchExport: the search's rows leave as .csv and .xlsx with the
// list's visibility (a committee gets only its own unit's orders) and
// masking (callers masked for every role), a formula typed into an order
// arrives as text, every export is audited, and bad filters are a 400 that
// writes nothing.
func TestSearchExport(t *testing.T) {
	parallel(t)
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		m, base := server(t, func(c *app.Config) { c.DB = db })
		ctx := t.Context()
		op := login(t, base, "operator")
		// (The test server runs without the segmenter: words are what spaces
		// and punctuation separate, hence the titles' spaces.)
		op.intake(url.Values{"type": {"complaint"}, "title": {`=HYPERLINK("http://x.example","点击") 井盖`}, "description": {"人行道井盖松动，踩上去会翻"},
			"caller_name": {"周先生"}, "caller_phone": {"13900005656"}})
		plain := op.intake(url.Values{"type": {"complaint"}, "title": {"井盖 缺失"}, "description": {"小区东门井盖没了"},
			"caller_name": {"吴女士"}, "caller_phone": {"13900007878"}})
		disp := service.Actor{Username: "dispatcher", Role: order.RoleDispatcher, Unit: "center"}
		v, _ := m.Svc.GetOrder(ctx, disp, plain)
		if _, err := m.Svc.Act(ctx, disp, plain, order.ActDispatch, order.Input{Unit: "binyang", Version: &v.Version}); err != nil {
			t.Fatal(err)
		}
		audits := func() int {
			var n int
			if err := m.Store.DB().R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND target = 'orders:search'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		d := login(t, base, "dispatcher")
		page, _ := d.get("/search?q=" + url.QueryEscape("井盖"))
		if !strings.Contains(page, `href="/search/export/xlsx?q=`) || !strings.Contains(page, `href="/search/export/csv?q=`) {
			t.Fatalf("the search page has no export links:\n%s", page[strings.Index(page, `role="search"`):])
		}
		csvBody, status := d.get("/search/export/csv?q=" + url.QueryEscape("井盖"))
		if status != 200 {
			t.Fatalf("csv export: %d", status)
		}
		for _, want := range []string{`'=HYPERLINK`, "139****5656", "139****7878", "周**"} {
			if !strings.Contains(csvBody, want) {
				t.Errorf("the CSV lacks %q:\n%s", want, csvBody)
			}
		}
		for _, not := range []string{"13900005656", "13900007878", "周先生", "\n=HYPERLINK", ",=HYPERLINK"} {
			if strings.Contains(csvBody, not) {
				t.Errorf("the CSV has %q", not)
			}
		}
		if n := audits(); n != 1 {
			t.Errorf("%d audit rows after one export", n)
		}
		// .xlsx: the formula is a text cell, callers masked.
		resp, err := d.c.Get(base + "/search/export/xlsx?q=" + url.QueryEscape("井盖"))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("xlsx export: %d %s", resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("查询结果")
		found := 0
		for i, r := range rows {
			for j, c := range r {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if fm, _ := f.GetCellFormula("查询结果", cell); fm != "" {
					t.Errorf("cell %s is a formula: %s", cell, fm)
				}
				if strings.Contains(c, "13900005656") || strings.Contains(c, "13900007878") {
					t.Errorf("cell %s shows a full phone", cell)
				}
				if strings.HasPrefix(c, "=HYPERLINK") || strings.HasPrefix(c, "'=HYPERLINK") {
					found++
				}
			}
		}
		if found != 1 || len(rows) != 2+2 { // a note, the header, two orders
			t.Errorf("the workbook: %d rows, the typed formula found %d times", len(rows), found)
		}
		f.Close()
		// The committee: its own unit's order only.
		h := login(t, base, "binyang")
		hcsv, status := h.get("/search/export/csv?q=" + url.QueryEscape("井盖"))
		if status != 200 || !strings.Contains(hcsv, "井盖 缺失") || strings.Contains(hcsv, "HYPERLINK") {
			t.Errorf("the committee's export (%d) is not its own orders only:\n%s", status, hcsv)
		}
		// Bad filters: 400, nothing audited.
		before := audits()
		if _, status := d.get("/search/export/csv?from=yesterday"); status != 400 {
			t.Errorf("a bad date: %d, want 400", status)
		}
		if _, status := d.get("/search/export/pdf"); status != 404 {
			t.Errorf("an unknown format: %d, want 404", status)
		}
		if audits() != before {
			t.Errorf("a refused export was audited")
		}
	})
}

// loginAs logs in with a password and reports whether it worked.
func loginAs(t *testing.T, base, user, pw string) (*client, bool) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
	body, status := c.post("/login", url.Values{"username": {user}, "password": {pw}})
	return c, status == 200 && !strings.Contains(body, `action="/login"`)
}

// loggedIn reports whether the client's session still opens a page.
func (c *client) loggedIn() bool {
	body, status := c.get("/notifications")
	return status == 200 && !strings.Contains(body, `action="/login"`)
}

// TestPasswords: a user changes their own password (the old one required,
// the rules checked, their other sessions ended, this one kept); an admin
// resets one (every session of that user ended); both audited; a wrong
// old password or a bad new one is a 400 that changes nothing.
func TestPasswords(t *testing.T) {
	parallel(t)
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		m, base := server(t, func(c *app.Config) { c.DB = db })
		a, other := login(t, base, "binyang"), login(t, base, "binyang")
		page, _ := a.get("/account/password")
		if !strings.Contains(page, `name="old_password"`) || !strings.Contains(page, `href="/account/password"`) {
			t.Fatal("no password form, or no link to it in the header")
		}
		for _, c := range []struct {
			old, pw, confirm, field, problem string
		}{
			{"wrong-password", "ganggai-2026", "ganggai-2026", "old_password", "当前密码不对"},
			{"demo12345", "short", "short", "new_password", "8–200 个字符"},
			{"demo12345", "ganggai-2026", "ganggai-2027", "confirm", "两次输入的新密码不一致"},
			{"", "ganggai-2026", "ganggai-2026", "old_password", "必填"},
		} {
			body, status := a.post("/account/password", url.Values{"csrf": {a.csrf()}, "old_password": {c.old}, "new_password": {c.pw}, "confirm": {c.confirm}})
			if status != 400 || !strings.Contains(body, c.problem) {
				t.Errorf("%s: %d, want 400 with %q", c.field, status, c.problem)
			}
			if strings.Contains(body, c.pw) && c.pw != "" {
				t.Errorf("%s: the refused form sends the password back", c.field)
			}
		}
		if !other.loggedIn() {
			t.Fatal("a refused change ended a session")
		}
		if _, ok := loginAs(t, base, "binyang", "demo12345"); !ok {
			t.Fatal("a refused change changed the password")
		}
		body, status := a.post("/account/password", url.Values{"csrf": {a.csrf()}, "old_password": {"demo12345"}, "new_password": {"ganggai-2026"}, "confirm": {"ganggai-2026"}})
		if status != 200 || !strings.Contains(body, "密码已修改") {
			t.Fatalf("change: %d", status)
		}
		if !a.loggedIn() || other.loggedIn() {
			t.Errorf("after the change: this session logged in %v (want true), the other %v (want false)", a.loggedIn(), other.loggedIn())
		}
		if _, ok := loginAs(t, base, "binyang", "demo12345"); ok {
			t.Error("the old password still works")
		}
		c, ok := loginAs(t, base, "binyang", "ganggai-2026")
		if !ok {
			t.Fatal("the new password does not work")
		}
		// The admin's reset.
		if _, status := a.post("/admin/users/operator/password", url.Values{"csrf": {a.csrf()}, "new_password": {"xxxxxxxxxx"}}); status != 403 {
			t.Errorf("a handler resets a password: %d", status)
		}
		ad := login(t, base, "admin")
		if body, status := ad.post("/admin/users/binyang/password", url.Values{"csrf": {ad.csrf()}, "new_password": {"short"}}); status != 400 || !strings.Contains(body, "8–200 个字符") {
			t.Errorf("a short reset: %d", status)
		}
		if body, status := ad.post("/admin/users/binyang/password", url.Values{"csrf": {ad.csrf()}, "new_password": {"reset-by-admin-1"}}); status != 200 || !strings.Contains(body, "binyang") {
			t.Errorf("reset: %d", status)
		}
		if c.loggedIn() || a.loggedIn() {
			t.Error("a reset left the user's sessions open")
		}
		if _, ok := loginAs(t, base, "binyang", "reset-by-admin-1"); !ok {
			t.Error("the reset password does not work")
		}
		if _, status := ad.post("/admin/users/nobody/password", url.Values{"csrf": {ad.csrf()}, "new_password": {"reset-by-admin-1"}}); status != 404 {
			t.Errorf("reset of no user: %d", status)
		}
		for _, want := range []struct{ actor, action string }{{"binyang", "password_change"}, {"admin", "password_reset"}} {
			var n int
			if err := m.Store.DB().R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE actor = $1 AND action = $2 AND target = 'user:binyang'`, want.actor, want.action).Scan(&n); err != nil || n != 1 {
				t.Errorf("audit %s by %s: %d rows, %v", want.action, want.actor, n, err)
			}
		}
	})
}

// metric is the value of the series name{labels} in a /metrics scrape
// (labels as Prometheus writes them, sorted: `status="dispatched"`), and
// whether it is there.
func metric(body, name, labels string) (float64, bool) {
	series := name
	if labels != "" {
		series += "{" + labels + "}"
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}

// TestBusinessMetrics: /metrics carries the business figures beside the
// HTTP and Go ones: open orders by status and overdue orders by unit (as a
// count over every order says), the sweeper's runs and lag, notifications
// stored by kind, group-commit batch sizes, and the web pages' requests.
func TestBusinessMetrics(t *testing.T) {
	parallel(t)
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		m, base := server(t, func(c *app.Config) { c.DB = db; c.Sweep = 100 * time.Millisecond })
		ctx := t.Context()
		o := inProgress(t, m) // a create, a dispatch (and its notification) and two more steps
		// Its reply deadline passed a minute ago: overdue at 宾阳路居委会.
		if _, err := m.Store.DB().W.ExecContext(ctx, `UPDATE orders SET due = $1 WHERE id = $2`, time.Now().Add(-time.Minute).UnixMicro(), mustInt(t, o.ID)); err != nil {
			t.Fatal(err)
		}
		h := login(t, base, "binyang")
		h.get("/orders/" + o.ID)
		h.get("/orders/" + o.ID + "/print")

		// The truth, counted over every order.
		admin := service.Actor{Username: "admin", Role: order.RoleAdmin}
		open, overdue := map[string]int{}, map[string]int{}
		now := time.Now()
		q := service.ListQuery{Limit: 200}
		for {
			list, next, err := m.Svc.ListOrders(ctx, admin, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range list {
				if v.Status.Open() {
					open[string(v.Status)]++
					if v.Overdue(now) {
						overdue[v.Unit]++
					}
				}
			}
			if next == "" {
				break
			}
			q.Cursor = next
		}
		if overdue["binyang"] == 0 {
			t.Fatal("the test order is not overdue")
		}
		var body string
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, err := http.Get(base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			// Wait for a sweep that has seen the overdue order.
			if n, _ := metric(body, "hotline_notifications_sent_total", `kind="overdue"`); n > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		for st, n := range open {
			if got, ok := metric(body, "hotline_orders_open", `status="`+st+`"`); !ok || int(got) != n {
				t.Errorf("hotline_orders_open{status=%q} = %v (%v), want %d", st, got, ok, n)
			}
		}
		for u, n := range overdue {
			if got, ok := metric(body, "hotline_orders_overdue", `unit="`+u+`"`); !ok || int(got) != n {
				t.Errorf("hotline_orders_overdue{unit=%q} = %v (%v), want %d", u, got, ok, n)
			}
		}
		checks := []struct {
			name, labels string
			min          float64
		}{
			{"hotline_sweeper_runs_total", `result="ok"`, 1},
			{"hotline_sweeper_lag_seconds", "", 0},
			{"hotline_notifications_sent_total", `kind="dispatched"`, 1},
			{"hotline_notifications_sent_total", `kind="overdue"`, 1},
			{"hotline_group_commit_batch_size_count", "", 1},
			{"hotline_http_requests_total", `code="2xx",route="web GET /orders/{id}"`, 1},
			{"hotline_http_requests_total", `code="2xx",route="web GET /orders/{id}/print"`, 1},
			{"hotline_business_scrape_error", "", 0},
		}
		for _, c := range checks {
			if got, ok := metric(body, c.name, c.labels); !ok || got < c.min {
				t.Errorf("%s{%s} = %v (%v), want at least %v", c.name, c.labels, got, ok, c.min)
			}
		}
		if lag, _ := metric(body, "hotline_sweeper_lag_seconds", ""); lag > 5 {
			t.Errorf("sweeper lag %v s with a 100 ms sweep", lag)
		}
		if bad, _ := metric(body, "hotline_business_scrape_error", ""); bad != 0 {
			t.Error("the business figures failed to read")
		}
	})
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
