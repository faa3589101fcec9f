package web

import (
	"testing"

	"hotline/internal/apperr"
	"hotline/internal/order"
)

// TestMessageKey checks the one mapping from an error to a page's words,
// with the errors the order domain really returns, and that the wording no
// longer hangs on the message's text: a conflict that merely says "someone
// else changed" is not taken for a lost version check, and one that says it
// differently but is one (a campaign's) is.
func TestMessageKey(t *testing.T) {
	v := int64(1)
	other := order.Actor{Role: order.RoleHandler, Unit: "yuehe"}
	disp := order.Actor{Role: order.RoleDispatcher}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"other unit", order.Check(&order.Order{Status: order.Dispatched, Unit: "binyang"}, other, order.ActAccept), "err.other_unit"},
		{"wrong state", order.Check(&order.Order{Status: order.Closed}, disp, order.ActDispatch), "err.state"},
		{"lost version", func() error {
			_, err := order.Apply(order.Order{Status: order.Received, Version: 2}, disp, order.ActDispatch, order.Input{Version: &v}, order.Env{})
			return err
		}(), "err.stale"},
		{"stale by another wording", apperr.New(apperr.Conflict, "the campaign changed since you read it (version 3 now)").Because(apperr.ReasonStale), "err.stale"},
		{"text alone is not a reason", apperr.New(apperr.Conflict, "someone else changed this, says a message"), ""},
		{"cannot in the text alone", apperr.New(apperr.Conflict, "cannot take two seats"), ""},
		{"csrf", apperr.New(apperr.Forbidden, "csrf").Because(apperr.ReasonCSRF), "err.csrf"},
		{"forbidden", apperr.New(apperr.Forbidden, "role handler may not dispatch"), "err.forbidden"},
		{"not found", apperr.New(apperr.NotFound, "no such order"), "err.not_found"},
		{"throttled", apperr.Later(apperr.Unauthorized, 3e9, "too many tries"), "err.throttled"},
		{"busy", apperr.Later(apperr.Unavailable, 1e9, "busy"), "err.busy"},
		{"login", apperr.New(apperr.Unauthorized, "log in"), "err.login"},
		{"fields", apperr.Field("title", "required"), "err.fields"},
		{"internal", apperr.Wrap(nil, "boom"), "err.internal"},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Fatalf("%s: the domain returned no error", c.name)
		}
		if got := messageKey(apperr.As(c.err)); got != c.want {
			t.Errorf("%s (%v): key %q, want %q", c.name, c.err, got, c.want)
		}
	}
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	w := &Web{catalog: cat}
	for _, k := range []string{"err.stale", "err.state", "err.other_unit", "err.csrf", "err.forbidden", "err.not_found", "err.login", "err.fields", "err.internal"} {
		if _, ok := cat["zh"][k]; !ok {
			t.Errorf("catalogue zh lacks %s", k)
		}
	}
	if got := w.message("en", apperr.New(apperr.Conflict, "the meeting is cancelled")); got != "the meeting is cancelled" {
		t.Errorf("an error without a page wording shows its message: %q", got)
	}
	if got, want := w.message("zh", apperr.Later(apperr.Unavailable, 2e9, "busy")), w.t("zh", "err.busy", 2); got != want {
		t.Errorf("busy: %q, want %q", got, want)
	}
}
