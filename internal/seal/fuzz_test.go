package seal

import (
	"encoding/base64"
	"testing"
)

// FuzzParse: whatever HOTLINE_DATA_KEY or a key file holds, Parse returns
// keys or an error, never panics; and keys it returns work.
func FuzzParse(f *testing.F) {
	content, err := Generate()
	if err != nil {
		f.Fatal(err)
	}
	rotated, _ := Rotate(content)
	for _, s := range [][]byte{content, rotated, []byte(base64.StdEncoding.EncodeToString(content)), []byte("{}"),
		[]byte(`{"format":"hotline-data-key/1","aead":{},"index":{}}`), []byte(`{"format":"hotline-data-key/1","aead":{"primaryKeyId":1,"key":[]},"index":null}`), nil} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		k, err := Parse(in)
		if err != nil {
			return
		}
		ct, err := k.Seal([]byte("13812345678"), []byte("c"))
		if err != nil {
			t.Fatalf("parsed keys cannot seal: %v", err)
		}
		if got, err := k.Open(ct, []byte("c")); err != nil || string(got) != "13812345678" {
			t.Fatalf("parsed keys cannot open: %v", err)
		}
		if !k.Current(ct) || len(k.Index("d", "v")) != IndexSize {
			t.Fatal("parsed keys: Current or Index")
		}
	})
}
