package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"hotline/internal/access"
	"hotline/internal/api"
	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/community/meeting"
	"hotline/internal/community/patrol"
	"hotline/internal/order"
	"hotline/internal/service"
)

// community holds the community modules the patrol and meeting pages use.
type community struct {
	*Web
	patrol  *patrol.Service
	meeting *meeting.Service
}

// MountCommunity mounts the patrol and meeting pages (community.md §2, §3):
// the volunteer's phone home (today's shifts, check in/out, a finding with
// a photo that may become an order), the week's rota and its planning, the
// coverage grid, and a meeting form and page (a meeting linked to an order
// shows on the order's timeline). It is the app.Config.CommunityPages hook.
func MountCommunity(mux *http.ServeMux, svc *service.Service, a *api.API, demo bool, p *patrol.Service, m *meeting.Service) {
	w, err := New(svc, a, demo)
	if err != nil {
		panic(err) // the embedded templates are broken: a build defect
	}
	c := &community{Web: w, patrol: p, meeting: m}
	all := []order.Role{order.RoleVolunteer, order.RoleHandler, order.RoleLeader, order.RoleAdmin}
	editors := []order.Role{order.RoleHandler, order.RoleAdmin}
	patrolPages := []struct {
		pattern string
		roles   []order.Role
		h       handlerFunc
	}{
		{"GET /patrol", all, c.patrolHome},
		{"POST /patrol/shifts/{id}/check_in", all, c.patrolCheck(true)},
		{"POST /patrol/shifts/{id}/check_out", all, c.patrolCheck(false)},
		{"POST /patrol/shifts/{id}/findings", all, c.patrolFinding},
		{"GET /field/patrol", all, c.patrolField},
		{"GET /patrol/plan", editors, c.patrolPlan},
		{"POST /patrol/plan", editors, c.patrolPlanPost},
		{"GET /patrol/coverage", []order.Role{order.RoleHandler, order.RoleLeader, order.RoleAdmin}, c.patrolCoverage},
	}
	for _, pg := range patrolPages {
		h := pg.h
		if p == nil { // no data key: the same pages say why patrols are off
			h = c.patrolOff
			if pg.pattern == "GET /patrol" {
				// A volunteer's landing page after login: it opens (200) and
				// its content is the explanation.
				h = c.patrolOffHome
			}
		}
		mux.HandleFunc(pg.pattern, w.page(pg.roles, h))
	}
	mux.HandleFunc("GET /meetings/new", w.page(editors, c.meetingNew))
	mux.HandleFunc("POST /meetings/new", w.page(editors, c.meetingCreate))
	readers := []order.Role{order.RoleHandler, order.RoleLeader, order.RoleAdmin}
	mux.HandleFunc("GET /meetings/{id}", w.page(readers, c.meetingView))
	mux.HandleFunc("GET /meetings/thread", w.page(readers, c.meetingThread))
	mux.HandleFunc("POST /meetings/{id}/minutes", w.page(editors, c.meetingMinutes))
	mux.HandleFunc("POST /meetings/{id}/actions", w.page(editors, c.meetingAction))
	mux.HandleFunc("POST /meetings/{id}/orders", w.page(editors, c.meetingLink))
	mux.HandleFunc("POST /meeting_actions/{id}/done", w.page(readers, c.meetingDone))
}

// patrolOff is every patrol page when the server has no data key: the
// module keeps volunteers' phones sealed and is off without one (the
// registry's rule), so the page says so and how to turn it on — 503, not a
// 404 or a page that half works.
func (c *community) patrolOff(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Title, p.Nav = p.T("patrol.off.title"), "patrol"
	p.Data = errorView{Status: http.StatusServiceUnavailable, Code: apperr.Unavailable, Title: p.Title, Detail: p.T("patrol.off")}
	c.render(rw, p, http.StatusServiceUnavailable, "error")
}

// patrolOffHome is /patrol without a data key: the explanation, as the
// volunteer's landing page rather than an error.
func (c *community) patrolOffHome(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Title, p.Nav = p.T("patrol.off.title"), "patrol"
	p.Data = errorView{Status: http.StatusServiceUnavailable, Code: apperr.Unavailable, Title: p.Title, Detail: p.T("patrol.off")}
	c.render(rw, p, http.StatusOK, "error")
}

func today() time.Time {
	n := time.Now().In(calendar.Shanghai)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, calendar.Shanghai)
}

