// Package apperr is the project's one error type: every failure a user or
// client can cause carries a code from the API contract, a human message and,
// for bad input, the fields at fault. HTTP statuses are derived in one place.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Code is the machine-readable error code of the API contract (api.md).
type Code string

// The codes of api.md, and nothing else.
const (
	Invalid      Code = "invalid"
	Unauthorized Code = "unauthorized"
	Forbidden    Code = "forbidden"
	NotFound     Code = "not_found"
	Conflict     Code = "conflict"
	TooLarge     Code = "too_large"
	Internal     Code = "internal"
	// Unavailable is the one code api.md does not list: the server is
	// momentarily too busy for the request (503 with Retry-After), which is
	// neither the client's fault nor an internal failure.
	Unavailable Code = "unavailable"
)

// Error is a failure with a contract code. Fields names the input fields at
// fault (field → what is wrong), for Invalid errors.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string
	Err     error // the underlying cause, never shown to clients
	// RetryAfter, when set, is how long the client must wait before trying
	// again (a throttled login, a busy server): sent as the Retry-After
	// header, with the same whole seconds as the message (Later).
	RetryAfter time.Duration
	// Reason narrows the code for the pages that word an error for people
	// (a lost version check reads "someone else changed this; reload"). It
	// is not part of the wire contract, which has only codes and fields,
	// and it spares the pages from matching the message's text.
	Reason Reason
}

// Reason is why an error has its code, where a page says it differently.
type Reason string

// The reasons the pages tell apart.
const (
	ReasonStale     Reason = "stale"      // a version check lost: someone else changed the record
	ReasonState     Reason = "state"      // the action is not allowed in the record's current state
	ReasonOtherUnit Reason = "other_unit" // the record belongs to another unit
	ReasonCSRF      Reason = "csrf"       // a form without its session's token
)

// Because sets the error's reason and returns it, so a constructor can say
// why in the same expression: apperr.New(Conflict, "…").Because(ReasonStale).
func (e *Error) Because(r Reason) *Error {
	e.Reason = r
	return e
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an internal error that keeps its cause for logs.
func Wrap(err error, format string, args ...any) *Error {
	return &Error{Code: Internal, Message: fmt.Sprintf(format, args...), Err: err}
}

// Later returns an error the client may retry after wait. The message is
// format followed by "; try again in N seconds", N being exactly the
// Retry-After header's value (RetrySeconds).
func Later(code Code, wait time.Duration, format string, args ...any) *Error {
	n := RetrySeconds(wait)
	unit := "seconds"
	if n == 1 {
		unit = "second"
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...) + fmt.Sprintf("; try again in %d %s", n, unit), RetryAfter: wait}
}

// RetrySeconds is a wait in whole seconds, rounded up, at least 1.
func RetrySeconds(wait time.Duration) int {
	return max(int((wait+time.Second-1)/time.Second), 1)
}

// Field returns an Invalid error about a single field.
func Field(field, problem string) *Error {
	return &Error{Code: Invalid, Message: "invalid " + field + ": " + problem, Fields: map[string]string{field: problem}}
}

// Fields collects field problems; Err returns nil when there are none, so a
// validator can add problems as it goes and return v.Err() at the end.
type Fields map[string]string

// Add records a problem with a field; the first problem per field wins.
func (f Fields) Add(field, problem string) {
	if _, ok := f[field]; !ok {
		f[field] = problem
	}
}

// Err turns the collected problems into one Invalid error, or nil.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	msg := "invalid input"
	if len(f) == 1 {
		for k, v := range f {
			msg = "invalid " + k + ": " + v
		}
	}
	return &Error{Code: Invalid, Message: msg, Fields: map[string]string(f)}
}

// CodeOf returns the code of err, Internal for errors that are not ours.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// As returns err as *Error, wrapping foreign errors as Internal.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "internal error", Err: err}
}

// HTTPStatus maps a code to its HTTP status: the one place this happens.
func HTTPStatus(c Code) int {
	switch c {
	case Invalid:
		return http.StatusBadRequest
	case Unauthorized:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
