package csvsafe

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// TestNeutralise: every cell a spreadsheet would evaluate gets an
// apostrophe, numbers and text stay as they are, and Restore gives back
// exactly the original.
func TestNeutralise(t *testing.T) {
	cases := map[string]string{
		`=HYPERLINK("http://evil.example","点击")`: `'=HYPERLINK("http://evil.example","点击")`,
		"+86 138": "'+86 138", "-cmd|' /C calc'!A0": "'-cmd|' /C calc'!A0", "@SUM(A1)": "'@SUM(A1)",
		"\t=1": "'\t=1", "\r=1": "'\r=1", "'=1": "''=1", "'plain": "''plain",
		"-3": "-3", "+1.5": "+1.5", "-1e3": "-1e3", "路灯坏了": "路灯坏了", "": "", "a=b": "a=b", "=": "'=", "-": "'-",
	}
	for in, want := range cases {
		if got := Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
		if back := Restore(Neutralise(in)); back != in {
			t.Errorf("Restore(Neutralise(%q)) = %q", in, back)
		}
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Write([]string{"=1+1", "ok", "@x"})
	w.Flush()
	rec, err := csv.NewReader(&buf).Read()
	if err != nil || rec[0] != "'=1+1" || rec[1] != "ok" || rec[2] != "'@x" {
		t.Fatalf("written: %q %v", rec, err)
	}
}
