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
	fastFeed(t)
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		rcv := newReceiver(t)
		a := start(t, db, true)
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
		b := start(t, db, true)
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