// patrolShiftView is a shift as the phone page shows it.
type patrolShiftView struct {
	patrol.Shift
	Status   string
	Mine     bool // the viewer's own shift (a volunteer)
	In, Out  bool // the viewer checked in / out
	Findings []patrol.Finding
	// EntryID goes with the finding form, made when the form is drawn (and
	// kept when it comes back with an error): a double tap or a resend of
	// the same form stores one finding and one order, as the offline log's
	// phone-made ids do.
	EntryID string
}

type patrolHomeView struct {
	Date   string
	Shifts []patrolShiftView
	Names  map[string]string
}

func (c *community) patrolHome(rw http.ResponseWriter, r *http.Request, p *Page) {
	c.renderHome(rw, r, p, http.StatusOK)
}

func (c *community) renderHome(rw http.ResponseWriter, r *http.Request, p *Page, status int) {
	ctx := r.Context()
	d := today()
	from, to := d.UTC(), d.AddDate(0, 0, 1).UTC()
	shifts, _, err := c.patrol.Shifts(ctx, p.User, "", patrol.ShiftFilter{From: &from, To: &to, Limit: 200})
	if err != nil {
		c.fail(rw, r, p, err)
		return
	}
	me := ""
	if p.User.Role == access.RoleVolunteer {
		if v, err := c.patrol.Store.VolunteerByUser(ctx, p.User.Username); err == nil {
			me = v.ID
		}
	}
	now := time.Now()
	v := patrolHomeView{Date: d.Format("2006-01-02")}
	for _, s := range shifts {
		sv := patrolShiftView{Shift: s, Status: s.Status(now), EntryID: rand.Text()}
		if id := p.Form.Get("entry_id"); p.Open == s.ID && patrol.ValidEntryID(id) {
			sv.EntryID = id
		}
		for _, a := range s.Attendance {
			if a.Volunteer == me {
				sv.Mine, sv.In, sv.Out = true, a.CheckIn != nil, a.CheckOut != nil
			}
		}
		if fs, err := c.patrol.Findings(ctx, p.User, s.ID); err == nil {
			sv.Findings = fs
		}
		v.Shifts = append(v.Shifts, sv)
	}
	switch r.URL.Query().Get("ok") {
	case "in":
		p.Flash = p.T("patrol.ok.in")
	case "out":
		p.Flash = p.T("patrol.ok.out")
	case "finding":
		p.Flash = p.T("patrol.ok.finding")
	case "order":
		p.Flash = p.T("patrol.ok.order", r.URL.Query().Get("number"))
	}
	p.Title, p.Nav, p.Data = p.T("patrol.title"), "patrol", v
	c.render(rw, p, status, "patrol_home")
}

func (c *community) patrolCheck(in bool) handlerFunc {
	return func(rw http.ResponseWriter, r *http.Request, p *Page) {
		ci := patrol.CheckInput{Volunteer: r.PostFormValue("volunteer")}
		if lat, lng := r.PostFormValue("lat"), r.PostFormValue("lng"); lat != "" && lng != "" {
			var pos patrol.Position
			if err := parseFloats(lat, lng, &pos.Lat, &pos.Lng); err == nil {
				ci.Position = &pos
			}
		}
		if _, err := c.patrol.Check(r.Context(), p.User, r.PathValue("id"), in, ci); err != nil {
			c.renderHome(rw, r, p, c.applyErr(p, err))
			return
		}
		ok := "out"
		if in {
			ok = "in"
		}
		http.Redirect(rw, r, "/patrol?ok="+ok, http.StatusSeeOther)
	}
}

func (c *community) patrolFinding(rw http.ResponseWriter, r *http.Request, p *Page) {
	in := patrol.FindingInput{Text: r.PostFormValue("text"), CreateOrder: r.PostFormValue("create_order") == "on",
		Volunteer: r.PostFormValue("volunteer"), EntryID: r.PostFormValue("entry_id")}
	if b := strings.TrimSpace(r.PostFormValue("building")); b != "" {
		in.Building = &b
	}
	if f, _, err := r.FormFile("photo"); err == nil {
		data, err := io.ReadAll(io.LimitReader(f, patrol.MaxPhoto+1))
		f.Close()
		if err == nil && len(data) > 0 {
			s := base64.StdEncoding.EncodeToString(data)
			in.Photo = &s
		}
	}
	fd, err := c.patrol.AddFinding(r.Context(), p.User, r.PathValue("id"), in)
	if err != nil {
		p.Form, p.Open = r.PostForm, r.PathValue("id")
		c.renderHome(rw, r, p, c.applyErr(p, err))
		return
	}
	if fd.OrderNumber != nil {
		http.Redirect(rw, r, "/patrol?ok=order&number="+url.QueryEscape(*fd.OrderNumber), http.StatusSeeOther)
		return
	}
	http.Redirect(rw, r, "/patrol?ok=finding", http.StatusSeeOther)
}

