package service

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/order"
)

// HotspotCase is the order a hotspot's calls were merged into: the case
// the center handles it as. The hotspot list shows it (and its status), so
// a leader sees the hotspot is being handled.
type HotspotCase struct {
	ID     string       `json:"id"`
	Number string       `json:"number"`
	Status order.Status `json:"status"`
}

// hotspotCaseMu makes the one-click case one at a time in this process: a
// double click finds the calls already merged into the first case and is
// refused instead of opening a second, empty one.
var hotspotCaseMu sync.Mutex

// CaseFromHotspot turns a hotspot into one proactive case (主动立案,
// 未诉先办): a new order of source `patrol` (workflow.md: found by the
// center itself) that names the place and the problem, filed under the
// compound most of the calls name, into which every open call of the
// hotspot is merged (so each caller is a co-caller of the case and hears
// its callback), then dispatched to that compound's residential committee.
// Without a compound known to the directory the case waits in the center's
// queue for dispatch. It returns the case.
//
// The steps are the workflow's own actions, each in its own transaction: a
// call that changed meanwhile (someone acted on it) is left out and logged,
// and the case is kept — it is the center's decision to act, not the calls'.
func (s *Service) CaseFromHotspot(ctx context.Context, a Actor, clusterID string) (OrderView, error) {
	if err := requireRole(a, order.RoleDispatcher); err != nil {
		return OrderView{}, err
	}
	in, err := s.insight()
	if err != nil {
		return OrderView{}, err
	}
	hotspotCaseMu.Lock()
	defer hotspotCaseMu.Unlock()
	var h *Hotspot
	for _, c := range in.Hotspots(2, 0, s.now()) {
		if c.ID == clusterID {
			h = &c
			break
		}
	}
	if h == nil {
		return OrderView{}, apperr.New(apperr.NotFound, "no hotspot %s", truncateStr(clusterID, 20))
	}
	var open []order.Order
	for _, id := range in.OpenMembers(*h) {
		o, err := s.store.GetOrder(ctx, id)
		if err != nil || !o.Status.Open() || o.Parent != "" || len(o.Children) > 0 {
			continue // gone, closed meanwhile, or itself a case
		}
		open = append(open, o)
	}
	if len(open) == 0 {
		if h.Case != nil {
			return OrderView{}, apperr.New(apperr.Conflict, "the hotspot is already handled as case %s and has no new open call", h.Case.Number)
		}
		return OrderView{}, apperr.New(apperr.Conflict, "the hotspot has no open call to handle")
	}
	nw := hotspotCaseOrder(*h, open, s.CompoundName)
	cv, err := s.createOrder(ctx, a, nw, nil)
	if err != nil {
		return OrderView{}, err
	}
	var failed []string
	for _, o := range open {
		v := o.Version
		if _, err := s.Act(ctx, a, o.ID, order.ActMerge, order.Input{Version: &v, Into: cv.ID}); err != nil {
			failed = append(failed, o.Number)
		}
	}
	if len(failed) > 0 {
		s.Log.Warn("hotspot case: calls left out", "hotspot", clusterID, "case", cv.Number, "orders", strings.Join(failed, ","))
	}
	if committee := s.committeeOf(nw.Compound); committee != "" {
		c, err := s.store.GetOrder(ctx, cv.ID)
		if err == nil {
			v := c.Version
			if _, err := s.Act(ctx, a, c.ID, order.ActDispatch, order.Input{Version: &v, Unit: committee,
				Note: "热点主动立案，派社区居委会处置"}); err != nil {
				s.Log.Warn("hotspot case: dispatch to the committee failed; left for the dispatcher", "case", cv.Number, "err", err)
			}
		}
	}
	s.audit(ctx, a, "hotspot_case", "order:"+cv.ID)
	return s.GetOrder(ctx, a, cv.ID)
}

// committeeOf is the residential committee a compound belongs to, when it
// is an active unit.
func (s *Service) committeeOf(compound string) string {
	if compound == "" {
		return ""
	}
	s.mu.RLock()
	c, ok := s.compounds[compound]
	s.mu.RUnlock()
	if !ok || c.Committee == "" || !s.UnitKnown(c.Committee) {
		return ""
	}
	return c.Committee
}

// hotspotCaseOrder is the new case for a hotspot's open calls: the calls'
// most common type, category and compound, their highest urgency, and a
// text made of the hotspot's label (already free of personal data) and the
// calls' numbers. Nothing of the callers is copied: they join the case as
// co-callers through the merge, where masking per role applies.
func hotspotCaseOrder(h Hotspot, calls []order.Order, compoundName func(string) string) order.NewOrder {
	types, cats, comps := map[string]int{}, map[string]int{}, map[string]int{}
	urg := order.Normal
	rank := map[order.Urgency]int{order.Normal: 0, order.Urgent: 1, order.Emergency: 2}
	numbers := make([]string, 0, len(calls))
	for _, o := range calls {
		types[string(o.Type)]++
		if o.Category != "" {
			cats[o.Category]++
		}
		if o.Compound != "" {
			comps[o.Compound]++
		}
		if rank[o.Urgency] > rank[urg] {
			urg = o.Urgency
		}
		numbers = append(numbers, o.Number)
	}
	sort.Strings(numbers)
	typ := order.Type(mostCommon(types))
	if typ == "" {
		typ = order.Complaint
	}
	compound := mostCommon(comps)
	label := strings.TrimSpace(h.Label)
	if label == "" {
		label = strings.Join(h.Terms, " ")
	}
	title := "热点主动处置：" + label
	if utf8.RuneCountInString(title) > order.MaxTitle {
		title = string([]rune(title)[:order.MaxTitle])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "由热点（%d 件来电，热度 %.1f，%s 至 %s）主动立案，作为一案处置。", h.Size, h.Heat,
		h.First.In(calendar.Shanghai).Format("2006-01-02"), h.Last.In(calendar.Shanghai).Format("2006-01-02"))
	if h.Place != "" {
		fmt.Fprintf(&b, "\n地点：%s", h.Place)
	}
	if len(h.Terms) > 0 {
		fmt.Fprintf(&b, "\n问题：%s", strings.Join(h.Terms, " "))
	}
	fmt.Fprintf(&b, "\n并入的来电：%s", strings.Join(numbers, "、"))
	nw := order.NewOrder{Type: typ, Source: order.SourcePatrol, Urgency: urg, Title: title, Description: b.String(),
		Category: mostCommon(cats), Compound: compound}
	if compound != "" {
		nw.Address = compoundName(compound)
	}
	return nw
}

// mostCommon is the key counted most (the smallest on a tie, so the
// choice does not depend on map order); "" for none.
func mostCommon(n map[string]int) string {
	best, bestN := "", 0
	for k, c := range n {
		if c > bestN || (c == bestN && k < best) {
			best, bestN = k, c
		}
	}
	return best
}
