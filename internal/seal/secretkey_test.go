package seal

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"testing"
)

// TestMasterSecret: a HOTLINE_DATA_KEY that is 32 random bytes (base64 or
// hex) or a long passphrase gives the same keys on every parse (another
// start, another instance), and another secret opens nothing of it.
func TestMasterSecret(t *testing.T) {
	for range 1000 { // random secrets: hex that also reads as base64 must not matter
		testMasterSecret(t)
	}
}

func testMasterSecret(t *testing.T) {
	raw := make([]byte, 32)
	rand.Read(raw)
	forms := map[string]string{
		"base64": base64.StdEncoding.EncodeToString(raw),
		"hex":    hex.EncodeToString(raw),
		"text":   "correct horse battery staple, thirty-two+ characters",
	}
	for name, form := range forms {
		t.Run(name, func(t *testing.T) {
			k1, err := Parse([]byte(form))
			if err != nil {
				t.Fatal(err)
			}
			k2, err := Parse([]byte("  " + form + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			ct, err := k1.Seal([]byte("13812345678"), []byte("residents.phone:1"))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := k2.Open(ct, []byte("residents.phone:1")); err != nil || string(got) != "13812345678" {
				t.Fatalf("second parse cannot open the first's value: %q %v", got, err)
			}
			if !k2.Current(ct) {
				t.Fatal("the derived key is not the primary of the second parse")
			}
			if !bytes.Equal(k1.Index("phone", "13812345678"), k2.Index("phone", "13812345678")) {
				t.Fatal("blind index differs between two parses of one secret")
			}
			other, err := Parse([]byte(form + "x"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := other.Open(ct, []byte("residents.phone:1")); err == nil {
				t.Fatal("another secret opened the value")
			}
			if bytes.Equal(other.Index("phone", "13812345678"), k1.Index("phone", "13812345678")) {
				t.Fatal("another secret gives the same blind index")
			}
		})
	}
	for _, short := range []string{"short", base64.StdEncoding.EncodeToString(raw[:16]), "a passphrase of 31 characters!!"} {
		if _, err := Parse([]byte(short)); err == nil {
			t.Errorf("a %d-character secret was accepted", len(short))
		}
	}
}
