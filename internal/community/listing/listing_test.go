package listing

import (
	"slices"
	"strconv"
	"testing"

	"hotline/internal/apperr"
)

func TestSizeCursorNext(t *testing.T) {
	for in, want := range map[int]int{-1: 50, 0: 50, 1: 1, 500: 500, 501: 500} {
		if got := Size(in); got != want {
			t.Errorf("Size(%d) = %d, want %d", in, got, want)
		}
	}
	for _, bad := range []string{"x", "0", "-3", "1.5", "99999999999999999999", " 1"} {
		if _, err := Cursor(bad); apperr.As(err) == nil || apperr.As(err).Fields["cursor"] == "" {
			t.Errorf("Cursor(%q) = %v, want a cursor field error", bad, err)
		}
	}
	if n, err := Cursor(""); n != 0 || err != nil {
		t.Errorf("Cursor(\"\") = %d %v", n, err)
	}
	if n, err := Cursor("42"); n != 42 || err != nil {
		t.Errorf("Cursor(42) = %d %v", n, err)
	}
	id := func(n int) string { return strconv.Itoa(n) }
	if got := Next([]int{1, 2, 3}, 3, id); got != "3" {
		t.Errorf("full page: next %q", got)
	}
	if got := Next([]int{1, 2}, 3, id); got != "" {
		t.Errorf("short page: next %q", got)
	}
	if got := Next([]int{}, 0, id); got != "" {
		t.Errorf("empty page: next %q", got)
	}
}

func TestIDsListsText(t *testing.T) {
	for s, want := range map[string]bool{"1": true, "123456789012345678": true, "1234567890123456789": false, "": false, "-1": false, "１": false, "1a": false} {
		if IsID(s) != want {
			t.Errorf("IsID(%q) = %v", s, !want)
		}
	}
	if got := Clean([]string{" a ", "", "b", "a", "  "}); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Clean = %q", got)
	}
	if got := Clean(nil); got == nil || len(got) != 0 {
		t.Errorf("Clean(nil) = %#v, want empty non-nil", got)
	}
	f := apperr.Fields{}
	CheckText(f, "a", "", 5, true)
	CheckText(f, "b", "\xff", 5, false)
	CheckText(f, "c", "长长长长长长", 5, false)
	CheckText(f, "d", "x\x00y", 5, false)
	CheckText(f, "e", "第一行\n第二", 10, true)
	if len(f) != 4 || f["e"].Text != "" {
		t.Errorf("CheckText problems %v", f)
	}
}