// patrolField is the patrol log that works offline (static/offline/
// patrol.js, under the field pages' service worker): a shell the browser
// fills from the JSON API and writes to through the offline queue. It
// carries the names of the compounds the user's shifts of today are at,
// since the shifts API gives only their codes.
func (c *community) patrolField(rw http.ResponseWriter, r *http.Request, p *Page) {
	d := today()
	from, to := d.UTC(), d.AddDate(0, 0, 1).UTC()
	shifts, _, err := c.patrol.Shifts(r.Context(), p.User, "", patrol.ShiftFilter{From: &from, To: &to, Limit: 200})
	if err != nil {
		c.fail(rw, r, p, err)
		return
	}
	names := map[string]string{}
	for _, s := range shifts {
		names[s.Compound] = c.svc.CompoundName(s.Compound)
	}
	js, _ := json.Marshal(names)
	p.Title, p.Nav = p.T("patrol.field.title"), "patrol"
	p.Data = patrolFieldData{Names: string(js), Strings: c.jsStrings(p.Lang, "offline.", "patrol.")}
	c.render(rw, p, http.StatusOK, "patrol_field")
}

type patrolFieldData struct{ Names, Strings string }

type rotaView struct {
	From, To  string
	Days      []string
	Windows   []string
	Compounds []patrol.Compound
	Cells     map[string][]patrol.Shift // compound|date|window
	Teams     []patrol.Team
	Result    string
}

func (c *community) patrolPlan(rw http.ResponseWriter, r *http.Request, p *Page) {
	c.renderPlan(rw, r, p, http.StatusOK)
}

func (c *community) renderPlan(rw http.ResponseWriter, r *http.Request, p *Page, status int) {
	ctx := r.Context()
	q := r.URL.Query()
	from := today()
	if d, err := patrol.ParseDate(q.Get("from")); err == nil {
		from = d
	}
	to := from.AddDate(0, 0, 6)
	v := rotaView{From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), Days: patrol.Dates(from, to), Cells: map[string][]patrol.Shift{}}
	sc, err := access.ListScope(p.User, "")
	if err != nil {
		c.fail(rw, r, p, err)
		return
	}
	if v.Compounds, err = c.patrol.Store.Compounds(ctx, sc); err != nil {
		c.fail(rw, r, p, err)
		return
	}
	if v.Teams, _, err = c.patrol.Teams(ctx, p.User, "", 500, ""); err != nil {
		c.fail(rw, r, p, err)
		return
	}
	a, b := from.UTC(), to.AddDate(0, 0, 1).UTC()
	shifts, _, err := c.patrol.Shifts(ctx, p.User, "", patrol.ShiftFilter{From: &a, To: &b, Limit: 1000})
	if err != nil {
		c.fail(rw, r, p, err)
		return
	}
	for _, s := range shifts {
		if s.Cancelled {
			continue
		}
		w := s.Start + "-" + s.End
		if !slices.Contains(v.Windows, w) {
			v.Windows = append(v.Windows, w)
		}
		k := s.Compound + "|" + s.Date + "|" + w
		v.Cells[k] = append(v.Cells[k], s)
	}
	slices.Sort(v.Windows)
	if n := q.Get("planned"); n != "" {
		p.Flash = p.T("patrol.plan.done", n)
	}
	p.Title, p.Nav, p.Data = p.T("patrol.plan.title"), "patrol", v
	c.render(rw, p, status, "patrol_plan")
}

// Cell returns the shifts of one rota cell.
func (v rotaView) Cell(compound, date, window string) []patrol.Shift {
	return v.Cells[compound+"|"+date+"|"+window]
}

func (c *community) patrolPlanPost(rw http.ResponseWriter, r *http.Request, p *Page) {
	in := patrol.PlanInput{Compounds: r.PostForm["compounds"], From: r.PostFormValue("from"), To: r.PostFormValue("to"), Team: r.PostFormValue("team")}
	in.Windows = strings.FieldsFunc(r.PostFormValue("windows"), func(r rune) bool { return r == ',' || r == ' ' || r == '，' })
	res, err := c.patrol.PlanShifts(r.Context(), p.User, in)
	if err != nil {
		p.Form = r.PostForm
		c.renderPlan(rw, r, p, c.applyErr(p, err))
		return
	}
	http.Redirect(rw, r, "/patrol/plan?from="+url.QueryEscape(in.From)+"&planned="+itoa(len(res.Shifts)), http.StatusSeeOther)
}

