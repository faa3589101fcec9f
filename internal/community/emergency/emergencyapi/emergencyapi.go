// Package emergencyapi is the HTTP door of emergency events (community.md
// §4): it translates requests to emergency.Service calls and answers back,
// nothing more. The one addition to the contract's error shape: a check
// update that lost a race answers 409 with the check's "current" state
// beside the error, so that a phone can show the worker what happened.
package emergencyapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/community/emergency"
	"hotline/internal/community/listing"
	"hotline/internal/httpx"
	"hotline/internal/live"
)

// Watcher is what the stream needs of the live hub.
type Watcher interface {
	Subscribe(topic string) (<-chan live.Event, func())
	Done() <-chan struct{}
}

// Handler serves the routes.
type Handler struct {
	Svc    *emergency.Service
	Live   Watcher
	boards boardCache
}

// boardCache lets every stream of an event that wakes for the same change
// share one read of the board and one JSON encoding of it: two hundred
// leaders watching one typhoon cost one read and one encoding per change,
// not two hundred (a board lists up to 200 residents, tens of kilobytes). A
// board read after change seq was committed shows at least that change, so
// it serves every stream woken by seq (or by an older one). Streams woken
// without a seq (a reconnected listener) read their own.
type boardCache struct {
	mu sync.Mutex
	m  map[string]*boardEntry
}

type boardEntry struct {
	seq  int64
	done chan struct{}
	at   int64  // the board's own seq
	text string // the board as JSON
	err  error
}

// encoded reads a board and encodes it as the stream sends it.
func encoded(load func() (emergency.Board, error)) (int64, string, error) {
	b, err := load()
	if err != nil {
		return 0, "", err
	}
	js, err := json.Marshal(b)
	return b.Seq, string(js), err
}

func (c *boardCache) get(id string, seq int64, load func() (emergency.Board, error)) (int64, string, error) {
	if seq <= 0 {
		return encoded(load)
	}
	c.mu.Lock()
	if e := c.m[id]; e != nil && e.seq >= seq {
		c.mu.Unlock()
		<-e.done
		if e.err == nil {
			return e.at, e.text, nil
		}
		return encoded(load)
	}
	if c.m == nil {
		c.m = map[string]*boardEntry{}
	}
	e := &boardEntry{seq: seq, done: make(chan struct{})}
	c.m[id] = e
	c.mu.Unlock()
	e.at, e.text, e.err = encoded(load)
	close(e.done)
	return e.at, e.text, e.err
}

// Mount registers every route on rt.
func (h *Handler) Mount(rt httpx.Routes) {
	rt.Authed("POST /api/v1/emergencies", "emergency_create", h.create)
	rt.Authed("GET /api/v1/emergencies", "emergency_list", h.list)
	rt.Authed("GET /api/v1/emergencies/{id}", "emergency_get", h.get)
	rt.Authed("GET /api/v1/emergencies/{id}/checks", "emergency_checks", h.checks)
	rt.Authed("POST /api/v1/emergencies/{id}/checks/{check}", "emergency_check", h.check)
	rt.Authed("POST /api/v1/emergencies/{id}/tasks", "emergency_task_create", h.addTask)
	rt.Authed("GET /api/v1/emergencies/{id}/tasks", "emergency_tasks", h.tasks)
	rt.Authed("POST /api/v1/emergencies/{id}/tasks/{task}", "emergency_task", h.updateTask)
	rt.Authed("GET /api/v1/emergencies/{id}/history", "emergency_history", h.history)
	rt.Authed("GET /api/v1/emergencies/{id}/board", "emergency_board", h.board)
	rt.Authed("GET /api/v1/emergencies/{id}/stream", "emergency_stream", h.stream)
	rt.Authed("POST /api/v1/emergencies/{id}/close", "emergency_close", h.close)
	rt.Authed("GET /api/v1/emergencies/{id}/report", "emergency_report", h.report)
}

func user(r *http.Request) access.User {
	v, _ := httpx.UserFrom(r.Context())
	return v
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) error {
	var in emergency.NewEvent
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	ev, err := h.Svc.Create(r.Context(), user(r), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, ev)
	return nil
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	n, err := httpx.Limit(q, listing.MaxSize)
	if err != nil {
		return err
	}
	evs, next, err := h.Svc.List(r.Context(), user(r), q.Get("area"), emergency.Status(q.Get("status")), n, q.Get("cursor"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"emergencies": evs, "next_cursor": next})
	return nil
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) error {
	ev, err := h.Svc.Get(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, ev)
	return nil
}

