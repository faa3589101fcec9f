package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/service"
)

// Languages are the catalogues in i18n/: zh (the default) and en.
var Languages = []string{"zh", "en"}

func loadCatalog() (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, l := range Languages {
		b, err := files.ReadFile("i18n/" + l + ".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n/%s.json: %w", l, err)
		}
		out[l] = m
	}
	return out, nil
}

// t looks a key up in the language's catalogue, then in Chinese, and
// formats args into it; an unknown key shows as itself.
func (w *Web) t(lang, key string, args ...any) string {
	s, ok := w.catalog[lang][key]
	if !ok {
		if s, ok = w.catalog["zh"][key]; !ok {
			s = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// problemKeys word the field problems that carry a code
// (apperr.Problem.Code); withArg says the wording has a place for the
// problem's Arg (a limit, a name), filled even when the Arg is empty. With
// messageKey it is the one mapping from an error to a page's words;
// neither reads the English text.
var problemKeys = map[apperr.ProblemCode]struct {
	key     string
	withArg bool
}{
	apperr.ProblemTooLong:         {"problem.too_long", true},
	apperr.ProblemChoose:          {"problem.choose", false},
	apperr.ProblemUnknownUnit:     {"problem.unknown_unit", true},
	apperr.ProblemUnknownCategory: {"problem.unknown_category", true},
	apperr.ProblemUnknownCompound: {"problem.unknown_compound", true},
	apperr.ProblemNoOrder:         {"problem.no_order", false},
	apperr.ProblemMergeTarget:     {"problem.merge_target", false},
}

// problem translates a field problem of the domain's validators: a coded
// one by its code, one without a code by the catalogue's entry for its
// fixed wording ("problem.required"), anything else shown as it is.
func (w *Web) problem(lang string, p apperr.Problem) string {
	if k, ok := problemKeys[p.Code]; ok {
		if k.withArg {
			return w.t(lang, k.key, p.Arg)
		}
		return w.t(lang, k.key)
	}
	if s, ok := w.catalog[lang]["problem."+p.Text]; ok {
		return s
	}
	if lang == "en" {
		return p.Text
	}
	return w.t(lang, "problem.other", p.Text)
}

// reasonKeys word the errors whose reason a page says differently from
// their code (apperr.Reason), before the code's own wording.
var reasonKeys = map[apperr.Reason]string{
	apperr.ReasonStale:     "err.stale",
	apperr.ReasonState:     "err.state",
	apperr.ReasonOtherUnit: "err.other_unit",
	apperr.ReasonCSRF:      "err.csrf",
}

// messageKey is the one mapping from an error's code, reason and retry to
// the catalogue key a page shows; "" means the error's own message. It
// reads no message text: what a page says must not hang on how a domain
// package happened to word its error.
func messageKey(e *apperr.Error) string {
	if k, ok := reasonKeys[e.Reason]; ok {
		return k
	}
	switch {
	case e.Code == apperr.Forbidden:
		return "err.forbidden"
	case e.Code == apperr.NotFound:
		return "err.not_found"
	case e.Code == apperr.Unauthorized && e.RetryAfter > 0:
		return "err.throttled"
	case e.RetryAfter > 0:
		return "err.busy"
	case e.Code == apperr.Unauthorized:
		return "err.login"
	case e.Code == apperr.Invalid && len(e.Fields) > 0:
		return "err.fields"
	case e.Code == apperr.Internal:
		return "err.internal"
	}
	return ""
}

// message is the page-level text of an error.
func (w *Web) message(lang string, e *apperr.Error) string {
	switch k := messageKey(e); k {
	case "err.throttled", "err.busy":
		return w.t(lang, k, apperr.RetrySeconds(e.RetryAfter))
	case "":
		if lang == "en" {
			return e.Message
		}
		return w.t(lang, "problem.other", e.Message)
	default:
		return w.t(lang, k)
	}
}

// Time shows a moment in Asia/Shanghai.
func (p *Page) Time(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.In(calendar.Shanghai).Format("2006-01-02 15:04")
	case *time.Time:
		if v == nil {
			return ""
		}
		return p.Time(*v)
	}
	return ""
}

// Left shows the time left until a deadline ("剩 2 天 3 小时"), or how late.
func (p *Page) Left(t *time.Time) string {
	if t == nil {
		return ""
	}
	d := time.Until(*t)
	late := d < 0
	if late {
		d = -d
	}
	days, hours, mins := int(d.Hours())/24, int(d.Hours())%24, int(d.Minutes())%60
	var s string
	switch {
	case d < time.Minute:
		// "超期 0分钟" reads as a contradiction: say it is about now.
		if late {
			return p.T("left.just_late")
		}
		return p.T("left.under_minute")
	case days > 0:
		s = p.T("left.dh", days, hours)
	case hours > 0:
		s = p.T("left.hm", hours, mins)
	default:
		s = p.T("left.m", mins)
	}
	if late {
		return p.T("left.late", s)
	}
	return p.T("left.left", s)
}

// Late reports whether a deadline has passed.
func (p *Page) Late(t *time.Time) bool { return t != nil && time.Now().After(*t) }

// Soon reports whether a deadline is less than a day away (or passed).
func (p *Page) Soon(t *time.Time) bool { return t != nil && time.Until(*t) < 24*time.Hour }

// StatusName, ActionName, TypeName … translate the domain's enums.
func (p *Page) StatusName(s order.Status) string       { return p.T("status." + string(s)) }
func (p *Page) ActionName(a any) string                { return p.T("action." + fmt.Sprint(a)) }
func (p *Page) TypeName(t order.Type) string           { return p.T("type." + string(t)) }
func (p *Page) UrgencyName(u order.Urgency) string     { return p.T("urgency." + string(u)) }
func (p *Page) SourceName(s order.Source) string       { return p.T("source." + string(s)) }
func (p *Page) RoleName(r order.Role) string           { return p.T("role." + string(r)) }
func (p *Page) Enum(prefix string, v any) string       { return p.T(prefix + "." + fmt.Sprint(v)) }
func (p *Page) KindName(k string) string               { return p.T("kind." + k) }
func (p *Page) NoteKindName(k string) string           { return p.T("notekind." + k) }
func (p *Page) ResultName(r string) string             { return p.T("result." + r) }
func (p *Page) OutcomeName(o string) string            { return p.T("outcome." + o) }
func (p *Page) Statuses() []order.Status               { return order.Statuses }
func (p *Page) Types() []order.Type                    { return order.Types }
func (p *Page) Urgencies() []order.Urgency             { return order.Urgencies }
func (p *Page) Has(list []order.Action, a string) bool { return hasAction(list, a) }

func hasAction(list []order.Action, a string) bool {
	for _, x := range list {
		if string(x) == a {
			return true
		}
	}
	return false
}

// UnitName is a unit's name in the page's language.
func (p *Page) UnitName(code string) string {
	if code == "" {
		return p.T("unit.none")
	}
	u, ok := p.w.svc.Unit(code)
	if !ok {
		return code
	}
	if p.Lang == "en" && u.NameEN != "" {
		return u.NameEN
	}
	return u.Name
}

// CatName is a category's name in the page's language.
func (p *Page) CatName(code string) string {
	if code == "" {
		return ""
	}
	c, ok := p.w.svc.Category(code)
	if !ok {
		return code
	}
	if p.Lang == "en" && c.NameEN != "" {
		return c.NameEN
	}
	return c.Name
}

// Pct shows a rate, "—" for no data.
func (p *Page) Pct(r *float64) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *r*100)
}

