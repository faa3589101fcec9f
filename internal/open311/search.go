package open311

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"hotline/internal/calendar"
	"hotline/internal/order"
)

// Search is a parsed GET requests query.
type Search struct {
	Filter     order.PublicFilter
	Extensions bool
}

// param returns a query parameter; empty is the same as absent.
func param(q url.Values, k string) string { return strings.TrimSpace(q.Get(k)) }

// multi returns every value of a repeatable parameter as one comma list:
// status=open&status=closed is status=open,closed (clients send either).
func multi(q url.Values, k string) string {
	var vs []string
	for _, v := range q[k] {
		if v = strings.TrimSpace(v); v != "" {
			vs = append(vs, v)
		}
	}
	return strings.Join(vs, ",")
}

func list(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func boolParam(q url.Values, k string) (bool, *Error) {
	switch strings.ToLower(param(q, k)) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, &Error{Code: 400, Description: k + " must be true or false"}
}

// parseDate reads start_date/end_date and the updated_* bounds: an ISO
// 8601 date-time with a timezone, or a plain date (Asia/Shanghai midnight).
func parseDate(s string) (time.Time, bool) {
	if t, err := ParseTime(s); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation("2006-01-02", s, calendar.Shanghai); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// openStatuses and closedStatuses split our states into Open311's two.
var openStatuses, closedStatuses []order.Status

func init() {
	for _, s := range order.Statuses {
		if s.Open() {
			openStatuses = append(openStatuses, s)
		} else {
			closedStatuses = append(closedStatuses, s)
		}
	}
}

// ParseSearch reads the parameters of GET requests. service_request_id
// (a comma list) overrides every other filter. Without dates the window is
// the last 90 days (unless updated_after/updated_before bound it), and no
// query returns more than the first 1,000 requests, page by page.
func ParseSearch(q url.Values, cat Catalogue, now time.Time) (Search, []Error) {
	var e errs
	var s Search
	var ee *Error
	if s.Extensions, ee = boolParam(q, "extensions"); ee != nil {
		e = append(e, *ee)
	}
	// Only a request that names page or page_size is paged; a plain v2
	// request gets the v2 default, every request of the window up to the
	// first MaxResults (open311.md, "Extensions we support").
	page, size := 1, DefaultPageSize
	paged := param(q, "page") != "" || param(q, "page_size") != ""
	if v := param(q, "page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			e.bad("page must be a whole number from 1")
		} else {
			page = n
		}
	}
	if v := param(q, "page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			e.bad("page_size must be a whole number from 1 to %d", MaxPageSize)
		} else {
			size = n
		}
	}
	f := &s.Filter
	if ids := multi(q, "service_request_id"); ids != "" {
		f.Numbers = list(ids)
		if len(f.Numbers) > MaxIDs {
			e.bad("service_request_id: at most %d ids", MaxIDs)
		}
		for _, id := range f.Numbers {
			if !validNumber(id) {
				e.bad("service_request_id %q is not a request id (13 digits)", clip(id, 40))
				break
			}
		}
	} else {
		if v := multi(q, "service_code"); v != "" {
			f.Categories = list(v)
			for _, c := range f.Categories {
				if _, ok := cat.Service(c); !ok {
					e.bad("service_code %q is not a service of this jurisdiction", clip(c, 64))
				}
			}
		}
		if v := multi(q, "status"); v != "" {
			for _, st := range list(strings.ToLower(v)) {
				switch st {
				case "open":
					f.Statuses = append(f.Statuses, openStatuses...)
				case "closed":
					f.Statuses = append(f.Statuses, closedStatuses...)
				default:
					e.bad("status must be open or closed (or both, comma-separated)")
				}
			}
			if len(f.Statuses) == len(order.Statuses) {
				f.Statuses = nil
			}
		}
		bound := func(k string) *time.Time {
			v := param(q, k)
			if v == "" {
				return nil
			}
			t, ok := parseDate(v)
			if !ok {
				e.bad("%s must be an ISO 8601 date-time with a timezone, e.g. 2026-11-29T08:00:00+08:00", k)
				return nil
			}
			return &t
		}
		start, end := bound("start_date"), bound("end_date")
		f.UpdatedAfter, f.UpdatedBfr = bound("updated_after"), bound("updated_before")
		switch {
		case start != nil && end != nil:
			if end.Before(*start) {
				e.bad("end_date is before start_date")
			} else if end.Sub(*start) > DefaultWindow {
				e.bad("start_date to end_date spans more than 90 days")
			}
		case start != nil:
			t := start.Add(DefaultWindow)
			end = &t
		case end != nil:
			t := end.Add(-DefaultWindow)
			start = &t
		case f.UpdatedAfter == nil && f.UpdatedBfr == nil:
			t := now.Add(-DefaultWindow)
			start = &t
		}
		if f.UpdatedAfter != nil && f.UpdatedBfr != nil && !f.UpdatedBfr.After(*f.UpdatedAfter) {
			e.bad("updated_before must be after updated_after")
		}
		f.CreatedFrom, f.CreatedTo = start, end
	}
	if len(e) > 0 {
		return Search{}, e
	}
	if !paged {
		page, size = 1, MaxResults
	}
	f.Offset = (page - 1) * size
	f.Limit = min(size, MaxResults-f.Offset)
	if f.Limit < 0 {
		f.Limit = 0
	}
	if len(f.Numbers) > 0 {
		f.Offset, f.Limit = 0, len(f.Numbers)
	}
	return s, nil
}
