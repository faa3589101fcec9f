package feed

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"hotline/internal/store"
)

// Worker delivers the outbox: every status change of an order that came
// through the feed, POSTed to its platform's deliver URL, signed like the
// inbound webhook, with an Idempotency-Key that is the same on every
// attempt. A row is sent only after the order's previous rows were
// delivered; a failure (non-2xx, timeout, refused connection) is retried
// with exponential backoff and jitter. Rows live in the database, so a
// restart resumes where it stopped; several instances share the work
// through leases (and SKIP LOCKED on PostgreSQL).
type Worker struct {
	Store Outbox
	Box   *Box
	Log   *slog.Logger
	HTTP  *http.Client
	Owner string // lease owner: unique per instance (each claim adds a counter)

	Poll      time.Duration // how often to look for due rows
	Lease     time.Duration // how long a claim lasts (at least twice the HTTP timeout)
	RetryBase time.Duration // first retry delay; doubled per attempt
	RetryMax  time.Duration // longest retry delay
	Batch     int           // most rows claimed per poll (fewer when the lease is short: claimLimit)
	Parallel  int           // deliveries in flight

	Now func() time.Time

	claims atomic.Int64 // numbers this worker's claims, for their lease tokens
}

// Outbox is the store's outbox the worker drains: claims under a lease
// token, each row's attempt, and the platform it goes to. The app hands it
// the orders' store (*store.Store has it); the worker needs nothing else of
// the database.
type Outbox interface {
	ClaimOutbox(ctx context.Context, token string, now time.Time, lease time.Duration, limit int) ([]store.OutboxItem, error)
	FeedPlatform(ctx context.Context, name string) (store.FeedPlatform, error)
	OutboxBegin(ctx context.Context, id int64, token string, now, until time.Time) (attempts int, held bool, err error)
	OutboxDelivered(ctx context.Context, id int64, token string, now time.Time) (bool, error)
	OutboxFailed(ctx context.Context, id int64, token string, next time.Time, msg string) (bool, error)
	OutboxRelease(ctx context.Context, id int64, token string) error
}

// Settings tune the outbox worker (Go durations in the environment).
type Settings struct {
	Timeout   time.Duration // one delivery's HTTP timeout (HOTLINE_FEED_TIMEOUT, 10s)
	Poll      time.Duration // how often to look for due rows (HOTLINE_FEED_POLL, 1s)
	Lease     time.Duration // a claim's lease (HOTLINE_FEED_LEASE, 2×timeout+30s; never under 2×timeout)
	RetryBase time.Duration // first retry delay (HOTLINE_FEED_RETRY_BASE, 2s)
	RetryMax  time.Duration // longest retry delay (HOTLINE_FEED_RETRY_MAX, 10m)
}

// SettingsFrom reads the worker's settings through getenv (the app's
// configuration passes its environment; nothing here reads it itself).
// Missing or bad values keep the defaults.
func SettingsFrom(getenv func(string) string) Settings {
	d := func(name string, def time.Duration) time.Duration {
		if v := getenv(name); v != "" {
			if x, err := time.ParseDuration(v); err == nil && x > 0 {
				return x
			}
		}
		return def
	}
	timeout := d("HOTLINE_FEED_TIMEOUT", 10*time.Second)
	return Settings{Timeout: timeout, Poll: d("HOTLINE_FEED_POLL", time.Second),
		Lease:     d("HOTLINE_FEED_LEASE", timeout*2+30*time.Second),
		RetryBase: d("HOTLINE_FEED_RETRY_BASE", 2*time.Second), RetryMax: d("HOTLINE_FEED_RETRY_MAX", 10*time.Minute)}
}

// NewWorker returns a worker with settings (zero fields take the
// defaults); a lease shorter than twice the timeout is raised to that.
func NewWorker(st Outbox, log *slog.Logger, set Settings, box *Box) *Worker {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	def := SettingsFrom(func(string) string { return "" })
	timeout := cmp.Or(set.Timeout, def.Timeout)
	b := make([]byte, 6)
	rand.Read(b)
	host, _ := os.Hostname()
	return &Worker{
		Store: st, Box: box, Log: log,
		HTTP:      &http.Client{Timeout: timeout},
		Owner:     host + "-" + hex.EncodeToString(b),
		Poll:      cmp.Or(set.Poll, def.Poll),
		Lease:     max(cmp.Or(set.Lease, timeout*2+30*time.Second), 2*timeout),
		RetryBase: cmp.Or(set.RetryBase, def.RetryBase),
		RetryMax:  cmp.Or(set.RetryMax, def.RetryMax),
		Batch:     64,
		Parallel:  8,
		Now:       time.Now,
	}
}

// Run delivers until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		for {
			n, err := w.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				w.Log.Warn("feed outbox", "err", err)
			}
			if n == 0 || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// timeout is the longest one delivery's HTTP exchange can take.
func (w *Worker) timeout() time.Duration {
	if w.HTTP != nil && w.HTTP.Timeout > 0 {
		return w.HTTP.Timeout
	}
	return w.Lease / 2
}

