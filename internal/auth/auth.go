// Package auth holds passwords, session tokens and the slowing-down of
// repeated login failures. Who may do what with an order is the domain's
// business (internal/order); this package only establishes who is asking.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
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

// Params are argon2id's cost: passes over the memory, and the memory in
// KiB. Every hash records its own, and CheckPassword reads them from the
// hash, so hashes made with other parameters keep working when they change.
type Params struct {
	Time      uint32
	MemoryKiB uint32
}

// DefaultParams is what a deployment hashes with (OWASP's minimum above).
// Only tests use other values (apptest: hundreds of test servers each hash
// their demo accounts' passwords, and at 30 ms of CPU and 19 MiB each that
// was half of the API tests' CPU; issue 13).
var DefaultParams = Params{Time: argonTime, MemoryKiB: argonMemory}

// HashPassword returns an encoded argon2id hash with a random salt, with
// DefaultParams.
func HashPassword(pw string) (string, error) { return DefaultParams.Hash(pw) }

// Hash returns an encoded argon2id hash of pw with these parameters and a
// random salt; the zero Params means DefaultParams.
func (p Params) Hash(pw string) (string, error) {
	if p == (Params{}) {
		p = DefaultParams
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, argonThreads,
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

// Throttle slows down repeated login failures. Two keys count each failed
// login: the username with the client's address (after 3 failures each
// further attempt must wait, doubling from one second up to a minute), and
// the address alone, across usernames (after 10), so that spreading
// guesses over many accounts from one address is slowed too. A failure is
// forgotten 15 minutes after the key's last one. It is per process; behind
// a load balancer each instance throttles on its own, which still bounds
// guessing.
//
// A login reserves its attempt (Reserve) before the password is checked
// and settles it afterwards, so that parallel attempts see each other:
// checking first and counting after let 24 concurrent guesses all reach
// the password hash (issue 12).
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

const (
	freeFailures     = 3  // per username and address
	freeAddrFailures = 10 // per address, across usernames
	forgetAfter      = 15 * time.Minute
)

// Wait returns how long the key must still wait before trying again, with
// the per-username allowance.
func (t *Throttle) Wait(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.waitLocked(key, freeFailures)
}

func (t *Throttle) waitLocked(key string, free int) time.Duration {
	f, ok := t.fails[key]
	if !ok {
		return 0
	}
	since := t.now().Sub(f.last)
	if since > forgetAfter {
		delete(t.fails, key)
		return 0
	}
	if f.count < free {
		return 0
	}
	d := min(time.Second<<min(f.count-free, 6), time.Minute)
	if left := d - since; left > 0 {
		return left
	}
	return 0
}

// Fail records a failure.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failLocked(key)
}

func (t *Throttle) failLocked(key string) {
	if len(t.fails) > 100000 { // bound memory under a spray of usernames
		cutoff := t.now().Add(-forgetAfter)
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

// undoLocked takes back one reserved failure.
func (t *Throttle) undoLocked(key string) {
	if f, ok := t.fails[key]; ok {
		if f.count--; f.count <= 0 {
			delete(t.fails, key)
		}
	}
}

// Succeed forgets a key's failures.
func (t *Throttle) Succeed(key string) {
	t.mu.Lock()
	delete(t.fails, key)
	t.mu.Unlock()
}

// Attempt is a login attempt reserved in the throttle: it already counts
// as a failure of its username and of its address until settled.
type Attempt struct {
	t          *Throttle
	user, addr string
}

// Reserve counts a login attempt by username from addr as a failure before
// its password is checked. When either key must still wait, nothing is
// counted and the wait is returned instead.
func (t *Throttle) Reserve(username, addr string) (*Attempt, time.Duration) {
	a := &Attempt{t: t, user: "u|" + strings.ToLower(username) + "|" + addr, addr: "a|" + addr}
	t.mu.Lock()
	defer t.mu.Unlock()
	if w := max(t.waitLocked(a.user, freeFailures), t.waitLocked(a.addr, freeAddrFailures)); w > 0 {
		return nil, w
	}
	t.failLocked(a.user)
	t.failLocked(a.addr)
	return a, 0
}

// Failed leaves the reserved failure counted.
func (a *Attempt) Failed() {}

// Succeeded forgets the username's failures from this address and takes
// back the address's reserved one (its earlier failures stay: one good
// account must not wipe the guesses made at others).
func (a *Attempt) Succeeded() {
	a.t.mu.Lock()
	defer a.t.mu.Unlock()
	delete(a.t.fails, a.user)
	a.t.undoLocked(a.addr)
}

// Cancel takes the reservation back: the password was never checked (the
// database failed, or the server was too busy to check it).
func (a *Attempt) Cancel() {
	a.t.mu.Lock()
	defer a.t.mu.Unlock()
	a.t.undoLocked(a.user)
	a.t.undoLocked(a.addr)
}

// Checker runs password checks, at most one per CPU at once: each argon2id
// check takes 19 MiB and a core for ~30 ms, so a burst of logins would
// otherwise take memory without bound (24 parallel checks took the server
// from 278 to 620 MB). A check waits for a slot up to MaxWait, then is
// refused with ErrBusy rather than queued without end.
type Checker struct {
	slots   chan struct{}
	MaxWait time.Duration
	checks  atomic.Int64
	// Params are what Hash hashes new passwords with (zero: DefaultParams).
	// Set it before the checker is used.
	Params Params
	// dummy is checked against when a username does not exist, so that a
	// wrong username takes as long as a wrong password: a hash with the
	// same parameters as the accounts', made at the first such check.
	dummyOnce sync.Once
	dummy     string
}

// ErrBusy is returned when no slot for a password check came free in time.
var ErrBusy = errors.New("too many password checks at once")

// NewChecker returns a checker running at most n checks at once (at least 1).
func NewChecker(n int) *Checker {
	return &Checker{slots: make(chan struct{}, max(n, 1)), MaxWait: 10 * time.Second}
}

// Check reports whether pw matches the encoded hash; an empty hash (no
// such user) burns the time of one check against a dummy hash, so that a
// wrong username takes as long as a wrong password.
func (c *Checker) Check(ctx context.Context, encoded, pw string) (bool, error) {
	select {
	case c.slots <- struct{}{}:
	default:
		timer := time.NewTimer(c.MaxWait)
		defer timer.Stop()
		select {
		case c.slots <- struct{}{}:
		case <-timer.C:
			return false, ErrBusy
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	defer func() { <-c.slots }()
	c.checks.Add(1)
	if encoded == "" {
		c.dummyOnce.Do(func() { c.dummy, _ = c.Hash("no such user") })
		CheckPassword(c.dummy, pw)
		return false, nil
	}
	return CheckPassword(encoded, pw), nil
}

// Hash hashes a new password with the checker's Params: the accounts'
// passwords (service.CreateUser, admin's changes and resets) all go
// through the one checker of a server.
func (c *Checker) Hash(pw string) (string, error) { return c.Params.Hash(pw) }

// Checks is the number of password hashes computed so far.
func (c *Checker) Checks() int64 { return c.checks.Load() }
