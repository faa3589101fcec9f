package httpx

import (
	"net/url"
	"strconv"

	"hotline/internal/apperr"
)

// Limit reads a list's ?limit=: 0 when absent (the service's default page
// size), else a number from 1 to max, or the contract's 400 on "limit".
// Shared by the modules' list handlers so that they refuse alike.
func Limit(q url.Values, max int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, apperr.Field("limit", "a number from 1 to "+strconv.Itoa(max))
	}
	return n, nil
}
