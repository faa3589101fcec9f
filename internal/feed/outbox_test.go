package feed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"hotline/internal/feed"
	"hotline/internal/testenv"
)

// receiver is the city platform's status endpoint as a real HTTP server. It
// checks every signature, dedupes by Idempotency-Key (as docs/feed.md asks
// of receivers), checks that each order's changes come in order, and
// misbehaves: it is down at first, then answers some requests 500, and
// takes too long on others (after applying them: the sender times out and
// must retry, and the retry must be recognised as a duplicate).
type receiver struct {
	mu       sync.Mutex
	t        *testing.T
	requests int
	applied  map[string][]int // order id → seqs applied, in arrival order
	keys     map[string]int   // idempotency key → times applied
	dups     int
	fails    int
	slow     int
	downTill time.Time
	srv      *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, applied: map[string][]int{}, keys: map[string]int{}, downTill: time.Now().Add(400 * time.Millisecond)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	ts, _ := strconv.ParseInt(req.Header.Get(feed.HeaderTimestamp), 10, 64)
	if req.Header.Get(feed.HeaderPlatform) != "shanghai" || !feed.Verify(testSecret, ts, body, req.Header.Get(feed.HeaderSignature)) {
		r.t.Errorf("receiver: bad signature on %s", body)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	key := req.Header.Get(feed.HeaderIdempotency)
	var ev struct {
		OrderID         string `json:"order_id"`
		PlatformOrderID string `json:"platform_order_id"`
		Seq             int    `json:"seq"`
		From, To        string
	}
	if err := json.Unmarshal(body, &ev); err != nil || key == "" || ev.OrderID == "" || ev.PlatformOrderID == "" {
		r.t.Errorf("receiver: bad delivery %q %s", key, body)
		http.Error(w, "bad", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.requests++
	n := r.requests
	if time.Now().Before(r.downTill) || n%5 == 1 {
		r.fails++
		r.mu.Unlock()
		http.Error(w, "platform busy", http.StatusInternalServerError)
		return
	}
	if r.keys[key] > 0 {
		r.dups++
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK) // already have it
		return
	}
	r.keys[key]++
	seqs := r.applied[ev.OrderID]
	if len(seqs) > 0 && seqs[len(seqs)-1] >= ev.Seq {
		r.t.Errorf("order %s: seq %d after %v (out of order)", ev.OrderID, ev.Seq, seqs)
	}
	r.applied[ev.OrderID] = append(seqs, ev.Seq)
	slow := n%7 == 3
	if slow {
		r.slow++
	}
	r.mu.Unlock()
	if slow {
		time.Sleep(600 * time.Millisecond) // past the sender's 300 ms timeout
	}
	w.WriteHeader(http.StatusOK)
}

func (r *receiver) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.applied {
		n += len(s)
	}
	return n
}

// lifecycle is the status changes driven on every order after its creation.
var lifecycle = []struct {
	user, action string
	body         obj
}{
	{"dispatcher", "dispatch", obj{"unit": "binyang"}},
	{"binyang", "accept", obj{}},
	{"binyang", "note", obj{"text": "现场查看", "kind": "site_visit"}}, // no status change: not delivered
	{"binyang", "contact", obj{"note": "已电话联系市民"}},
	{"binyang", "reply", obj{"result": "resolved", "text": "已处理完毕"}},
	{"dispatcher", "approve_reply", obj{}},
	{"dispatcher", "callback", obj{"outcome": "satisfied", "resolved": true}},
}

func TestOutboxDeliversEverythingInOrderOnce(t *testing.T) {
	parallelUnlessShort(t)
	env := fastFeed()
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		rcv := newReceiver(t)
		a := start(t, db, true, env)
		a.addPlatform("shanghai", rcv.srv.URL+"/hotline/status", true)
		const orders = 4
		var ids []string
		now := time.Now().Unix()
		for i := range orders {
			st, out := a.push("shanghai", orderBody(fmt.Sprintf("SH-%d", 100+i), fmt.Sprintf("第%d件：垃圾清运不及时", i)), now+int64(i), nil)
			if st != 201 {
				t.Fatalf("push: %d %v", st, out)
			}
			ids = append(ids, out["id"].(string))
		}
		// The first half of the lifecycle on instance A; then a second
		// instance B joins on the same database (two workers compete), A
		// stops mid-delivery, and B carries on: nothing is lost.
		for _, id := range ids {
			for _, step := range lifecycle[:3] {
				a.act(step.user, id, step.action, step.body)
			}
		}
		b := start(t, db, true, env)
		for _, id := range ids {
			for _, step := range lifecycle[3:5] {
				b.act(step.user, id, step.action, step.body)
			}
		}
		a.stop()
		for _, id := range ids {
			for _, step := range lifecycle[5:] {
				b.act(step.user, id, step.action, step.body)
			}
		}
		// create + 6 status changes per order (the note is not a change).
		want := orders * 7
		deadline := time.Now().Add(45 * time.Second)
		for time.Now().Before(deadline) {
			// Done when the receiver has everything and the outbox knows it
			// (a timed-out delivery is retried, and deduped, first).
			if p, _, _ := b.m.Store.OutboxStats(context.Background()); p == 0 && rcv.total() >= want {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		for _, id := range ids {
			seqs := rcv.applied[id]
			// The timeline: create 1, dispatch 2, accept 3, note 4, contact 5, reply 6, approve 7, callback 8.
			wantSeqs := []int{1, 2, 3, 5, 6, 7, 8}
			if fmt.Sprint(seqs) != fmt.Sprint(wantSeqs) {
				t.Errorf("order %s: receiver applied seqs %v, want %v", id, seqs, wantSeqs)
			}
		}
		for k, n := range rcv.keys {
			if n != 1 {
				t.Errorf("key %s applied %d times", k, n)
			}
		}
		if rcv.fails == 0 || rcv.slow == 0 {
			t.Errorf("the receiver never misbehaved (fails %d, slow %d): the test proves nothing", rcv.fails, rcv.slow)
		}
		pending, delivered, err := b.m.Store.OutboxStats(context.Background())
		if err != nil || pending != 0 || delivered != want {
			t.Errorf("outbox: %d pending, %d delivered (%v), want 0 and %d", pending, delivered, err, want)
		}
		t.Logf("%d requests: %d failed with 500, %d timed out, %d duplicates deduped by the receiver", rcv.requests, rcv.fails, rcv.slow, rcv.dups)
		if msg, _, _ := verify(b); msg != "" {
			t.Fatal(msg)
		}
	})
}

// slowReceiver is a platform that answers every delivery after delay and
// never fails: it counts every request per Idempotency-Key, without
// deduping, so a row sent twice shows.
type slowReceiver struct {
	mu    sync.Mutex
	delay time.Duration
	got   map[string]int
	total int
	srv   *httptest.Server
}

func newSlowReceiver(t *testing.T, delay time.Duration) *slowReceiver {
	r := &slowReceiver{delay: delay, got: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		r.got[req.Header.Get(feed.HeaderIdempotency)]++
		r.total++
		r.mu.Unlock()
		time.Sleep(r.delay)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *slowReceiver) requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// TestOutboxSlowPlatformSecondInstance is issue 12's reproduction, scaled
// down through the worker's configuration: a platform that takes 200 ms per
// answer (the HTTP timeout is 500 ms, the lease 1.2 s), a backlog of 80
// status changes, and a second instance's worker joining while the first is
// in the middle of it. Before the fix, the first worker claimed 64 rows and
// sent them 8 at a time, so its last waves started after their lease had
// ended, the second worker claimed and sent them as well, and the outbox
// still said one attempt. Every change must reach the platform exactly once
// and the outbox must count one attempt per row.
func TestOutboxSlowPlatformSecondInstance(t *testing.T) {
	env := fastFeed()
	env["HOTLINE_FEED_POLL"] = "1h" // the servers' own workers stay idle: the test runs two of its own
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		rcv := newSlowReceiver(t, 200*time.Millisecond)
		// Both instances start before there is anything to send, so their
		// own workers' first look finds nothing (the next is an hour away).
		a := start(t, db, true, env)
		b := start(t, db, true, env) // a second instance on the same database
		a.addPlatform("shanghai", rcv.srv.URL+"/hotline/status", true)
		const orders = 80
		now := time.Now().Unix()
		for i := range orders {
			if st, out := a.push("shanghai", orderBody(fmt.Sprintf("SLOW-%d", i), fmt.Sprintf("第%d件：路灯不亮", i)), now+int64(i), nil); st != 201 {
				t.Fatalf("push: %d %v", st, out)
			}
		}
		worker := func(s *server) *feed.Worker {
			w := feed.NewWorker(s.m.Store, s.m.Log, feed.SettingsFrom(env.getenv), feed.NewBox(testDataKey(t), ""))
			w.Poll = 20 * time.Millisecond
			w.HTTP = &http.Client{Timeout: 500 * time.Millisecond}
			w.Lease = 1200 * time.Millisecond
			return w
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		run := func(w *feed.Worker) {
			wg.Add(1)
			go func() { defer wg.Done(); w.Run(ctx) }()
		}
		defer func() { cancel(); wg.Wait() }()
		run(worker(a))
		for rcv.requests() < 4 { // the first worker is in the middle of the backlog
			time.Sleep(5 * time.Millisecond)
		}
		run(worker(b))
		deadline := time.Now().Add(60 * time.Second)
		for {
			if p, _, err := b.m.Store.OutboxStats(context.Background()); err == nil && p == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the backlog was not delivered in time (%d requests)", rcv.requests())
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(1500 * time.Millisecond) // longer than a lease: a late duplicate would show
		cancel()
		wg.Wait()
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		if len(rcv.got) != orders {
			t.Errorf("the platform heard of %d changes, want %d", len(rcv.got), orders)
		}
		dups := 0
		for k, n := range rcv.got {
			if n != 1 {
				dups++
				t.Errorf("%s delivered %d times", k, n)
			}
		}
		rows, attempts, err := b.m.Store.OutboxAttempts(context.Background())
		if err != nil || rows != orders || attempts != rcv.total {
			t.Errorf("outbox: %d rows delivered with %d attempts (%v); the platform got %d requests for %d rows", rows, attempts, err, rcv.total, orders)
		}
		t.Logf("%d requests for %d changes, %d sent more than once", rcv.total, orders, dups)
	})
}

// stoppedInBegin is the orders' store with one change: the worker is
// stopped while its OutboxBegin runs (the store then sees a cancelled
// context, as when an instance shuts down mid-delivery).
type stoppedInBegin struct {
	feed.Outbox
	stop context.CancelFunc
}

func (s stoppedInBegin) OutboxBegin(ctx context.Context, id int64, token string, now, until time.Time) (int, bool, error) {
	s.stop()
	return s.Outbox.OutboxBegin(ctx, id, token, now, until)
}

// A worker stopped in the middle of beginning a delivery gives the row
// back at once, as it does when stopped before: another instance sends it
// now, not after the claim's lease (2 × timeout + 30 s). It did not, and
// TestOutboxDeliversEverythingInOrderOnce waited 30 s in one run of six.
func TestOutboxStopInBeginReleases(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		env := fastFeed()
		env["HOTLINE_FEED_POLL"] = "1h" // the server's own worker looks once, at its start
		a := start(t, db, false, env)
		a.addPlatform("shanghai", "http://127.0.0.1:1/hotline/status", true)
		if st, out := a.push("shanghai", orderBody("SH-900", "垃圾清运不及时"), time.Now().Unix(), nil); st != 201 {
			t.Fatalf("push: %d %v", st, out)
		}
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		w := feed.NewWorker(stoppedInBegin{Outbox: a.m.Store, stop: stop}, nil, feed.SettingsFrom(env.getenv), nil)
		if n, err := w.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("the worker claimed %d rows (%v), want the one", n, err)
		}
		items, err := a.m.Store.ClaimOutbox(context.Background(), "another-instance/1", time.Now(), time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 {
			t.Fatalf("another instance can claim %d rows right after the stop, want the one given back", len(items))
		}
	})
}
