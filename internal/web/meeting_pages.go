package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/community/meeting"
)

// The meeting's own page is where a committee records what happened:
// minutes and decisions, follow-up actions with an owner and a due date,
// an action marked done, another order linked (by its number, as workers
// know orders) — and from where the thread of every meeting about the
// compound or an order opens. Each form posts to its own URL and comes
// back to the page (303), so a reload never repeats a change; a refused
// form shows the page again with the problem beside its field and what was
// typed kept. Plain forms, no script: the same page works on a desk and on
// a phone.

// meetingPage is what meeting_view shows.
type meetingPage struct {
	M      meeting.Meeting
	Edit   bool     // the area's workers and admins
	Owners []string // suggestions for an action's owner
	Form   string   // the form a refused post came from
}

// CanDone reports whether the viewer may mark an action done: the page's
// editors, or the action's owner (a login, or a worker of the owner unit).
func (v meetingPage) CanDone(p *Page, a meeting.Action) bool {
	return v.Edit || p.User.Username == a.Owner || (p.User.Role == access.RoleHandler && p.User.Unit == a.Owner)
}

func (c *community) renderMeeting(rw http.ResponseWriter, r *http.Request, p *Page, id string, status int, form string) {
	m, err := c.meeting.Get(r.Context(), p.User, id)
	if err != nil {
		c.fail(rw, r, p, err)
		return
	}
	v := meetingPage{M: m, Edit: access.EditsArea(p.User, m.Area), Form: form}
	for _, o := range []string{p.User.Username, p.User.Unit, m.Area} {
		if o != "" && !slices.Contains(v.Owners, o) {
			v.Owners = append(v.Owners, o)
		}
	}
	switch r.URL.Query().Get("ok") {
	case "minutes":
		p.Flash = p.T("meeting.ok.minutes")
	case "action":
		p.Flash = p.T("meeting.ok.action")
	case "done":
		p.Flash = p.T("meeting.ok.done")
	case "linked":
		p.Flash = p.T("meeting.ok.linked")
	}
	p.Title, p.Data = m.Topic, v
	c.render(rw, p, status, "meeting_view")
}

func (c *community) meetingView(rw http.ResponseWriter, r *http.Request, p *Page) {
	c.renderMeeting(rw, r, p, r.PathValue("id"), http.StatusOK, "")
}

// refused shows the meeting again with a post's problem and its values.
func (c *community) refused(rw http.ResponseWriter, r *http.Request, p *Page, form string, err error) {
	p.Form = r.PostForm
	status := c.applyErr(p, err)
	c.renderMeeting(rw, r, p, r.PathValue("id"), status, form)
}

func version(r *http.Request) *int64 {
	v, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		return nil
	}
	return &v
}

// lines splits a textarea into its non-blank lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (c *community) meetingMinutes(rw http.ResponseWriter, r *http.Request, p *Page) {
	id := r.PathValue("id")
	in := meeting.MinutesInput{Minutes: r.PostFormValue("minutes"), Decisions: lines(r.PostFormValue("decisions")), Version: version(r)}
	if _, err := c.meeting.Minutes(r.Context(), p.User, id, in); err != nil {
		c.refused(rw, r, p, "minutes", err)
		return
	}
	http.Redirect(rw, r, "/meetings/"+url.PathEscape(id)+"?ok=minutes", http.StatusSeeOther)
}

func (c *community) meetingAction(rw http.ResponseWriter, r *http.Request, p *Page) {
	id := r.PathValue("id")
	in := meeting.ActionInput{Text: r.PostFormValue("text"), Owner: r.PostFormValue("owner"), Due: r.PostFormValue("due")}
	if _, err := c.meeting.AddAction(r.Context(), p.User, id, in); err != nil {
		c.refused(rw, r, p, "action", err)
		return
	}
	http.Redirect(rw, r, "/meetings/"+url.PathEscape(id)+"?ok=action#actions", http.StatusSeeOther)
}

func (c *community) meetingLink(rw http.ResponseWriter, r *http.Request, p *Page) {
	ctx := r.Context()
	id := r.PathValue("id")
	typed := strings.TrimSpace(r.PostFormValue("order"))
	if typed == "" {
		c.refused(rw, r, p, "link", apperr.Field("orders", "required"))
		return
	}
	oid, err := c.svc.OrderIDByNumber(ctx, p.Actor, typed)
	if apperr.Is(err, apperr.NotFound) {
		c.refused(rw, r, p, "link", apperr.FieldProblem("orders", apperr.NoOrder(typed)))
		return
	}
	if err != nil {
		c.refused(rw, r, p, "link", err)
		return
	}
	m, err := c.meeting.Get(ctx, p.User, id)
	if err != nil {
		c.fail(rw, r, p, err)
		return
	}
	if slices.Contains(m.Orders, oid) {
		c.refused(rw, r, p, "link", apperr.Field("orders", "already linked"))
		return
	}
	orders := append(slices.Clone(m.Orders), oid)
	if _, err := c.meeting.Update(ctx, p.User, id, meeting.Input{Orders: &orders, Version: version(r)}); err != nil {
		c.refused(rw, r, p, "link", err)
		return
	}
	http.Redirect(rw, r, "/meetings/"+url.PathEscape(id)+"?ok=linked", http.StatusSeeOther)
}

// meetingDone marks an action done and goes back to its meeting.
func (c *community) meetingDone(rw http.ResponseWriter, r *http.Request, p *Page) {
	a, err := c.meeting.Done(r.Context(), p.User, r.PathValue("id"))
	if err != nil {
		c.fail(rw, r, p, err)
		return
	}
	http.Redirect(rw, r, "/meetings/"+url.PathEscape(a.Meeting)+"?ok=done#actions", http.StatusSeeOther)
}

// threadView is one thread: every meeting, decision and open action about
// a compound or about an order and those merged with it, in time order.
type threadView struct {
	Compound, Order string
	Items           []meeting.Item
}

func (c *community) meetingThread(rw http.ResponseWriter, r *http.Request, p *Page) {
	q := r.URL.Query()
	v := threadView{Compound: q.Get("compound"), Order: q.Get("order")}
	items, err := c.meeting.ThreadOf(r.Context(), p.User, v.Compound, v.Order)
	if err != nil {
		c.fail(rw, r, p, err)
		return
	}
	v.Items = items
	p.Title, p.Data = p.T("meeting.thread.title"), v
	c.render(rw, p, http.StatusOK, "meeting_thread")
}