// claimLimit is how many rows one claim may take: only as many as can be
// started before the claim's lease ends. Rows go out Parallel at a time and
// each takes up to the HTTP timeout, so the k-th wave starts up to k
// timeouts after the claim; one timeout is kept spare for the database.
// Issue 12: 64 rows on a 50 s lease, 8 at a time against a platform taking
// 9 s, left the last waves starting after the lease had ended, and another
// instance claimed and sent them too.
func (w *Worker) claimLimit() int {
	waves := max(1, int(w.Lease/w.timeout())-1)
	return max(1, min(w.Batch, max(1, w.Parallel)*waves))
}

// RunOnce claims one batch of due rows and delivers them; it returns how
// many it attempted.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	token := w.Owner + "/" + strconv.FormatInt(w.claims.Add(1), 10)
	items, err := w.Store.ClaimOutbox(ctx, token, w.Now(), w.Lease, w.claimLimit())
	if err != nil || len(items) == 0 {
		return 0, err
	}
	platforms := map[string]*store.FeedPlatform{}
	sem := make(chan struct{}, max(1, w.Parallel))
	var wg sync.WaitGroup
	for _, it := range items {
		p, ok := platforms[it.Platform]
		if !ok {
			pl, err := w.Store.FeedPlatform(ctx, it.Platform)
			if err == nil {
				p = &pl
			}
			platforms[it.Platform] = p
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(it store.OutboxItem, p *store.FeedPlatform) {
			defer func() { <-sem; wg.Done() }()
			w.deliver(ctx, token, it, p)
		}(it, p)
	}
	wg.Wait()
	return len(items), nil
}

// IdempotencyKey is the stable key of an outbox row: the same on every
// attempt, different for every status change.
func IdempotencyKey(it store.OutboxItem) string {
	return "hotline-" + it.OrderID + "-" + strconv.Itoa(it.Seq)
}

// deliver sends one claimed row. It first renews the row's lease for the
// whole exchange (OutboxBegin), and sends nothing if token no longer holds
// it; the outcome is then recorded only under the same token, so a row is
// settled by the one worker that sent it last.
func (w *Worker) deliver(ctx context.Context, token string, it store.OutboxItem, p *store.FeedPlatform) {
	// Record outcomes even when ctx is ending, so a delivered row is not
	// sent again after a restart (the receiver would dedupe it anyway).
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ctx.Err() != nil {
		if err := w.Store.OutboxRelease(rec, it.ID, token); err != nil {
			w.Log.Warn("feed outbox: release", "id", it.ID, "err", err)
		}
		return
	}
	now := w.Now()
	attempts, held, err := w.Store.OutboxBegin(ctx, it.ID, token, now, now.Add(w.Lease))
	if err != nil || !held {
		if err != nil && ctx.Err() != nil {
			// Stopping in the middle of the begin: give the claim back, as
			// above, or the row would wait out its lease (2 × timeout +
			// 30 s) before another instance sent it (seen as a 30 s stall
			// in TestOutboxDeliversEverythingInOrderOnce, 1 run in 6).
			if err := w.Store.OutboxRelease(rec, it.ID, token); err != nil {
				w.Log.Warn("feed outbox: release", "id", it.ID, "err", err)
			}
		} else if err != nil {
			w.Log.Warn("feed outbox: begin", "id", it.ID, "err", err)
		} else {
			w.Log.Info("feed outbox: lease lost before sending; another worker has the row", "id", it.ID)
		}
		return
	}
	err = w.post(ctx, it, p)
	if err == nil {
		if ok, err := w.Store.OutboxDelivered(rec, it.ID, token, w.Now()); err != nil {
			w.Log.Warn("feed outbox: mark delivered", "id", it.ID, "err", err)
		} else if !ok {
			w.Log.Warn("feed outbox: delivered after the lease was taken over", "id", it.ID)
		}
		return
	}
	next := w.Now().Add(w.backoff(attempts))
	w.Log.Info("feed delivery failed; will retry", "platform", it.Platform, "order", it.OrderID, "seq", it.Seq, "attempt", attempts, "next", next, "err", err)
	if _, err := w.Store.OutboxFailed(rec, it.ID, token, next, err.Error()); err != nil {
		w.Log.Warn("feed outbox: record failure", "id", it.ID, "err", err)
	}
}

func (w *Worker) post(ctx context.Context, it store.OutboxItem, p *store.FeedPlatform) error {
	if p == nil {
		return fmt.Errorf("platform %s no longer configured", it.Platform)
	}
	if !p.Active || p.DeliverURL == "" {
		return fmt.Errorf("platform %s is disabled or has no deliver URL", it.Platform)
	}
	secret, err := w.Box.Open(p.Secret)
	if err != nil {
		return err
	}
	ts := w.Now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.DeliverURL, bytes.NewReader(it.Payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "hotline-12345-feed/1")
	req.Header.Set(HeaderPlatform, p.Name)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(secret, ts, it.Payload))
	req.Header.Set(HeaderIdempotency, IdempotencyKey(it))
	resp, err := w.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("platform answered %s", resp.Status)
	}
	return nil
}

// backoff is RetryBase·2^(attempt-1), capped at RetryMax, with ±20% jitter.
func (w *Worker) backoff(attempt int) time.Duration {
	d := float64(w.RetryBase) * math.Pow(2, float64(min(attempt-1, 30)))
	if d > float64(w.RetryMax) {
		d = float64(w.RetryMax)
	}
	d *= 0.8 + 0.4*mrand.Float64()
	return time.Duration(d)
}
