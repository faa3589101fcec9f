package web

import (
	"net/http"
	"net/url"
	"strings"

	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/place"
	"hotline/internal/service"
)

// intakeView is the intake form's data.
type intakeView struct {
	Compounds  []place.OrderCompound
	Buildings  []place.OrderBuilding
	Categories []org.Category
	Created    *service.OrderView // the order just created (the banner)
	Assist     assistView
	// History is the caller's earlier orders, found by the phone typed
	// (service.CallerHistory: only for roles that see callers in full).
	History      []service.EarlierOrder
	HistoryAsked bool
}

// assistView is what appears beside the form as the operator types.
type assistView struct {
	Suggest service.Suggestions
	Similar []service.Similar
	Asked   bool
}

func (w *Web) intakeData(p *Page) (intakeView, error) {
	ctx := p.r.Context()
	var v intakeView
	var err error
	if v.Compounds, err = w.svc.Compounds(ctx, ""); err != nil {
		return v, err
	}
	if c := p.Val("compound"); c != "" {
		if v.Buildings, err = w.svc.Buildings(ctx, c); err != nil {
			return v, err
		}
	}
	cats, err := w.svc.Categories(ctx)
	if err != nil {
		return v, err
	}
	for _, c := range cats {
		if c.Active {
			v.Categories = append(v.Categories, c)
		}
	}
	return v, nil
}

func (w *Web) intakeForm(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "intake", p.T("intake.title")
	p.Form = url.Values{"type": {"complaint"}, "urgency": {"normal"}}
	v, err := w.intakeData(p)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	if id := r.URL.Query().Get("created"); id != "" {
		if o, err := w.svc.GetOrder(r.Context(), p.Actor, id); err == nil {
			v.Created = &o
		}
	}
	p.Data = v
	w.render(rw, p, http.StatusOK, "intake")
}

// newOrderFrom reads the intake form.
func newOrderFrom(f url.Values) order.NewOrder {
	return order.NewOrder{
		Type: order.Type(f.Get("type")), Source: order.Source(orDefault(f.Get("source"), "hotline")),
		Urgency: order.Urgency(orDefault(f.Get("urgency"), "normal")),
		Title:   f.Get("title"), Description: f.Get("description"), Category: f.Get("category"),
		Caller: &order.Caller{Name: f.Get("caller_name"), Phone: f.Get("caller_phone"),
			Confidential: f.Get("confidential") != "", Anonymous: f.Get("anonymous") != ""},
		Address: f.Get("address"), Compound: f.Get("compound"), Building: f.Get("building"),
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// fieldName maps the domain's field names to the form's.
var intakeFields = map[string]string{"caller.name": "caller_name", "caller.phone": "caller_phone"}

// intakeCreate handles the three buttons of the form: create, link to an
// existing order (merge), and answer directly.
func (w *Web) intakeCreate(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "intake", p.T("intake.title")
	f := r.PostForm
	in := newOrderFrom(f)
	ctx := r.Context()
	var (
		v   service.OrderView
		err error
	)
	switch {
	case f.Get("into") != "":
		v, err = w.svc.LinkCall(ctx, p.Actor, in, f.Get("into"))
		if err == nil {
			http.Redirect(rw, r, "/orders/"+v.ID+"?linked=1", http.StatusSeeOther)
			return
		}
	case f.Get("do") == "answer":
		if strings.TrimSpace(f.Get("reply")) == "" {
			p.Errs["reply"] = p.T("problem.required")
			err = errFields
			break
		}
		v, err = w.svc.CreateOrder(ctx, p.Actor, in)
		if err == nil {
			ver := v.Version
			_, err = w.svc.Act(ctx, p.Actor, v.ID, order.ActAnswer, order.Input{Version: &ver, Reply: f.Get("reply")})
			if err == nil {
				http.Redirect(rw, r, "/intake?created="+v.ID, http.StatusSeeOther)
				return
			}
		}
	default:
		v, err = w.svc.CreateOrder(ctx, p.Actor, in)
		if err == nil {
			http.Redirect(rw, r, "/intake?created="+v.ID, http.StatusSeeOther)
			return
		}
	}
	p.Form = f
	status := http.StatusBadRequest
	if err != errFields {
		status = w.applyErr(p, err)
	} else {
		p.Error = p.T("err.fields")
	}
	for from, to := range intakeFields {
		if e, ok := p.Errs[from]; ok {
			p.Errs[to] = e
		}
	}
	data, derr := w.intakeData(p)
	if derr != nil {
		w.fail(rw, r, p, derr)
		return
	}
	data.Assist = w.assist(p, f.Get("title"), f.Get("description"))
	p.Data = data
	w.render(rw, p, status, "intake")
}

// errFields marks a form refused by the page itself (errors already set).
var errFields = &fieldsErr{}

type fieldsErr struct{}

func (*fieldsErr) Error() string { return "invalid form" }

// assist computes the suggestions and the similar open orders for a text.
func (w *Web) assist(p *Page, title, desc string) assistView {
	title, desc = strings.TrimSpace(title), strings.TrimSpace(desc)
	if len([]rune(title))+len([]rune(desc)) < 2 {
		return assistView{}
	}
	v := assistView{Asked: true, Suggest: w.svc.Suggest(title, desc)}
	if w.svc.Intel != nil {
		v.Similar, _ = w.svc.SimilarOpen(p.r.Context(), p.Actor, title, desc, 5)
	} else if title != "" {
		open := []order.Status{}
		for _, s := range order.Statuses {
			if s.Open() {
				open = append(open, s)
			}
		}
		list, _, err := w.svc.ListOrders(p.r.Context(), p.Actor, service.ListQuery{Q: title, Status: open, Limit: 5, Sort: service.SortRelevance})
		if err == nil {
			for _, o := range list {
				v.Similar = append(v.Similar, service.Similar{ID: o.ID, Number: o.Number, Title: o.Title})
			}
		}
	}
	return v
}

// intakeAssist is the htmx fragment beside the form.
func (w *Web) intakeAssist(rw http.ResponseWriter, r *http.Request, p *Page) {
	q := r.URL.Query()
	p.Form = q
	p.Data = intakeView{Assist: w.assist(p, q.Get("title"), q.Get("description"))}
	w.partial(rw, p, "intake", "assist")
}

// intakeBuildings is the htmx fragment of the building picker.
func (w *Web) intakeBuildings(rw http.ResponseWriter, r *http.Request, p *Page) {
	q := r.URL.Query()
	p.Form = q
	var v intakeView
	if c := q.Get("compound"); c != "" {
		bs, err := w.svc.Buildings(r.Context(), c)
		if err != nil {
			w.fail(rw, r, p, err)
			return
		}
		v.Buildings = bs
	}
	p.Data = v
	w.partial(rw, p, "intake", "buildings")
}

// callerHistoryLimit is how many earlier orders intake lists.
const callerHistoryLimit = 8

// intakeCaller is the htmx fragment under the phone field: the caller's
// earlier orders, so the operator knows a repeat caller at once.
func (w *Web) intakeCaller(rw http.ResponseWriter, r *http.Request, p *Page) {
	q := r.URL.Query()
	p.Form = q
	var v intakeView
	phone := strings.TrimSpace(q.Get("caller_phone"))
	if len(phone) >= 7 {
		h, err := w.svc.CallerHistory(r.Context(), p.Actor, phone, callerHistoryLimit)
		if err != nil {
			w.fail(rw, r, p, err)
			return
		}
		v.History, v.HistoryAsked = h, true
	}
	p.Data = v
	w.partial(rw, p, "intake", "callerhistory")
}