type coverageView struct {
	patrol.CoverageReport
	Days  []string
	Index map[string]patrol.Cell
	Names map[string]string
}

// At returns one cell of the grid.
func (v coverageView) At(compound, date, window string) patrol.Cell {
	return v.Index[compound+"|"+date+"|"+window]
}

func (c *community) patrolCoverage(rw http.ResponseWriter, r *http.Request, p *Page) {
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	if from == "" && to == "" {
		to = today().Format("2006-01-02")
		from = today().AddDate(0, 0, -6).Format("2006-01-02")
	}
	rep, err := c.patrol.Coverage(r.Context(), p.User, "", from, to, "")
	if err != nil {
		c.fail(rw, r, p, err)
		return
	}
	v := coverageView{CoverageReport: rep, Index: map[string]patrol.Cell{}}
	for _, cl := range rep.Cells {
		v.Index[cl.Compound+"|"+cl.Date+"|"+cl.Window] = cl
		if !slices.Contains(v.Days, cl.Date) {
			v.Days = append(v.Days, cl.Date)
		}
	}
	p.Title, p.Nav, p.Data = p.T("patrol.coverage.title"), "patrol", v
	c.render(rw, p, http.StatusOK, "patrol_coverage")
}

type meetingFormView struct {
	Order     *service.OrderView
	Compounds []patrol.Compound
}

func (c *community) meetingNew(rw http.ResponseWriter, r *http.Request, p *Page) {
	c.renderMeetingNew(rw, r, p, http.StatusOK)
}

func (c *community) renderMeetingNew(rw http.ResponseWriter, r *http.Request, p *Page, status int) {
	ctx := r.Context()
	var v meetingFormView
	oid := r.URL.Query().Get("order")
	if oid == "" {
		oid = r.PostFormValue("order")
	}
	if oid != "" {
		o, err := c.svc.GetOrder(ctx, p.Actor, oid)
		if err != nil {
			c.fail(rw, r, p, err)
			return
		}
		v.Order = &o
	}
	sc, err := access.ListScope(p.User, "")
	if err != nil {
		c.fail(rw, r, p, err)
		return
	}
	// The directory's compounds, not the patrol module's: meetings work
	// without a data key, when patrols are off.
	cs, err := c.svc.Compounds(ctx, sc.Area)
	if err != nil {
		c.fail(rw, r, p, err)
		return
	}
	for _, x := range cs {
		v.Compounds = append(v.Compounds, patrol.Compound{Code: x.Code, Name: x.Name, Area: x.Committee})
	}
	p.Title, p.Data = p.T("meeting.new.title"), v
	c.render(rw, p, status, "meeting_new")
}

func (c *community) meetingCreate(rw http.ResponseWriter, r *http.Request, p *Page) {
	f := r.PostForm
	kind, topic, place, compound := f.Get("kind"), f.Get("topic"), f.Get("place"), f.Get("compound")
	in := meeting.Input{Kind: &kind, Topic: &topic, Place: &place, Compound: &compound}
	if t, err := time.ParseInLocation("2006-01-02T15:04", f.Get("starts_at"), calendar.Shanghai); err == nil {
		in.StartsAt = &t
	} else if f.Get("starts_at") != "" {
		p.Form = f
		c.renderMeetingNew(rw, r, p, c.applyErr(p, apperr.Field("starts_at", "not a date and time")))
		return
	}
	var orders []string
	if o := f.Get("order"); o != "" {
		orders = append(orders, o)
	}
	in.Orders = &orders
	var parts []meeting.Participant
	for _, line := range strings.Split(f.Get("participants"), "\n") {
		if name := strings.TrimSpace(line); name != "" {
			parts = append(parts, meeting.Participant{Name: name, Kind: "resident"})
		}
	}
	in.Participants = &parts
	m, err := c.meeting.Create(r.Context(), p.User, in)
	if err != nil {
		p.Form = f
		c.renderMeetingNew(rw, r, p, c.applyErr(p, err))
		return
	}
	if len(orders) > 0 {
		http.Redirect(rw, r, "/orders/"+url.PathEscape(orders[0]), http.StatusSeeOther)
		return
	}
	http.Redirect(rw, r, "/meetings/"+m.ID, http.StatusSeeOther)
}

func itoa(n int) string { return strconv.Itoa(n) }

func parseFloats(a, b string, x, y *float64) error {
	var err error
	if *x, err = strconv.ParseFloat(a, 64); err != nil {
		return err
	}
	*y, err = strconv.ParseFloat(b, 64)
	return err
}
