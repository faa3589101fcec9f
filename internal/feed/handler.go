// Package feed is the municipal platform feed (issue 6): the signed inbound
// webhook that creates and updates orders with source city_platform, and the
// outbox worker that delivers every status change of those orders back to
// the platform, signed the same way, in order per order, with retries.
// docs/feed.md is the contract for the platform's developers.
package feed

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hotline/internal/api"
	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/service"
)

// MaxBody is the largest webhook body read.
const MaxBody = 256 << 10

// Handler serves the inbound webhook.
type Handler struct {
	Svc *service.Service
	Log *slog.Logger
	Box *Box
	Now func() time.Time
}

// Mount adds the feed routes to mux, with platform secrets opened by box.
func Mount(mux *http.ServeMux, svc *service.Service, log *slog.Logger, box *Box) {
	h := &Handler{Svc: svc, Log: log, Box: box, Now: time.Now}
	mux.Handle("POST /api/v1/feed/orders", h)
}

// orderOut is the webhook's answer.
type orderOut struct {
	ID              string        `json:"id"`
	Number          string        `json:"number"`
	PlatformOrderID string        `json:"platform_order_id"`
	Status          order.Status  `json:"status"`
	Type            order.Type    `json:"type"`
	Urgency         order.Urgency `json:"urgency"`
	Title           string        `json:"title"`
	Version         int64         `json:"version"`
	CreatedAt       time.Time     `json:"created_at"`
	UpdatedAt       time.Time     `json:"updated_at"`
	Created         bool          `json:"created"`
	Updated         bool          `json:"updated"`
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.Log.Error("panic in feed handler", "panic", fmt.Sprint(p))
			h.fail(w, apperr.New(apperr.Internal, "internal error"))
		}
	}()
	platform, body, err := h.authenticate(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	var in service.FeedOrder
	if err := api.DecodeJSON(bytes.NewReader(body), &in); err != nil {
		h.fail(w, err)
		return
	}
	res, err := h.Svc.PushFeedOrder(r.Context(), platform, in)
	if err != nil {
		h.fail(w, err)
		return
	}
	o := res.Order
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	api.WriteJSON(w, status, orderOut{ID: o.ID, Number: o.Number, PlatformOrderID: o.ExternalID, Status: o.Status, Type: o.Type, Urgency: o.Urgency,
		Title: o.Title, Version: o.Version, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Created: res.Created, Updated: res.Updated})
}

// authenticate checks the platform, the timestamp, the signature and the
// replay guard, and returns the platform name and the body. Nothing is
// written unless the request is authentic (then only its signature, for the
// replay guard).
func (h *Handler) authenticate(r *http.Request) (string, []byte, error) {
	name := strings.TrimSpace(r.Header.Get(HeaderPlatform))
	tsText := strings.TrimSpace(r.Header.Get(HeaderTimestamp))
	sig := strings.TrimSpace(r.Header.Get(HeaderSignature))
	if name == "" || tsText == "" || sig == "" {
		return "", nil, apperr.New(apperr.Unauthorized, "unsigned request: %s, %s and %s are required", HeaderPlatform, HeaderTimestamp, HeaderSignature)
	}
	if len(name) > 64 || len(sig) > 128 {
		return "", nil, apperr.New(apperr.Unauthorized, "bad signature headers")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", nil, apperr.New(apperr.TooLarge, "request body over %d bytes", MaxBody)
		}
		return "", nil, apperr.Field("body", "could not be read")
	}
	p, err := h.Svc.FeedPlatform(r.Context(), name)
	if apperr.Is(err, apperr.NotFound) {
		return "", nil, apperr.New(apperr.Unauthorized, "unknown platform")
	}
	if err != nil {
		return "", nil, err
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return "", nil, apperr.New(apperr.Unauthorized, "%s must be Unix seconds", HeaderTimestamp)
	}
	now := h.Now()
	if d := now.Sub(time.Unix(ts, 0)); d > MaxSkew || d < -MaxSkew {
		return "", nil, apperr.New(apperr.Unauthorized, "stale timestamp: more than %v from the server's clock", MaxSkew)
	}
	secret, err := h.Box.Open(p.Secret)
	if err != nil {
		return "", nil, apperr.Wrap(err, "open platform secret")
	}
	if !Verify(secret, ts, body, sig) {
		return "", nil, apperr.New(apperr.Unauthorized, "wrong signature")
	}
	if !p.Active {
		return "", nil, apperr.New(apperr.Forbidden, "platform %s is disabled", name)
	}
	fresh, err := h.Svc.UseFeedNonce(r.Context(), name, strings.ToLower(sig), 2*MaxSkew+time.Minute)
	if err != nil {
		return "", nil, err
	}
	if !fresh {
		return "", nil, apperr.New(apperr.Forbidden, "replayed request: this signature was used before; sign each request with a fresh timestamp")
	}
	return name, body, nil
}

type errorBody struct {
	Error struct {
		Code    apperr.Code       `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
}

func (h *Handler) fail(w http.ResponseWriter, err error) {
	e := apperr.As(err)
	var b errorBody
	b.Error.Code, b.Error.Message, b.Error.Fields = e.Code, e.Message, e.Fields
	if e.Code == apperr.Internal {
		h.Log.Error("feed request failed", "err", err)
		b.Error.Message = "internal error; it has been logged"
	}
	if e.Code == apperr.Unauthorized {
		w.Header().Set("WWW-Authenticate", `HMAC realm="hotline-feed"`)
	}
	api.WriteJSON(w, apperr.HTTPStatus(e.Code), b)
}
