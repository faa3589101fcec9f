// Package auth holds passwords, session tokens and the slowing-down of
// repeated login failures. Who may do what with an order is the domain's
// business (internal/order); this package only establishes who is asking.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's minimum (19 MiB, 2 passes, 1 lane) keeps a
// login near 30 ms on our 2-core machines while making offline guessing costly.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an encoded argon2id hash with a random salt.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches an encoded hash, using the
// parameters stored in the hash so they can be raised later.
func CheckPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<20 || t > 10 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a username does not exist, so that a
// wrong username takes as long as a wrong password.
var dummyHash, _ = HashPassword("no such user")

// CheckNobody burns the time of one password check.
func CheckNobody(pw string) { CheckPassword(dummyHash, pw) }

// NewToken returns a random session token and the hash stored for it; the
// token itself is never stored, so a database leak yields no sessions.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken hashes a bearer token or API key for lookup.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Throttle slows down repeated login failures per key (username and client
// address): after 3 failures each further attempt must wait, doubling from
// one second up to a minute. It is per process; behind a load balancer each
// instance throttles on its own, which still bounds guessing.
type Throttle struct {
	mu    sync.Mutex
	fails map[string]*failure
	now   func() time.Time
}

type failure struct {
	count int
	last  time.Time
}

// NewThrottle returns an empty throttle.
func NewThrottle() *Throttle {
	return &Throttle{fails: map[string]*failure{}, now: time.Now}
}

const freeFailures = 3

// Wait returns how long the key must still wait before trying again.
func (t *Throttle) Wait(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.fails[key]
	if !ok || f.count < freeFailures {
		return 0
	}
	d := time.Second << min(f.count-freeFailures, 6)
	if d > time.Minute {
		d = time.Minute
	}
	if left := d - t.now().Sub(f.last); left > 0 {
		return left
	}
	return 0
}

// Fail records a failure.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fails) > 100000 { // bound memory under a spray of usernames
		cutoff := t.now().Add(-time.Hour)
		for k, f := range t.fails {
			if f.last.Before(cutoff) {
				delete(t.fails, k)
			}
		}
	}
	f, ok := t.fails[key]
	if !ok {
		f = &failure{}
		t.fails[key] = f
	}
	f.count++
	f.last = t.now()
}

// Succeed forgets a key's failures.
func (t *Throttle) Succeed(key string) {
	t.mu.Lock()
	delete(t.fails, key)
	t.mu.Unlock()
}