func (h *Handler) checks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	n, err := httpx.Limit(q, listing.MaxSize)
	if err != nil {
		return err
	}
	cs, next, err := h.Svc.Checks(r.Context(), user(r), r.PathValue("id"), emergency.CheckStatus(q.Get("status")), q.Get("building"), n, q.Get("cursor"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"checks": cs, "next_cursor": next})
	return nil
}

// lostBody is the error shape with the check's current state.
type lostBody struct {
	httpx.ErrorBody
	Current emergency.Check `json:"current"`
}

func (h *Handler) check(w http.ResponseWriter, r *http.Request) error {
	var in emergency.CheckUpdate
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	c, err := h.Svc.Check(r.Context(), user(r), r.PathValue("id"), r.PathValue("check"), in)
	var lost *emergency.LostRace
	if errors.As(err, &lost) {
		var b lostBody
		b.Error.Code, b.Error.Message, b.Current = apperr.Conflict, apperr.As(err).Message, lost.Current
		httpx.WriteJSON(w, http.StatusConflict, b)
		return nil
	}
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, c)
	return nil
}

func (h *Handler) addTask(w http.ResponseWriter, r *http.Request) error {
	var in emergency.NewTask
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	t, err := h.Svc.AddTask(r.Context(), user(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, t)
	return nil
}

func (h *Handler) tasks(w http.ResponseWriter, r *http.Request) error {
	ts, err := h.Svc.Tasks(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"tasks": ts, "next_cursor": ""})
	return nil
}

func (h *Handler) updateTask(w http.ResponseWriter, r *http.Request) error {
	var in emergency.TaskUpdate
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	t, err := h.Svc.UpdateTask(r.Context(), user(r), r.PathValue("id"), r.PathValue("task"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, t)
	return nil
}

func (h *Handler) history(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	n, err := httpx.Limit(q, listing.MaxSize)
	if err != nil {
		return err
	}
	hs, next, err := h.Svc.History(r.Context(), user(r), r.PathValue("id"), n, q.Get("cursor"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"history": hs, "next_cursor": next})
	return nil
}

func (h *Handler) board(w http.ResponseWriter, r *http.Request) error {
	b, err := h.Svc.Board(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, b)
	return nil
}

// stream sends the board at once and again after every change (event
// "board", id = the history's seq). Access is checked before the stream
// opens, so a refusal is an ordinary JSON error.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request) error {
	u, id := user(r), r.PathValue("id")
	// Subscribe before the first read, so that no change falls between.
	wake, stop := h.Live.Subscribe(emergency.Topic(id))
	defer stop()
	first, err := h.Svc.Board(r.Context(), u, id)
	if err != nil {
		return err
	}
	sse, err := httpx.NewSSE(w)
	if err != nil {
		return apperr.Wrap(err, "open the event stream")
	}
	sent := false
	_ = httpx.Stream(r.Context(), sse, "board", wake, h.Live.Done(), func(ctx context.Context, woke live.Event) (string, any, error) {
		if !sent {
			sent = true
			return strconv.FormatInt(first.Seq, 10), first, nil
		}
		// Access was checked when the stream opened; an event's readers
		// do not change while it runs.
		at, text, err := h.boards.get(id, woke.Seq, func() (emergency.Board, error) { return h.Svc.Board(ctx, u, id) })
		if err != nil {
			return "", nil, err
		}
		return strconv.FormatInt(at, 10), text, nil
	})
	return nil
}

func (h *Handler) close(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Version int64 `json:"version"`
	}
	if r.ContentLength != 0 {
		if err := httpx.DecodeJSON(r.Body, &in); err != nil {
			return err
		}
	}
	ev, err := h.Svc.Close(r.Context(), user(r), r.PathValue("id"), in.Version)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, ev)
	return nil
}

// report answers a closed event's report as JSON, or as an Excel workbook
// with ?format=xlsx.
func (h *Handler) report(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "xlsx" {
		return apperr.Field("format", "json or xlsx")
	}
	ev, rep, err := h.Svc.Report(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	if format != "xlsx" {
		httpx.WriteJSON(w, http.StatusOK, rep)
		return nil
	}
	book := emergency.ReportBook(ev, rep)
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"emergency-%s.xlsx\"; filename*=UTF-8''%s.xlsx", ev.ID, url.PathEscape(book.FileName)))
	w.Header().Set("Cache-Control", "no-store")
	return book.WriteXLSX(w)
}
