// Package campaignapi is the HTTP door of door-to-door campaigns
// (community.md §5): requests in, campaign.Service calls, answers out.
package campaignapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/community/campaign"
	"hotline/internal/community/listing"
	"hotline/internal/httpx"
	"hotline/internal/report"
)

// Mount registers every route on rt.
func Mount(rt httpx.Routes, svc *campaign.Service) {
	h := handler{svc}
	rt.Authed("POST /api/v1/campaigns", "campaign_create", h.create)
	rt.Authed("GET /api/v1/campaigns", "campaign_list", h.list)
	rt.Authed("GET /api/v1/campaigns/{id}", "campaign_get", h.get)
	rt.Authed("PATCH /api/v1/campaigns/{id}", "campaign_update", h.update)
	rt.Authed("POST /api/v1/campaigns/{id}/open", "campaign_open", h.status(campaign.Open))
	rt.Authed("POST /api/v1/campaigns/{id}/close", "campaign_close", h.status(campaign.Closed))
	rt.Authed("POST /api/v1/campaigns/{id}/submissions", "campaign_submit", h.submit)
	rt.Authed("GET /api/v1/campaigns/{id}/progress", "campaign_progress", h.progress)
	rt.Authed("GET /api/v1/campaigns/{id}/households", "campaign_households", h.households)
	rt.Authed("POST /api/v1/campaigns/{id}/export", "campaign_export", h.export)
}

type handler struct{ svc *campaign.Service }

func user(r *http.Request) access.User {
	u, _ := httpx.UserFrom(r.Context())
	return u
}

func (h handler) create(w http.ResponseWriter, r *http.Request) error {
	var in campaign.Input
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	c, err := h.svc.Create(r.Context(), user(r), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, c)
	return nil
}

func (h handler) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	n, err := httpx.Limit(q, listing.MaxSize)
	if err != nil {
		return err
	}
	cs, next, err := h.svc.List(r.Context(), user(r), q.Get("area"), campaign.Status(q.Get("status")), n, q.Get("cursor"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"campaigns": cs, "next_cursor": next})
	return nil
}

func (h handler) get(w http.ResponseWriter, r *http.Request) error {
	c, err := h.svc.Get(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, c)
	return nil
}

func (h handler) update(w http.ResponseWriter, r *http.Request) error {
	var in campaign.Input
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	c, err := h.svc.Update(r.Context(), user(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, c)
	return nil
}

func (h handler) status(to campaign.Status) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Version int64 `json:"version"`
		}
		if r.ContentLength != 0 {
			if err := httpx.DecodeJSON(r.Body, &in); err != nil {
				return err
			}
		}
		c, err := h.svc.SetStatus(r.Context(), user(r), r.PathValue("id"), to, in.Version)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, c)
		return nil
	}
}

func (h handler) submit(w http.ResponseWriter, r *http.Request) error {
	var in campaign.Submission
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	s, err := h.svc.Submit(r.Context(), user(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	// 201 for the first time and for a replay alike: the contract answers a
	// resent submission as the first time.
	httpx.WriteJSON(w, http.StatusCreated, s)
	return nil
}

func (h handler) progress(w http.ResponseWriter, r *http.Request) error {
	p, err := h.svc.Progress(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, p)
	return nil
}

func (h handler) households(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	n, err := httpx.Limit(q, listing.MaxSize)
	if err != nil {
		return err
	}
	hs, next, err := h.svc.Households(r.Context(), user(r), r.PathValue("id"), n, q.Get("cursor"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"households": hs, "next_cursor": next})
	return nil
}

// export answers every household's latest answers, as Excel (default) or
// JSON (?format=json); an admin only, with {"reason"} recorded.
func (h handler) export(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "xlsx" {
		return apperr.Field("format", "xlsx or json")
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	c, subs, err := h.svc.Export(r.Context(), user(r), r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	if subs == nil {
		subs = []campaign.Submission{}
	}
	if format == "json" {
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"submissions": subs})
		return nil
	}
	book := &report.Book{FileName: "入户登记-" + c.Name}
	colsx := []report.Column{{Header: "楼栋", Width: 14}, {Header: "户", Width: 10}, {Header: "结果", Width: 10}, {Header: "采集人", Width: 12},
		{Header: "采集时间", Kind: report.DateTime, Width: 18}}
	for _, f := range c.Form.Fields {
		colsx = append(colsx, report.Column{Header: f.Label, Width: 16})
	}
	sh := book.AddSheet("登记", colsx...)
	for _, s := range subs {
		row := []any{s.Building, s.Household, string(s.Outcome), s.Collector, s.CollectedAt}
		for _, f := range c.Form.Fields {
			row = append(row, answerText(s.Answers[f.Code]))
		}
		sh.Add(row...)
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"campaign-%s.xlsx\"; filename*=UTF-8''%s.xlsx", c.ID, url.PathEscape(book.FileName)))
	w.Header().Set("Cache-Control", "no-store")
	return book.WriteXLSX(w)
}

func answerText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		out := ""
		for i, v := range list {
			if i > 0 {
				out += "、"
			}
			out += v
		}
		return out
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		if b {
			return "是"
		}
		return "否"
	}
	return string(raw)
}
