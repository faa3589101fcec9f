package textdata

import (
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// TestReadHotspotLabels: odd clusters and every other unlabelled message
// tune, the rest test; cluster 0 reads as no hotspot; a bad file is an
// error, not a panic.
func TestReadHotspotLabels(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	l, err := ReadHotspotLabels(write("ok.csv", "message_id,cluster\na,1\nb,1\nc,2\nd,0\ne,0\nf,0\ng,3\n"))
	if err != nil {
		t.Fatal(err)
	}
	wantTune := map[string]string{"a": "1", "b": "1", "d": "", "f": "", "g": "3"}
	wantTest := map[string]string{"c": "2", "e": ""}
	if !maps.Equal(l.Tune, wantTune) || !maps.Equal(l.Test, wantTest) || len(l.All) != 7 || l.All["e"] != "" || l.All["c"] != "2" {
		t.Errorf("got all %v tune %v test %v", l.All, l.Tune, l.Test)
	}
	for name, body := range map[string]string{
		"bad.csv":    "message_id,cluster\na,x\n",
		"neg.csv":    "message_id,cluster\na,-1\n",
		"empty.csv":  "message_id,cluster\n",
		"narrow.csv": "message_id\na\n",
	} {
		if _, err := ReadHotspotLabels(write(name, body)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := ReadHotspotLabels(filepath.Join(dir, "missing.csv")); err == nil {
		t.Error("missing file: no error")
	}
}
