package feed_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"hotline/internal/feed"
	"hotline/internal/seal"
)

// TestBoxSealsWithTheDataKey: a platform secret is stored sealed with the
// data key, never in plaintext, and only the same key opens it; secrets
// stored by earlier versions ("plain:", "aesgcm:" with HOTLINE_SECRET_KEY)
// still open.
func TestBoxSealsWithTheDataKey(t *testing.T) {
	content, _ := seal.Generate()
	key, err := seal.Parse(content)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "platform-shared-secret-0123456789"
	if _, err := feed.NewBox(nil, "legacy").Seal(secret); !errors.Is(err, seal.ErrNoKey) {
		t.Fatalf("sealing without a data key: %v, want ErrNoKey (no plaintext fallback)", err)
	}
	stored, err := feed.NewBox(key, "").Seal(secret)
	if err != nil || !strings.HasPrefix(stored, "seal:") || strings.Contains(stored, secret) {
		t.Fatalf("stored form %q, %v", stored, err)
	}
	if got, err := feed.NewBox(key, "").Open(stored); err != nil || got != secret {
		t.Fatalf("open: %q %v", got, err)
	}
	other, _ := seal.Generate()
	otherKey, _ := seal.Parse(other)
	if _, err := feed.NewBox(otherKey, "").Open(stored); !errors.Is(err, feed.ErrSealed) {
		t.Fatalf("another data key opened it: %v", err)
	}
	// The form earlier versions wrote with HOTLINE_SECRET_KEY.
	k := sha256.Sum256([]byte("legacy"))
	block, _ := aes.NewCipher(k[:])
	gcm, _ := cipher.NewGCM(block)
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	old := "aesgcm:" + base64.StdEncoding.EncodeToString(gcm.Seal(nonce, nonce, []byte(secret), []byte("hotline feed secret")))
	if got, err := feed.NewBox(key, "legacy").Open(old); err != nil || got != secret {
		t.Fatalf("legacy secret: %q %v", got, err)
	}
	if _, err := feed.NewBox(key, "").Open(old); !errors.Is(err, feed.ErrSealed) {
		t.Fatalf("legacy secret without its key: %v", err)
	}
	if got, err := feed.NewBox(nil, "").Open("plain:" + secret); err != nil || got != secret {
		t.Fatalf("plain legacy secret: %q %v", got, err)
	}
}
