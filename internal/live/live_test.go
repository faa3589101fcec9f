package live_test

import (
	"context"
	"testing"
	"time"

	"hotline/internal/live"
	"hotline/internal/sqldb"
	"hotline/internal/testenv"
)

func open(t *testing.T, url string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func ready(t *testing.T, h *live.Hub) {
	t.Helper()
	select {
	case <-h.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("hub never listening")
	}
}

// Two instances on one PostgreSQL database: a publish on A reaches a
// subscriber on B (and A's own) within a second, with its sequence number;
// other topics stay quiet.
func TestAcrossInstancesPostgres(t *testing.T) {
	url := testenv.PostgresURL(t)
	a := live.New(open(t, url), nil)
	defer a.Close()
	b := live.New(open(t, url), nil)
	defer b.Close()
	ready(t, a)
	ready(t, b)
	onB, stopB := b.Subscribe("emergency:7")
	defer stopB()
	onA, stopA := a.Subscribe("emergency:7")
	defer stopA()
	other, stopO := b.Subscribe("emergency:8")
	defer stopO()
	start := time.Now()
	if err := a.Publish(context.Background(), "emergency:7", 42); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]<-chan live.Event{"B": onB, "A": onA} {
		select {
		case e := <-c:
			if e.Topic != "emergency:7" || e.Seq != 42 {
				t.Errorf("%s got %+v", name, e)
			}
		case <-time.After(time.Second):
			t.Fatalf("%s: no event within a second", name)
		}
	}
	t.Logf("publish on A to subscriber on B: %v", time.Since(start))
	select {
	case e := <-other:
		t.Errorf("another topic's subscriber was woken: %+v", e)
	case <-time.After(200 * time.Millisecond):
	}
}

// On SQLite the fan-out is in process; a slow subscriber gets the latest
// event, not a queue of stale ones, and an ended subscription gets nothing.
func TestInProcessSQLite(t *testing.T) {
	h := live.New(open(t, testenv.SQLiteURL(t)), nil)
	defer h.Close()
	ready(t, h)
	c, stop := h.Subscribe("t")
	for i := int64(1); i <= 5; i++ {
		if err := h.Publish(context.Background(), "t", i); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case e := <-c:
		if e.Seq != 5 {
			t.Errorf("merged event has seq %d, want the latest, 5", e.Seq)
		}
	case <-time.After(time.Second):
		t.Fatal("no event")
	}
	select {
	case e := <-c:
		t.Errorf("more than one event queued: %+v", e)
	default:
	}
	stop()
	h.Publish(context.Background(), "t", 6)
	select {
	case e := <-c:
		t.Errorf("ended subscription received %+v", e)
	case <-time.After(100 * time.Millisecond):
	}
}
