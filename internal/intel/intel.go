// Package intel connects the pure text features of internal/textproc to the
// service: search tokens, suggestions and similar orders.
package intel

import (
	"hotline/internal/order"
	"hotline/internal/service"
	"hotline/internal/textproc"
)

// Intel implements service.Intelligence.
type Intel struct {
	seg *textproc.Segmenter
}

// New returns the intelligence with the process-wide segmenter.
func New() *Intel { return &Intel{seg: textproc.Default()} }

// Tokens are the full-text index tokens of an order's text.
func (in *Intel) Tokens(text string) []string { return in.seg.SearchTokens(text) }

// QueryTokens are the tokens of a search query.
func (in *Intel) QueryTokens(q string) []string { return in.seg.QueryTokens(q) }

// Suggest returns no suggestion until a model is trained from history.
func (in *Intel) Suggest(title, description string) service.Suggestions {
	return service.Suggestions{}
}

// Similar returns no similar orders until the similarity index is built.
func (in *Intel) Similar(title, description string, limit int) []service.Similar { return nil }

// Observe follows order changes (for the similarity index).
func (in *Intel) Observe(o order.Order) {}
