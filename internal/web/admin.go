package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/httpx"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/textproc"
)

type adminView struct {
	Users []access.User
	Units []org.Unit
	Cats  []org.Category
	Rules []ruleRow
	Year  int
	Days  []calendar.Day
	Roles []order.Role
	Kinds []string
}

// ruleRow is one policy rule as the form shows it.
type ruleRow struct {
	I                     int
	Urgency, Type         string
	Reopened              bool
	Sign, Contact, Reply  int
	SignU, ContactU, RepU string // "d" working days or "m" minutes
}

func limitOf(l order.Limit) (int, string) {
	if l.Minutes > 0 {
		return l.Minutes, "m"
	}
	return l.WorkingDays, "d"
}

func (w *Web) adminRender(rw http.ResponseWriter, r *http.Request, p *Page, status int, page string) {
	ctx := r.Context()
	v := adminView{Roles: order.Roles, Kinds: org.UnitKinds}
	var err error
	switch page {
	case "admin_users":
		v.Users, err = w.adm.Users(ctx, p.Actor)
		if err == nil {
			v.Units, err = w.svc.Units(ctx)
		}
	case "admin_units":
		v.Units, err = w.svc.Units(ctx)
	case "admin_categories":
		v.Cats, err = w.svc.Categories(ctx)
		if err == nil {
			v.Units, err = w.svc.Units(ctx)
		}
	case "admin_policy":
		for i, rl := range w.svc.Policy().Rules {
			row := ruleRow{I: i, Urgency: string(rl.Urgency), Type: string(rl.Type), Reopened: rl.Reopened}
			row.Sign, row.SignU = limitOf(rl.Sign)
			row.Contact, row.ContactU = limitOf(rl.Contact)
			row.Reply, row.RepU = limitOf(rl.Reply)
			v.Rules = append(v.Rules, row)
		}
		v.Rules = append(v.Rules, ruleRow{I: len(v.Rules), SignU: "d", ContactU: "d", RepU: "d"})
	case "admin_calendar":
		v.Year = time.Now().In(calendar.Shanghai).Year()
		if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil && y >= 2000 && y <= 2100 {
			v.Year = y
		}
		v.Days = w.adm.CalendarDays(v.Year)
	}
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	p.Nav = "admin"
	p.Title = p.T(strings.Replace(page, "_", ".", 1) + ".title")
	p.Data = v
	w.render(rw, p, status, page)
}

func (w *Web) adminDone(rw http.ResponseWriter, r *http.Request, path, msg string) {
	http.Redirect(rw, r, path+"?saved="+url.QueryEscape(msg), http.StatusSeeOther)
}

func (w *Web) flashSaved(p *Page) {
	if s := p.r.URL.Query().Get("saved"); s != "" {
		p.Flash = p.T("admin.saved", s)
	}
}

func (w *Web) adminUsers(rw http.ResponseWriter, r *http.Request, p *Page) {
	w.flashSaved(p)
	w.adminRender(rw, r, p, http.StatusOK, "admin_users")
}

func (w *Web) adminAddUser(rw http.ResponseWriter, r *http.Request, p *Page) {
	f := r.PostForm
	_, err := w.adm.AddUser(r.Context(), p.Actor, f.Get("username"), f.Get("password"), order.Role(f.Get("role")), f.Get("unit"), f.Get("display_name"))
	if err == nil {
		w.adminDone(rw, r, "/admin/users", f.Get("username"))
		return
	}
	p.Form = f
	p.Form.Del("password")
	w.adminRender(rw, r, p, w.applyErr(p, err), "admin_users")
}

func (w *Web) adminUserActive(rw http.ResponseWriter, r *http.Request, p *Page) {
	name := r.PathValue("username")
	if err := w.adm.SetUserActive(r.Context(), p.Actor, name, r.PostForm.Get("active") == "1"); err != nil {
		w.adminRender(rw, r, p, w.applyErr(p, err), "admin_users")
		return
	}
	w.adminDone(rw, r, "/admin/users", name)
}

func (w *Web) adminUnits(rw http.ResponseWriter, r *http.Request, p *Page) {
	w.flashSaved(p)
	w.adminRender(rw, r, p, http.StatusOK, "admin_units")
}

