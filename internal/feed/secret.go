package feed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"hotline/internal/seal"
)

// LegacyKeyEnv names the environment variable of the key that sealed
// platform secrets before they moved to the data key (internal/seal): a
// secret stored then ("aesgcm:…") still opens with it.
const LegacyKeyEnv = "HOTLINE_SECRET_KEY"

// Box seals platform secrets for the database with the data key
// (internal/seal: Tink AES-256-GCM with key ids and rotation), stored as
// "seal:" + base64. There is no plaintext fallback: without a data key a
// secret cannot be stored. Secrets stored by earlier versions still open:
// "aesgcm:" with the legacy HOTLINE_SECRET_KEY, and "plain:" as it is; the
// next `hotline feed add-platform` stores them sealed.
type Box struct {
	keys   *seal.Keys
	legacy cipher.AEAD
}

// NewBox returns a box sealing with keys and reading the legacy form with
// legacyKey (either may be missing).
func NewBox(keys *seal.Keys, legacyKey string) *Box {
	b := &Box{keys: keys}
	if legacyKey != "" {
		k := sha256.Sum256([]byte(legacyKey))
		block, _ := aes.NewCipher(k[:])
		b.legacy, _ = cipher.NewGCM(block)
	}
	return b
}

// secretContext binds a sealed secret to its use.
var secretContext = []byte("feed.platform_secret")

// Seal returns the stored form of a secret.
func (b *Box) Seal(secret string) (string, error) {
	if b.keys == nil {
		return "", seal.ErrNoKey
	}
	ct, err := b.keys.Seal([]byte(secret), secretContext)
	if err != nil {
		return "", err
	}
	return "seal:" + base64.StdEncoding.EncodeToString(ct), nil
}

// ErrSealed is returned when a secret cannot be opened (wrong or missing key).
var ErrSealed = errors.New("the platform secret cannot be opened: the data key (or, for a secret stored before it, HOTLINE_SECRET_KEY) is missing or differs from the one that stored it")

// Open returns the secret of a stored form.
func (b *Box) Open(stored string) (string, error) {
	if s, ok := strings.CutPrefix(stored, "plain:"); ok {
		return s, nil
	}
	if enc, ok := strings.CutPrefix(stored, "seal:"); ok && b.keys != nil {
		ct, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return "", ErrSealed
		}
		pt, err := b.keys.Open(ct, secretContext)
		if err != nil {
			return "", ErrSealed
		}
		return string(pt), nil
	}
	enc, ok := strings.CutPrefix(stored, "aesgcm:")
	if !ok || b.legacy == nil {
		return "", ErrSealed
	}
	ct, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(ct) < b.legacy.NonceSize() {
		return "", ErrSealed
	}
	pt, err := b.legacy.Open(nil, ct[:b.legacy.NonceSize()], ct[b.legacy.NonceSize():], []byte("hotline feed secret"))
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
