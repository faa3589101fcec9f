package feed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"strings"
	"time"
)

// KeyEnv names the environment variable holding the key that seals
// platform secrets at rest.
const KeyEnv = "HOTLINE_SECRET_KEY"

// Box seals platform secrets for the database. With a key (from
// HOTLINE_SECRET_KEY: any string; its SHA-256 is the AES-256 key) secrets are
// stored AES-256-GCM encrypted ("aesgcm:" + base64(nonce|ciphertext)); without
// one they are stored as they are ("plain:" + secret), which docs/feed.md
// describes as the trade-off of a zero-set-up install. A sealed secret opens
// only with the key that sealed it.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a box for a key; an empty key gives the plain box.
func NewBox(key string) *Box {
	if key == "" {
		return &Box{}
	}
	k := sha256.Sum256([]byte(key))
	block, _ := aes.NewCipher(k[:])
	aead, _ := cipher.NewGCM(block)
	return &Box{aead: aead}
}

// BoxFromEnv returns the box for HOTLINE_SECRET_KEY.
func BoxFromEnv() *Box { return NewBox(os.Getenv(KeyEnv)) }

// Encrypted reports whether the box encrypts.
func (b *Box) Encrypted() bool { return b.aead != nil }

// Seal returns the stored form of a secret.
func (b *Box) Seal(secret string) string {
	if b.aead == nil {
		return "plain:" + secret
	}
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce)
	ct := b.aead.Seal(nonce, nonce, []byte(secret), []byte("hotline feed secret"))
	return "aesgcm:" + base64.StdEncoding.EncodeToString(ct)
}

// ErrSealed is returned when a secret cannot be opened (wrong or missing key).
var ErrSealed = errors.New("the platform secret cannot be opened: HOTLINE_SECRET_KEY is missing or differs from the one that stored it")

// Open returns the secret of a stored form.
func (b *Box) Open(stored string) (string, error) {
	if s, ok := strings.CutPrefix(stored, "plain:"); ok {
		return s, nil
	}
	enc, ok := strings.CutPrefix(stored, "aesgcm:")
	if !ok || b.aead == nil {
		return "", ErrSealed
	}
	ct, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(ct) < b.aead.NonceSize() {
		return "", ErrSealed
	}
	pt, err := b.aead.Open(nil, ct[:b.aead.NonceSize()], ct[b.aead.NonceSize():], []byte("hotline feed secret"))
	if err != nil {
		return "", ErrSealed
	}
	return string(pt), nil
}

// Header names of the signature scheme (inbound and outbound alike).
const (
	HeaderPlatform    = "X-Hotline-Platform"
	HeaderTimestamp   = "X-Hotline-Timestamp"
	HeaderSignature   = "X-Hotline-Signature"
	HeaderIdempotency = "Idempotency-Key"
)

// MaxSkew is how far a request's timestamp may be from our clock.
const MaxSkew = 5 * time.Minute

// Sign returns hex(HMAC-SHA256(secret, timestamp + "." + body)).
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature in constant time.
func Verify(secret string, ts int64, body []byte, sig string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil {
		return false
	}
	want, _ := hex.DecodeString(Sign(secret, ts, body))
	return hmac.Equal(got, want)
}