func (w *Web) adminPutUnit(rw http.ResponseWriter, r *http.Request, p *Page) {
	f := r.PostForm
	u := org.Unit{Code: strings.TrimSpace(f.Get("code")), Name: strings.TrimSpace(f.Get("name")), NameEN: strings.TrimSpace(f.Get("name_en")),
		Kind: f.Get("kind"), Active: f.Get("active") != ""}
	if err := w.adm.PutUnit(r.Context(), p.Actor, u); err != nil {
		p.Form = f
		w.adminRender(rw, r, p, w.applyErr(p, err), "admin_units")
		return
	}
	w.adminDone(rw, r, "/admin/units", u.Code)
}

func (w *Web) adminCategories(rw http.ResponseWriter, r *http.Request, p *Page) {
	w.flashSaved(p)
	w.adminRender(rw, r, p, http.StatusOK, "admin_categories")
}

func (w *Web) adminPutCategory(rw http.ResponseWriter, r *http.Request, p *Page) {
	f := r.PostForm
	c := org.Category{Code: strings.TrimSpace(f.Get("code")), Name: strings.TrimSpace(f.Get("name")), NameEN: strings.TrimSpace(f.Get("name_en")),
		Unit: f.Get("unit"), Keywords: strings.TrimSpace(f.Get("keywords")), Active: f.Get("active") != ""}
	if old, ok := w.svc.Category(c.Code); ok {
		c.Attributes, c.Sort = old.Attributes, old.Sort
	} else {
		c.Sort = 1000
	}
	if s := strings.TrimSpace(f.Get("sort")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1000000 {
			p.Form = f
			w.adminRender(rw, r, p, w.applyErr(p, apperr.Field("sort", "a whole number")), "admin_categories")
			return
		}
		c.Sort = n
	}
	if err := w.adm.PutCategory(r.Context(), p.Actor, c); err != nil {
		p.Form = f
		w.adminRender(rw, r, p, w.applyErr(p, err), "admin_categories")
		return
	}
	w.adminDone(rw, r, "/admin/categories", c.Code)
}

func (w *Web) adminPolicy(rw http.ResponseWriter, r *http.Request, p *Page) {
	w.flashSaved(p)
	w.adminRender(rw, r, p, http.StatusOK, "admin_policy")
}

// policyFrom reads the policy table; a row with every limit empty or
// ticked for deletion is dropped.
func policyFrom(f url.Values) (order.Policy, error) {
	var pol order.Policy
	fe := apperr.Fields{}
	n, _ := strconv.Atoi(f.Get("rows"))
	if n < 0 || n > 50 {
		n = 0
	}
	limit := func(i int, name string) (order.Limit, bool) {
		s := strings.TrimSpace(f.Get(fmt.Sprintf("r%d.%s", i, name)))
		if s == "" {
			return order.Limit{}, false
		}
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			fe.Add(fmt.Sprintf("r%d.%s", i, name), "a whole number above 0")
			return order.Limit{}, true
		}
		if f.Get(fmt.Sprintf("r%d.%s_u", i, name)) == "m" {
			return order.Limit{Minutes: v}, true
		}
		return order.Limit{WorkingDays: v}, true
	}
	for i := 0; i < n; i++ {
		if f.Get(fmt.Sprintf("r%d.delete", i)) != "" {
			continue
		}
		s, a := limit(i, "sign")
		c, b := limit(i, "contact")
		rp, d := limit(i, "reply")
		if !a && !b && !d {
			continue
		}
		pol.Rules = append(pol.Rules, order.Rule{Urgency: order.Urgency(f.Get(fmt.Sprintf("r%d.urgency", i))),
			Type: order.Type(f.Get(fmt.Sprintf("r%d.type", i))), Reopened: f.Get(fmt.Sprintf("r%d.reopened", i)) != "",
			Sign: s, Contact: c, Reply: rp})
	}
	return pol, fe.Err()
}

func (w *Web) adminPutPolicy(rw http.ResponseWriter, r *http.Request, p *Page) {
	pol, err := policyFrom(r.PostForm)
	if err == nil {
		err = w.adm.PutPolicy(r.Context(), p.Actor, pol)
	}
	if err != nil {
		p.Form = r.PostForm
		status := w.applyErr(p, err)
		// The policy validator names fields rules[i].x: show them at the top.
		if len(p.Errs) > 0 {
			var parts []string
			for k, v := range p.Errs {
				parts = append(parts, k+"："+v)
			}
			p.Error += " " + strings.Join(parts, "；")
		}
		w.adminRender(rw, r, p, status, "admin_policy")
		return
	}
	w.adminDone(rw, r, "/admin/policy", p.T("admin.policy.title"))
}

