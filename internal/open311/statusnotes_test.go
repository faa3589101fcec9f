package open311

import (
	"regexp"
	"strings"
	"testing"

	"hotline/internal/order"
)

// TestStatusNotesOneLanguage: status_notes is the state's code and then
// Chinese words only (issue 18: it read "dispatched: 已派单 dispatched").
func TestStatusNotesOneLanguage(t *testing.T) {
	t.Parallel()
	latin := regexp.MustCompile(`[A-Za-z]`)
	for _, st := range order.Statuses {
		for _, parent := range []string{"", "2026120100003"} {
			notes := StatusNotes(order.Order{Status: st}, parent)
			code, words, ok := strings.Cut(notes, ": ")
			if !ok || code != string(st) {
				t.Errorf("%s: %q does not start with the state's code", st, notes)
				continue
			}
			if words == "" || latin.MatchString(words) {
				t.Errorf("%s: %q is not Chinese alone", st, words)
			}
			if st == order.Merged && parent != "" && !strings.Contains(words, parent) {
				t.Errorf("merged: %q does not name the order it joined", words)
			}
		}
	}
}
