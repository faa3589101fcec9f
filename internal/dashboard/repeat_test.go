package dashboard

import (
	"testing"

	"hotline/internal/stats"
)

// phoneOf and placeOf are the allocation-free forms of stats.NormalizePhone
// and stats.PlaceKey that the trends use; they must group exactly the same.
func TestRepeatKeysEqualStats(t *testing.T) {
	for _, p := range []string{"", "13812345678", "138-1234-5678", "+86 138 1234 5678", "8613812345678", "861381234567",
		"0086 13812345678", "(021) 6543 2100", "８６１３８", "电话13812345678", "\xff138", "86", "8612345678901", "1381234567８"} {
		if got, want := phoneOf(p), stats.NormalizePhone(p); got != want {
			t.Errorf("phoneOf(%q) = %q, stats.NormalizePhone = %q", p, got, want)
		}
	}
	for _, c := range []string{"", "sanjiang"} {
		for _, a := range []string{"", "宾阳路12号", "宾阳路 12 号", "宾阳路12号。", "宾阳路，12号", "  ", "。", "a.b,c", "\xffx", "龙华路　3号", "\x1e\x1f"} {
			k := placeOf(c, a)
			got := ""
			switch {
			case k.compound:
				got = "compound:" + k.s
			case k.s != "":
				got = "address:" + k.s
			}
			if want := stats.PlaceKey(c, a); got != want {
				t.Errorf("placeOf(%q, %q) = %q, stats.PlaceKey = %q", c, a, got, want)
			}
		}
	}
}
