// Package live tells the screens watching a live board that something
// changed. A change is published after its transaction commits, as a topic
// ("emergency:12") and a sequence number only: subscribers re-read what they
// show from the database, so a message never carries personal data, never
// goes stale, and a lost or merged message costs nothing but a re-read.
//
// On PostgreSQL a publish travels through NOTIFY on one channel and every
// instance LISTENs on a dedicated connection, so a change made on one server
// reaches the boards open on every other. On SQLite there is one process per
// database file and the fan-out stays in process.
package live

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"hotline/internal/sqldb"
)

// Channel is the PostgreSQL notification channel every instance listens on.
const Channel = "hotline_live"

// Event says that a topic changed. Seq is the publisher's sequence number
// for the topic (for example the board's history position); 0 means
// "re-read, something may have been missed" (after a reconnect).
type Event struct {
	Topic string
	Seq   int64
}

// Hub fans published events out to subscribers.
type Hub struct {
	db     *sqldb.DB // nil: in process only
	log    *slog.Logger
	mu     sync.Mutex
	subs   map[string]map[chan Event]struct{}
	ready  chan struct{}
	once   sync.Once
	cancel context.CancelFunc
	done   chan struct{}
	closed chan struct{}
	closer sync.Once
}

// New starts a hub. On PostgreSQL it listens until Close; on SQLite (or with
// a nil db) it works in process.
func New(db *sqldb.DB, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Hub{log: log, subs: map[string]map[chan Event]struct{}{}, ready: make(chan struct{}), done: make(chan struct{}), closed: make(chan struct{})}
	if db == nil || db.Dialect != sqldb.Postgres {
		close(h.ready)
		close(h.done)
		h.cancel = func() {}
		return h
	}
	h.db = db
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		defer close(h.done)
		db.Listen(ctx, Channel, func() {
			h.once.Do(func() { close(h.ready) })
			// Whatever was published while we were not listening is lost:
			// tell every subscriber to re-read.
			h.wakeAll()
		}, h.receive)
	}()
	return h
}

// Ready is closed once the hub receives what every instance publishes (at
// once on SQLite; after the first LISTEN on PostgreSQL).
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// Close stops listening and closes Done, which ends every stream watching
// a board (a server shutting down does not wait for its open streams).
// Subscriptions stay valid but receive nothing more.
func (h *Hub) Close() {
	h.closer.Do(func() { close(h.closed) })
	h.cancel()
	<-h.done
}

// Done is closed when the hub is closed.
func (h *Hub) Done() <-chan struct{} { return h.closed }

// Subscribe returns a channel of the topic's events and a function that
// ends the subscription. The channel holds one event: a subscriber that is
// busy re-reading misses none, because the events that came meanwhile are
// merged into the latest one (it re-reads once more, not once per event).
func (h *Hub) Subscribe(topic string) (<-chan Event, func()) {
	c := make(chan Event, 1)
	h.mu.Lock()
	m := h.subs[topic]
	if m == nil {
		m = map[chan Event]struct{}{}
		h.subs[topic] = m
	}
	m[c] = struct{}{}
	h.mu.Unlock()
	return c, func() {
		h.mu.Lock()
		delete(h.subs[topic], c)
		if len(h.subs[topic]) == 0 {
			delete(h.subs, topic)
		}
		h.mu.Unlock()
	}
}

// Publish tells every subscriber of topic, on every instance, that it
// changed. Call it after the change has committed. A failed NOTIFY still
// reaches this instance's subscribers; the error is returned for logging
// (the change itself is committed and must not be reported as failed).
func (h *Hub) Publish(ctx context.Context, topic string, seq int64) error {
	if h.db == nil {
		h.deliver(Event{Topic: topic, Seq: seq})
		return nil
	}
	err := h.db.Notify(ctx, Channel, topic+" "+strconv.FormatInt(seq, 10))
	if err != nil {
		h.log.Warn("live: notify failed; only this instance is told", "topic", topic, "err", err)
		h.deliver(Event{Topic: topic, Seq: seq})
	}
	return err
}

func (h *Hub) receive(payload string) {
	topic, n, _ := strings.Cut(payload, " ")
	seq, _ := strconv.ParseInt(n, 10, 64)
	h.deliver(Event{Topic: topic, Seq: seq})
}

func (h *Hub) deliver(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs[e.Topic] {
		put(c, e)
	}
}

func (h *Hub) wakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for topic, m := range h.subs {
		for c := range m {
			put(c, Event{Topic: topic})
		}
	}
}

// put sends without blocking, replacing an event the subscriber has not
// taken yet.
func put(c chan Event, e Event) {
	select {
	case c <- e:
		return
	default:
	}
	select {
	case <-c:
	default:
	}
	select {
	case c <- e:
	default:
	}
}
