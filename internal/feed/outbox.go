package feed

import (
	"bytes"
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
	Store *store.Store
	Box   *Box
	Log   *slog.Logger
	HTTP  *http.Client
	Owner string // lease owner: unique per instance

	Poll      time.Duration // how often to look for due rows
	Lease     time.Duration // how long a claim lasts (longer than the HTTP timeout)
	RetryBase time.Duration // first retry delay; doubled per attempt
	RetryMax  time.Duration // longest retry delay
	Batch     int           // rows claimed per poll
	Parallel  int           // deliveries in flight

	Now func() time.Time
}

// NewWorker returns a worker with the production defaults, tunable through
// HOTLINE_FEED_POLL, HOTLINE_FEED_TIMEOUT, HOTLINE_FEED_RETRY_BASE and
// HOTLINE_FEED_RETRY_MAX (Go durations).
func NewWorker(st *store.Store, log *slog.Logger) *Worker {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	b := make([]byte, 6)
	rand.Read(b)
	host, _ := os.Hostname()
	timeout := envDuration("HOTLINE_FEED_TIMEOUT", 10*time.Second)
	return &Worker{
		Store: st, Box: BoxFromEnv(), Log: log,
		HTTP:      &http.Client{Timeout: timeout},
		Owner:     host + "-" + hex.EncodeToString(b),
		Poll:      envDuration("HOTLINE_FEED_POLL", time.Second),
		Lease:     timeout*2 + 30*time.Second,
		RetryBase: envDuration("HOTLINE_FEED_RETRY_BASE", 2*time.Second),
		RetryMax:  envDuration("HOTLINE_FEED_RETRY_MAX", 10*time.Minute),
		Batch:     64,
		Parallel:  8,
		Now:       time.Now,
	}
}

func envDuration(name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d
		}
	}
	return def
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

// RunOnce claims one batch of due rows and delivers them; it returns how
// many it attempted.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	items, err := w.Store.ClaimOutbox(ctx, w.Owner, w.Now(), w.Lease, w.Batch)
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
			w.deliver(ctx, it, p)
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

func (w *Worker) deliver(ctx context.Context, it store.OutboxItem, p *store.FeedPlatform) {
	err := w.post(ctx, it, p)
	// Record the outcome even when ctx is ending, so a delivered row is not
	// sent again after a restart (the receiver would dedupe it anyway).
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err == nil {
		if err := w.Store.OutboxDelivered(rec, it.ID, w.Owner, w.Now()); err != nil {
			w.Log.Warn("feed outbox: mark delivered", "id", it.ID, "err", err)
		}
		return
	}
	next := w.Now().Add(w.backoff(it.Attempts + 1))
	w.Log.Info("feed delivery failed; will retry", "platform", it.Platform, "order", it.OrderID, "seq", it.Seq, "attempt", it.Attempts+1, "next", next, "err", err)
	if err := w.Store.OutboxFailed(rec, it.ID, w.Owner, next, err.Error()); err != nil {
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
