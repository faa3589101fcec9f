package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hotline/internal/seal"
	"hotline/internal/testenv"
)

// table is a module's sealed column held in memory, re-encrypted the way a
// real module's Resealer must do it: open each stale value under its own
// context, seal it again, at most batch per call.
type table struct {
	mu    sync.Mutex
	rows  map[int][]byte
	calls int
}

func (tb *table) ctx(id int) []byte { return fmt.Appendf(nil, "test.phone:%d", id) }

func (tb *table) Reseal(_ context.Context, k *seal.Keys, batch int) (int, error) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.calls++
	n := 0
	for id, ct := range tb.rows {
		if n == batch {
			break
		}
		if k.Current(ct) {
			continue
		}
		plain, err := k.Open(ct, tb.ctx(id))
		if err != nil {
			return n, err
		}
		if tb.rows[id], err = k.Seal(plain, tb.ctx(id)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// stale counts the rows not under the current primary key and checks each
// still opens to its value.
func (tb *table) stale(t *testing.T, k *seal.Keys) int {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	n := 0
	for id, ct := range tb.rows {
		if got, err := k.Open(ct, tb.ctx(id)); err != nil || string(got) != fmt.Sprintf("1380000%04d", id) {
			t.Fatalf("row %d: %q %v", id, got, err)
		}
		if !k.Current(ct) {
			n++
		}
	}
	return n
}

func fill(t *testing.T, k *seal.Keys, n int) *table {
	tb := &table{rows: map[int][]byte{}}
	for id := range n {
		ct, err := k.Seal(fmt.Appendf(nil, "1380000%04d", id), tb.ctx(id))
		if err != nil {
			t.Fatal(err)
		}
		tb.rows[id] = ct
	}
	return tb
}

func keyFile(t *testing.T) (string, *seal.Keys) {
	path := filepath.Join(t.TempDir(), "data.key")
	content, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := seal.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, k
}

func rotate(t *testing.T, path string) {
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := seal.Rotate(content)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".tmp", rotated, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestResealAfterRotation: the runner notices a rotated key file by itself
// (no periodic pass: every is an hour) and re-encrypts every stale row in
// batches, and the rows open throughout.
func TestResealAfterRotation(t *testing.T) {
	path, k := keyFile(t)
	tb := fill(t, k, 1200) // more than two batches
	var logs bytes.Buffer
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runResealers(ctx, k, []resealJob{{"test", tb}}, time.Hour, 50*time.Millisecond, log)
	}()
	defer func() { cancel(); <-done }()

	first := k.PrimaryID()
	rotate(t, path)
	waitFor(t, "re-encryption after the rotation", 10*time.Second, func() bool {
		return k.PrimaryID() != first && tb.stale(t, k) == 0
	})

	// The keys may reload the rotated file on their own (a Seal in a
	// request) before the runner polls: the runner must still notice.
	second := k.PrimaryID()
	rotate(t, path)
	if changed, err := k.Refresh(); !changed || err != nil {
		t.Fatalf("Refresh: %v %v", changed, err)
	}
	if k.PrimaryID() == second || tb.stale(t, k) != 1200 {
		t.Fatal("the second rotation did not take")
	}
	waitFor(t, "re-encryption after a rotation the keys reloaded first", 10*time.Second, func() bool {
		return tb.stale(t, k) == 0
	})
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "values=1200") || strings.Contains(logs.String(), "13800000") {
		t.Fatalf("log: %s", logs.String())
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type failing struct{ calls int }

func (f *failing) Reseal(context.Context, *seal.Keys, int) (int, error) {
	f.calls++
	return 0, errors.New("database is locked")
}

// TestResealFailureDoesNotStopOthers: one module's error is logged and the
// next module still runs; nothing registered or no key means no work.
func TestResealFailureDoesNotStopOthers(t *testing.T) {
	_, k := keyFile(t)
	tb := fill(t, k, 10)
	rotated, _ := seal.Rotate(mustRead(t, k.Path()))
	k2, _ := seal.Parse(rotated)
	f := &failing{}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var logs bytes.Buffer
	var mu sync.Mutex
	runResealers(ctx, k2, []resealJob{{"broken", f}, {"test", tb}}, 100*time.Millisecond, time.Hour, slog.New(slog.NewTextHandler(&lockedWriter{&logs, &mu}, nil)))
	if f.calls < 2 || tb.stale(t, k2) != 0 {
		t.Fatalf("failing module called %d times; stale rows %d", f.calls, tb.stale(t, k2))
	}
	if !strings.Contains(logs.String(), "re-encryption failed") {
		t.Fatalf("no error logged: %s", logs.String())
	}
	calls := tb.calls
	runResealers(context.Background(), nil, []resealJob{{"test", tb}}, time.Millisecond, time.Millisecond, slog.Default())
	runResealers(context.Background(), k2, nil, time.Millisecond, time.Millisecond, slog.Default())
	if tb.calls != calls {
		t.Fatal("the runner worked without a key")
	}
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServerReseals: the real server runs registered resealers, on both
// databases; NeedDataKey refuses a missing key.
func TestServerReseals(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		if _, err := (Config{}).NeedDataKey("registry"); !errors.Is(err, seal.ErrNoKey) {
			t.Fatalf("NeedDataKey without a key: %v", err)
		}
		path, k := keyFile(t)
		tb := fill(t, k, 50)
		rotate(t, path)
		ctx, cancel := context.WithCancel(context.Background())
		m, err := New(ctx, Config{Addr: "127.0.0.1:0", DB: db, DataKey: k, ResealEvery: 100 * time.Millisecond, Sweep: time.Hour})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if got, err := m.NeedDataKey("registry"); got != k || err != nil {
			t.Fatalf("NeedDataKey: %v", err)
		}
		m.AddResealer("test", tb)
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		}()
		waitFor(t, "the server re-encrypts", 15*time.Second, func() bool { return tb.stale(t, k) == 0 })
	})
}