func (w *Web) adminCalendar(rw http.ResponseWriter, r *http.Request, p *Page) {
	w.flashSaved(p)
	w.adminRender(rw, r, p, http.StatusOK, "admin_calendar")
}

func (w *Web) adminCalendarDay(rw http.ResponseWriter, r *http.Request, p *Page) {
	f := r.PostForm
	d := calendar.Day{Date: strings.TrimSpace(f.Get("date")), Name: strings.TrimSpace(f.Get("name")), OffDay: f.Get("kind") == "off"}
	err := func() error {
		if _, err := time.Parse("2006-01-02", d.Date); err != nil {
			return apperr.Field("date", "a date like 2027-02-06")
		}
		if len([]rune(d.Name)) > 50 {
			return apperr.FieldProblem("name", apperr.TooLong(50))
		}
		return w.adm.PutCalendarDay(r.Context(), p.Actor, d)
	}()
	if err != nil {
		p.Form = f
		w.adminRender(rw, r, p, w.applyErr(p, err), "admin_calendar")
		return
	}
	http.Redirect(rw, r, "/admin/calendar?year="+d.Date[:4]+"&saved="+url.QueryEscape(d.Date), http.StatusSeeOther)
}

// adminCalendarYear loads a holiday-cn year file, uploaded or pasted.
func (w *Web) adminCalendarYear(rw http.ResponseWriter, r *http.Request, p *Page) {
	var doc []byte
	if file, _, err := r.FormFile("file"); err == nil {
		doc, _ = io.ReadAll(io.LimitReader(file, 1<<20))
		file.Close()
	}
	if len(strings.TrimSpace(string(doc))) == 0 {
		doc = []byte(r.PostFormValue("json"))
	}
	var probe struct {
		Year int `json:"year"`
	}
	err := func() error {
		if len(strings.TrimSpace(string(doc))) == 0 {
			return apperr.Field("file", "required")
		}
		if json.Unmarshal(doc, &probe) != nil {
			return apperr.Field("file", "not a holiday-cn year file")
		}
		if httpx.CheckJSONText(doc) != nil { // a file part: CheckInput leaves it to its reader
			return apperr.Field("file", httpx.BadText)
		}
		_, err := w.adm.LoadCalendarYear(r.Context(), p.Actor, doc)
		return err
	}()
	if err != nil {
		p.Form = r.PostForm
		w.adminRender(rw, r, p, w.applyErr(p, err), "admin_calendar")
		return
	}
	http.Redirect(rw, r, fmt.Sprintf("/admin/calendar?year=%d&saved=%d", probe.Year, probe.Year), http.StatusSeeOther)
}

// modelsView is the admin's list of suggestion model versions.
type modelsView struct {
	Models  []textproc.ModelVersion
	Current map[string]bool // the newest version of each kind (the one in use)
	Off     bool            // the text intelligence is not running
	Skipped string          // why the last retraining trained nothing
}

func (w *Web) modelsData(p *Page) (modelsView, error) {
	v := modelsView{Current: map[string]bool{}}
	ms, err := w.svc.Models(p.r.Context(), p.Actor)
	if err != nil {
		return v, err
	}
	v.Models = ms
	newest := map[string]textproc.ModelVersion{}
	for _, m := range ms {
		if n, ok := newest[m.Kind]; !ok || m.TrainedAt.After(n.TrainedAt) {
			newest[m.Kind] = m
		}
	}
	for _, m := range newest {
		v.Current[m.ID] = true
	}
	v.Off = w.svc.Intel == nil
	return v, nil
}

func (w *Web) adminModels(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "admin", p.T("admin.models.title")
	v, err := w.modelsData(p)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	if s := r.URL.Query().Get("trained"); s != "" {
		p.Flash = p.T("admin.retrained", s)
	}
	p.Data = v
	w.render(rw, p, http.StatusOK, "admin_models")
}

// adminRetrain trains new model versions now.
func (w *Web) adminRetrain(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "admin", p.T("admin.models.title")
	res, err := w.svc.Retrain(r.Context(), p.Actor)
	if err == nil && res.Skipped == "" {
		http.Redirect(rw, r, "/admin/models?trained="+strconv.Itoa(len(res.Models)), http.StatusSeeOther)
		return
	}
	status := http.StatusOK
	if err != nil {
		status = w.applyErr(p, err)
	}
	v, derr := w.modelsData(p)
	if derr != nil {
		w.fail(rw, r, p, derr)
		return
	}
	v.Skipped = res.Skipped
	p.Data = v
	w.render(rw, p, status, "admin_models")
}
