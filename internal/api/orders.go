package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/service"
)

// callerJSON is the caller as this user may see it.
type callerJSON struct {
	Name         string `json:"name"`
	Phone        string `json:"phone"`
	Confidential bool   `json:"confidential"`
	Anonymous    bool   `json:"anonymous"`
	Hidden       bool   `json:"hidden,omitempty"`
}

func callerOut(v order.CallerView) callerJSON {
	return callerJSON{Name: v.Name, Phone: v.Phone, Confidential: v.Confidential, Anonymous: v.Anonymous, Hidden: v.Hidden}
}

type eventJSON struct {
	Seq    int            `json:"seq"`
	At     time.Time      `json:"at"`
	Actor  string         `json:"actor"`
	Action string         `json:"action"`
	From   *string        `json:"from"`
	To     string         `json:"to"`
	Body   map[string]any `json:"body"`
	Hash   string         `json:"hash"`
}

// OrderJSON is the order of api.md.
type OrderJSON struct {
	ID               string               `json:"id"`
	Number           string               `json:"number"`
	Type             order.Type           `json:"type"`
	Source           order.Source         `json:"source"`
	Urgency          order.Urgency        `json:"urgency"`
	Status           order.Status         `json:"status"`
	Title            string               `json:"title"`
	Description      string               `json:"description"`
	Category         *string              `json:"category"`
	Unit             *string              `json:"unit"`
	CoUnits          []string             `json:"co_units"`
	Caller           callerJSON           `json:"caller"`
	CoCallers        []callerJSON         `json:"co_callers"`
	Address          string               `json:"address"`
	Compound         *string              `json:"compound"`
	Building         *string              `json:"building"`
	Lat              *float64             `json:"lat"`
	Lng              *float64             `json:"lng"`
	Round            int                  `json:"round"`
	Version          int64                `json:"version"`
	CreatedAt        time.Time            `json:"created_at"`
	UpdatedAt        time.Time            `json:"updated_at"`
	DispatchedAt     *time.Time           `json:"dispatched_at"`
	SignDue          *time.Time           `json:"sign_due"`
	ContactDue       *time.Time           `json:"contact_due"`
	Due              *time.Time           `json:"due"`
	AcceptedAt       *time.Time           `json:"accepted_at"`
	ContactedAt      *time.Time           `json:"contacted_at"`
	RepliedAt        *time.Time           `json:"replied_at"`
	ClosedAt         *time.Time           `json:"closed_at"`
	Overdue          bool                 `json:"overdue"`
	UrgeCount        int                  `json:"urge_count"`
	Supervised       bool                 `json:"supervised"`
	Parent           *string              `json:"parent"`
	Children         []string             `json:"children"`
	Satisfaction     *string              `json:"satisfaction"`
	Resolved         *bool                `json:"resolved"`
	ReopenCount      int                  `json:"reopen_count"`
	ReplyResult      *string              `json:"reply_result"`
	ReplyText        *string              `json:"reply_text"`
	PendingExtension *order.Extension     `json:"pending_extension"`
	AllowedActions   []order.Action       `json:"allowed_actions"`
	Events           []eventJSON          `json:"events,omitempty"`
	Suggestions      *service.Suggestions `json:"suggestions,omitempty"`
	Similar          *[]service.Similar   `json:"similar,omitempty"`
	Meetings         any                  `json:"meetings,omitempty"` // GET /orders/{id}: the consultation meetings linked to it (community.md §3)
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// OrderOut renders an order view as the API's JSON.
func OrderOut(v service.OrderView) OrderJSON {
	o := v.Order
	out := OrderJSON{
		ID: o.ID, Number: o.Number, Type: o.Type, Source: o.Source, Urgency: o.Urgency, Status: o.Status,
		Title: o.Title, Description: o.Description, Category: strPtr(o.Category), Unit: strPtr(o.Unit), CoUnits: nonNil(o.CoUnits),
		Caller: callerOut(v.CallerView), CoCallers: []callerJSON{}, Address: o.Address, Compound: strPtr(o.Compound), Building: strPtr(o.Building),
		Lat: o.Lat, Lng: o.Lng, Round: o.Round, Version: o.Version, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		DispatchedAt: o.DispatchedAt, SignDue: o.SignDue, ContactDue: o.ContactDue, Due: o.Due, AcceptedAt: o.AcceptedAt,
		ContactedAt: o.ContactedAt, RepliedAt: o.RepliedAt, ClosedAt: o.ClosedAt, Overdue: v.IsOverdue, UrgeCount: o.UrgeCount,
		Supervised: o.Supervised, Parent: strPtr(o.Parent), Children: nonNil(o.Children), Satisfaction: strPtr(o.Satisfaction),
		Resolved: o.Resolved, ReopenCount: o.ReopenCount, ReplyResult: strPtr(o.ReplyResult), ReplyText: strPtr(o.ReplyText),
		PendingExtension: o.PendingExtension, AllowedActions: nonNil(v.Allowed), Suggestions: v.Suggestions,
	}
	if v.Similar != nil {
		out.Similar = &v.Similar
	}
	for _, c := range v.CoCallerViews {
		out.CoCallers = append(out.CoCallers, callerOut(c))
	}
	if v.Events != nil {
		out.Events = []eventJSON{}
		for _, e := range v.Events {
			ej := eventJSON{Seq: e.Seq, At: e.At, Actor: e.Actor, Action: e.Action, To: string(e.To), Body: e.Body, Hash: e.Hash}
			if e.From != "" {
				f := string(e.From)
				ej.From = &f
			}
			if ej.Body == nil {
				ej.Body = map[string]any{}
			}
			out.Events = append(out.Events, ej)
		}
	}
	return out
}

func (a *API) createOrder(w http.ResponseWriter, r *http.Request) {
	var in order.NewOrder
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	v, err := a.Svc.CreateOrder(r.Context(), actor(r), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/orders/"+v.ID)
	writeJSON(w, http.StatusCreated, OrderOut(v))
}

func (a *API) getOrder(w http.ResponseWriter, r *http.Request) {
	v, err := a.Svc.GetOrder(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := OrderOut(v)
	if a.OrderMeetings != nil {
		if out.Meetings, err = a.OrderMeetings(r.Context(), v.ID); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// ParseListQuery reads the list filters of api.md from a query string.
func ParseListQuery(q map[string][]string) (service.ListQuery, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	f := apperr.Fields{}
	var lq service.ListQuery
	for _, s := range strings.Split(get("status"), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		ok := false
		for _, st := range order.Statuses {
			ok = ok || string(st) == s
		}
		if !ok {
			f.Add("status", "unknown status "+truncate(s, 30))
		}
		lq.Status = append(lq.Status, order.Status(s))
	}
	if t := get("type"); t != "" {
		ok := false
		for _, x := range order.Types {
			ok = ok || string(x) == t
		}
		if !ok {
			f.Add("type", "unknown type "+truncate(t, 30))
		}
		lq.Type = order.Type(t)
	}
	lq.Unit, lq.Category, lq.Cursor = get("unit"), get("category"), get("cursor")
	lq.Q = get("q")
	if len([]rune(lq.Q)) > 200 {
		f.Add("q", "at most 200 characters")
	}
	switch srt := get("sort"); srt {
	case "", service.SortNewest:
	case service.SortRelevance:
		lq.Sort = srt
	default:
		f.Add("sort", "must be newest or relevance")
	}
	for _, k := range []string{"overdue", "supervised"} {
		switch get(k) {
		case "", "false", "0":
		case "true", "1":
			if k == "overdue" {
				lq.Overdue = true
			} else {
				lq.Supervised = true
			}
		default:
			f.Add(k, "true or false")
		}
	}
	for _, k := range []string{"from", "to"} {
		s := get(k)
		if s == "" {
			continue
		}
		t, err := parseTimeOrDate(s, k == "to")
		if err != nil {
			f.Add(k, "RFC 3339 time or a date like 2026-11-29")
			continue
		}
		if k == "from" {
			lq.From = &t
		} else {
			lq.To = &t
		}
	}
	if l := get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			f.Add("limit", "a number from 1 to 200")
		}
		lq.Limit = n
	}
	return lq, f.Err()
}

func (a *API) listOrders(w http.ResponseWriter, r *http.Request) {
	lq, err := ParseListQuery(r.URL.Query())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	views, next, err := a.Svc.ListOrders(r.Context(), actor(r), lq)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Orders     []OrderJSON `json:"orders"`
		NextCursor *string     `json:"next_cursor"`
	}{Orders: []OrderJSON{}, NextCursor: strPtr(next)}
	for _, v := range views {
		out.Orders = append(out.Orders, OrderOut(v))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) act(w http.ResponseWriter, r *http.Request) {
	act := order.Action(r.PathValue("action"))
	if !order.Known(act) {
		a.fail(w, r, apperr.New(apperr.NotFound, "unknown action %q", truncate(string(act), 40)))
		return
	}
	var in order.Input
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	v, err := a.Svc.Act(r.Context(), actor(r), r.PathValue("id"), act, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, OrderOut(v))
}

func (a *API) classify(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title       string `json:"title"`
		Description string `json:"description"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	if strings.TrimSpace(in.Title) == "" && strings.TrimSpace(in.Description) == "" {
		a.fail(w, r, apperr.Field("title", "title or description required"))
		return
	}
	if len([]rune(in.Title))+len([]rune(in.Description)) > order.MaxText+order.MaxTitle {
		a.fail(w, r, apperr.FieldProblem("description", apperr.TooLong(order.MaxText)))
		return
	}
	writeJSON(w, http.StatusOK, a.Svc.Suggest(in.Title, in.Description))
}

func parseTimeOrDate(s string, endOfDay bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, shanghai())
	if err != nil {
		return t, err
	}
	if endOfDay {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
