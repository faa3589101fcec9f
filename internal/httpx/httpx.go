// Package httpx holds what every HTTP door of the server shares (the JSON
// API, the web pages, the portal, the feed, the community modules): the
// session token, the logged-in user in a request's context, JSON in and out,
// the contract's error shape, and the route table that wraps handlers with
// authentication, metrics, a body limit and panic recovery. It knows no
// domain but access.
package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"hotline/internal/access"
	"hotline/internal/apperr"
)

// SessionCookie is the name of the browser's session cookie.
const SessionCookie = "hotline_session"

type ctxKey struct{}

// UserFrom returns the logged-in user of a request.
func UserFrom(ctx context.Context) (access.User, bool) {
	u, ok := ctx.Value(ctxKey{}).(access.User)
	return u, ok
}

// WithUser stores the user in a context.
func WithUser(ctx context.Context, u access.User) context.Context {
	return context.WithValue(ctx, ctxKey{}, u)
}

// Token returns the bearer token or the session cookie of a request.
func Token(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// HandlerFunc is a handler that returns its failure instead of writing it:
// the route table writes it once, in the contract's shape.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Routes mounts handlers on the server's mux with the API's wrapping:
// Authed requires a logged-in user (in the request's context, UserFrom);
// name is the route's label in the metrics; options adjust one route's
// wrapping (MaxBody).
type Routes interface {
	Authed(pattern, name string, h HandlerFunc, opts ...RouteOption)
}

// RouteConfig is what RouteOptions adjust; the zero value is the door's
// defaults.
type RouteConfig struct {
	// MaxBody is the largest request body the route reads (0: the door's
	// default, the JSON API's 1 MB).
	MaxBody int64
}

// RouteOption adjusts one route's wrapping.
type RouteOption func(*RouteConfig)

// MaxBody lets one route read bodies up to n bytes instead of the door's
// default: a JSON body stays small, but an upload (a committee's whole
// residents spreadsheet) needs more, and raising the limit for every route
// would let any client make the server buffer that much for nothing.
// A larger body is refused with 413 in the contract's shape.
func MaxBody(n int64) RouteOption { return func(c *RouteConfig) { c.MaxBody = n } }

// ConfigOf applies opts to the zero RouteConfig (for Routes implementations).
func ConfigOf(opts []RouteOption) RouteConfig {
	var c RouteConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// ErrorBody is the contract's error shape (api.md).
type ErrorBody struct {
	Error struct {
		Code    apperr.Code       `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
}

// WriteError writes err in the contract's shape. Internal causes are logged
// (never sent).
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := apperr.As(err)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(apperr.RetrySeconds(e.RetryAfter)))
	}
	var body ErrorBody
	body.Error.Code, body.Error.Message, body.Error.Fields = e.Code, e.Message, e.Fields
	if e.Code == apperr.Internal {
		if log != nil {
			log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		body.Error.Message = "internal error; it has been logged"
	}
	WriteJSON(w, apperr.HTTPStatus(e.Code), body)
}

// WriteJSON writes v as a JSON answer.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// DecodeJSON reads exactly one JSON object into v, turning every way it can
// be wrong into an Invalid (or TooLarge) error that names the field. Every
// JSON door of the server reads bodies with it. The body is read whole
// first, so that its text can be checked (CheckJSONText: NUL bytes and
// invalid UTF-8 are a 400 naming the field, never stored or replaced).
func DecodeJSON(r io.Reader, v any) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return decodeErr(err)
	}
	if err := CheckJSONText(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return decodeErr(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.Field("body", "one JSON object only; extra data after it")
	}
	return nil
}

func decodeErr(err error) error {
	var mbe *http.MaxBytesError
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		return apperr.New(apperr.TooLarge, "request body over %d bytes", mbe.Limit)
	case errors.As(err, &ute):
		field := ute.Field
		if field == "" {
			field = "body"
		}
		return apperr.Field(field, "must be "+jsonKind(ute.Type.Kind().String()))
	case errors.As(err, &se):
		return apperr.Field("body", fmt.Sprintf("malformed JSON at byte %d", se.Offset))
	case errors.Is(err, io.EOF):
		return apperr.Field("body", "empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Field("body", "malformed JSON: unexpected end")
	}
	return apperr.Field("body", "malformed JSON: "+err.Error())
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "a list"
	case "struct", "map", "ptr":
		return "an object"
	case "int", "int64", "int32", "uint", "uint64", "float64", "float32":
		return "a number"
	}
	return "of another type"
}

// BodyErr turns a failure reading a request body (too large, cut short)
// into the contract's error, for handlers that read raw bodies.
func BodyErr(err error) error { return decodeErr(err) }
