// Package listing holds what the community modules' lists and inputs
// share, so that every module pages, names its cursors and cleans its text
// the same way and a fix lands everywhere at once: the page size, the
// "after id" cursor and the next one, numeric ids, lists of codes, and the
// one text check. Pure: no I/O.
package listing

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"hotline/internal/apperr"
)

// Page sizes: what a list returns without ?limit=, and the most it returns.
const (
	DefaultSize = 50
	MaxSize     = 500
)

// Size is the page size for a requested limit (0 or less: the default).
func Size(limit int) int {
	if limit <= 0 {
		return DefaultSize
	}
	return min(limit, MaxSize)
}

// Cursor reads a cursor this server gave: the last id of the previous
// page, a positive number; "" is the first page (0).
func Cursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(c, 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.Field("cursor", "not a cursor this server gave")
	}
	return n, nil
}

// Next is the cursor of the page after items: the last one's id when the
// page is full (there may be more), else "" (the end).
func Next[T any](items []T, size int, id func(T) string) string {
	if len(items) == 0 || len(items) < size {
		return ""
	}
	return id(items[len(items)-1])
}

// IsID reports whether s looks like one of our numeric ids (1 to 18
// digits, so it always fits an int64).
func IsID(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Clean trims a list of codes and drops empty and repeated ones, keeping
// the order; never nil, so it encodes as [].
func Clean(v []string) []string {
	out := []string{}
	for _, s := range v {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// CheckText validates a text field: valid UTF-8 without control characters
// other than newlines and tabs, at most max characters, present when
// required. The first problem is recorded in f.
func CheckText(f apperr.Fields, field, s string, max int, required bool) {
	switch {
	case required && s == "":
		f.Add(field, "required")
	case !utf8.ValidString(s):
		f.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		f.Add(field, "too long")
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }):
		f.Add(field, "must not contain control characters")
	}
}
