// Package apperr is the project's one error type: every failure a user or
// client can cause carries a code from the API contract, a human message and,
// for bad input, the fields at fault. HTTP statuses are derived in one place.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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
// fault (field → what is wrong, in English: the wire's `fields`), for
// Invalid errors; Problems holds, by field, those of them that carry a
// problem code (see Problem).
type Error struct {
	Code     Code
	Message  string
	Fields   map[string]string
	Problems map[string]Problem
	Err      error // the underlying cause, never shown to clients
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

// Problem is what is wrong with one input field. Text is its English
// wording, which API clients read in `fields`. Code, when set, names the
// problem for the pages, which word it in the reader's language with Arg
// (a limit, a name) filled in: a page must not find out what went wrong by
// reading the English text, which a domain package may reword at will.
// Problems without a code are few-worded and fixed ("required"); a page
// shows them by their text.
type Problem struct {
	Text string
	Code ProblemCode
	Arg  string
}

// ProblemCode is the kind of a field problem, for the pages. Like Reason,
// it is not part of the wire contract.
type ProblemCode string

// The field problems that have a code: the ones whose text varies (a
// limit, a list of values, a name), which a page could not look up by text.
const (
	ProblemTooLong         ProblemCode = "too_long"         // Arg: the most characters
	ProblemChoose          ProblemCode = "choose"           // not one of the allowed values
	ProblemUnknownUnit     ProblemCode = "unknown_unit"     // Arg: the unit code given
	ProblemUnknownCategory ProblemCode = "unknown_category" // Arg: the category code given
	ProblemUnknownCompound ProblemCode = "unknown_compound" // Arg: the compound code given
	ProblemNoOrder         ProblemCode = "no_order"         // the order named does not exist
	ProblemMergeTarget     ProblemCode = "merge_target"     // the order to merge into is not open or is merged
)

// TooLong is "too long: at most max characters".
func TooLong(max int) Problem {
	return Problem{Text: fmt.Sprintf("too long: at most %d characters", max), Code: ProblemTooLong, Arg: strconv.Itoa(max)}
}

// OneOf is "must be one of a, b, c": a value outside a fixed list.
func OneOf(values ...string) Problem {
	return Problem{Text: "must be one of " + strings.Join(values, ", "), Code: ProblemChoose}
}

// UnknownUnit, UnknownCategory and UnknownCompound are "unknown unit X"
// and the like: a code that names nothing in the catalogue.
func UnknownUnit(code string) Problem {
	return Problem{Text: "unknown unit " + code, Code: ProblemUnknownUnit, Arg: code}
}

// UnknownCategory is "unknown category X".
func UnknownCategory(code string) Problem {
	return Problem{Text: "unknown category " + code, Code: ProblemUnknownCategory, Arg: code}
}

// UnknownCompound is "unknown compound X".
func UnknownCompound(code string) Problem {
	return Problem{Text: "unknown compound " + code, Code: ProblemUnknownCompound, Arg: code}
}

// NoOrder is "no order X": a field names an order that does not exist.
func NoOrder(id string) Problem {
	return Problem{Text: "no order " + id, Code: ProblemNoOrder}
}

// Field returns an Invalid error about a single field.
func Field(field, problem string) *Error {
	return FieldProblem(field, Problem{Text: problem})
}

// FieldProblem returns an Invalid error about a single field, with the
// problem's code.
func FieldProblem(field string, p Problem) *Error {
	f := Fields{}
	f.AddProblem(field, p)
	return f.Err().(*Error)
}

// Problem is the problem with a field: its code when it has one, else its
// text alone.
func (e *Error) Problem(field string) Problem {
	if p, ok := e.Problems[field]; ok {
		return p
	}
	return Problem{Text: e.Fields[field]}
}

// Fields collects field problems; Err returns nil when there are none, so a
// validator can add problems as it goes and return v.Err() at the end.
type Fields map[string]Problem

// Add records a problem with a field, in words; the first problem per
// field wins.
func (f Fields) Add(field, problem string) {
	f.AddProblem(field, Problem{Text: problem})
}

// AddProblem records a problem with a field, with its code; the first
// problem per field wins.
func (f Fields) AddProblem(field string, p Problem) {
	if _, ok := f[field]; !ok {
		f[field] = p
	}
}

// Err turns the collected problems into one Invalid error, or nil.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	e := &Error{Code: Invalid, Message: "invalid input", Fields: make(map[string]string, len(f))}
	for k, p := range f {
		e.Fields[k] = p.Text
		if p.Code != "" {
			if e.Problems == nil {
				e.Problems = map[string]Problem{}
			}
			e.Problems[k] = p
		}
		if len(f) == 1 {
			e.Message = "invalid " + k + ": " + p.Text
		}
	}
	return e
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
