package portal

import (
	"math"
	"sync"
	"time"
)

// Limiter is a set of token buckets, one per key (a client address, a phone
// number): each holds up to Burst tokens and gains one every Every. It
// lives in memory, so it limits per server instance; behind a load
// balancer of N instances a client gets at most N times the budget, which
// still stops floods. Old buckets are forgotten once full again.
type Limiter struct {
	Burst float64
	Every time.Duration
	Now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter returns a limiter of burst tokens refilled one per every.
func NewLimiter(burst int, every time.Duration) *Limiter {
	return &Limiter{Burst: float64(burst), Every: every, Now: time.Now, buckets: map[string]*bucket{}}
}

func (l *Limiter) refill(key string, now time.Time) *bucket {
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.Burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.Burst, b.tokens+float64(now.Sub(b.at))/float64(l.Every))
	b.at = now
	return b
}

// Allow takes a token for key; when there is none it returns false and how
// long until there is.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	l.gc(now)
	b := l.refill(key, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.Every))
}

// Peek reports whether key has a token, without taking it.
func (l *Limiter) Peek(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key, l.Now())
	if b.tokens >= 1 {
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.Every))
}

// gc drops buckets that are full again (every few minutes).
func (l *Limiter) gc(now time.Time) {
	if now.Sub(l.sweep) < 5*time.Minute {
		return
	}
	l.sweep = now
	for k, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.at))/float64(l.Every) >= l.Burst {
			delete(l.buckets, k)
		}
	}
}