// BodyText shows an event body as short "key: value" text.
func (p *Page) BodyText(b map[string]any) string {
	var parts []string
	for _, k := range []string{"unit", "co_units", "note", "reason", "reply", "text", "kind", "days", "result", "outcome", "resolved", "into", "child", "number", "round", "urge_count", "due", "type", "urgency", "title"} {
		v, ok := b[k]
		if !ok {
			continue
		}
		var s string
		switch k {
		case "unit":
			s = p.UnitName(fmt.Sprint(v))
		case "kind":
			s = p.NoteKindName(fmt.Sprint(v))
		case "result":
			s = p.ResultName(fmt.Sprint(v))
		case "outcome":
			s = p.OutcomeName(fmt.Sprint(v))
		case "type":
			s = p.TypeName(order.Type(fmt.Sprint(v)))
		case "urgency":
			s = p.UrgencyName(order.Urgency(fmt.Sprint(v)))
		case "resolved":
			if v == true {
				s = p.T("yes")
			} else {
				s = p.T("no")
			}
		case "due":
			if t, err := time.Parse(time.RFC3339, fmt.Sprint(v)); err == nil {
				s = p.Time(t)
			}
		case "co_units":
			if l, ok := v.([]any); ok {
				var n []string
				for _, c := range l {
					n = append(n, p.UnitName(fmt.Sprint(c)))
				}
				s = strings.Join(n, "、")
			}
		default:
			s = fmt.Sprint(v)
		}
		// The parts are joined with "；": a value's own closing stop would
		// double it ("。；").
		s = strings.TrimRight(strings.TrimSpace(s), "。；;，,")
		parts = append(parts, p.T("field."+k)+"："+s)
	}
	return strings.Join(parts, "；")
}

var funcs = template.FuncMap{
	"add":   func(a, b int) int { return a + b },
	"str":   func(v any) string { return fmt.Sprint(v) },
	"deref": func(v *bool) bool { return v != nil && *v },
	"list":  func(s ...string) []string { return s },
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

// Conf shows a model confidence as a percentage.
func (p *Page) Conf(c float64) string { return fmt.Sprintf("%.0f%%", c*100) }

// Place is where an order is (service.Place: compound, building, free
// address, nothing twice).
func (p *Page) Place(v any) string {
	switch o := v.(type) {
	case service.OrderView:
		return p.w.svc.Place(&o.Order)
	case *service.OrderView:
		return p.w.svc.Place(&o.Order)
	case order.Order:
		return p.w.svc.Place(&o)
	case *order.Order:
		return p.w.svc.Place(o)
	}
	return ""
}

// Who names the actor of an event for people (service.WhoIs): a user's
// display name and unit — the unit left out when the name already says it
// ("宾阳路居委会 书记") — or the channel an order came in by, in the page's
// language; never a bare login when the user is known.
func (p *Page) Who(username string) string {
	w := p.w.svc.WhoIs(p.r.Context(), username)
	switch {
	case w.Channel != "":
		return p.T("actor." + w.Channel)
	case w.Name == "":
		return p.UnitName(w.Unit)
	case w.Unit == "":
		return w.Name
	}
	unit := p.UnitName(w.Unit)
	first, _, _ := strings.Cut(w.Name, " ")
	if strings.Contains(w.Name, unit) || strings.Contains(unit, first) {
		return w.Name
	}
	return p.T("who.name_unit", w.Name, unit)
}

// NotifyText is a notification in the page's language, written from its
// kind, order number and deadline; the stored message (Chinese, for the
// API) shows only for a kind the catalogue does not know.
func (p *Page) NotifyText(n order.Notification) string {
	key := "notify.text." + n.Kind
	if _, ok := p.w.catalog[p.Lang][key]; !ok {
		return n.Message
	}
	return p.T(key, n.Number, p.Time(n.Deadline))
}

// CompoundName is a compound's name.
func (p *Page) CompoundName(code string) string { return p.w.svc.CompoundName(code) }
