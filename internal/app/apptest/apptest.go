// Package apptest starts the real server for tests: app.New on a real
// database at 127.0.0.1:0, run until the test ends, and a JSON request that
// fails the test on any 5xx (never a 500 for anything a client sends). The
// API's, the community modules', the field pages' and the registry's test
// harnesses were four copies of this; they are now thin layers over it that
// add their own users, seeds and client shapes. Only tests import it.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/auth"
	"hotline/internal/seal"
)

// Obj is a JSON object.
type Obj = map[string]any

// Start builds the server from cfg (Addr 127.0.0.1:0 unless set), lets each prepare step work on it before it serves (adding
// users, say), runs it until the test ends and returns it once it answers.
// The cleanup waits up to 20 s for the server to stop, so a stuck shutdown
// fails the test instead of hanging the run. With the plain demo (Demo and
// none of its optional parts) on a database nobody has used yet, the
// server starts from a copy of the demo this process loaded once
// (demodb.go) instead of loading it itself.
func Start(t testing.TB, cfg app.Config, prepare ...func(context.Context, *app.Main) error) *app.Main {
	t.Helper()
	m, _ := Run(t, cfg, prepare...)
	return m
}

// Run is Start that also returns stop, which stops the server before the
// test ends (a test of what survives a restart); stopping twice is safe.
func Run(t testing.TB, cfg app.Config, prepare ...func(context.Context, *app.Main) error) (*app.Main, func()) {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.PasswordParams == (auth.Params{}) {
		cfg.PasswordParams = Passwords
	}
	withDemoCopy(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	m, err := app.New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("start server: %v", err)
	}
	for _, p := range prepare {
		if err := p(ctx, m); err != nil {
			cancel()
			t.Fatalf("prepare server: %v", err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-m.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("server stopped: %v", err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("server shutdown: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Errorf("server did not stop within 20 s")
			}
		})
	}
	t.Cleanup(stop)
	return m, stop
}

// Passwords are the argon2id costs the test servers hash their accounts'
// passwords with, unless the test sets others: one pass over 64 KiB. Each
// test server hashes its seven demo accounts' passwords, and every login
// checks one; at the real cost (auth.DefaultParams: 30 ms of CPU and
// 19 MiB each) that was half of the API tests' CPU (issue 13). The hashing
// code is the same; auth's own tests, the login-burst test and the binary's
// tests (cmd/hotline, durability) run with the real cost.
var Passwords = auth.Params{Time: 1, MemoryKiB: 64}

// Base is the server's address as a URL prefix.
func Base(m *app.Main) string { return "http://" + m.Addr }

// NewKeys is a fresh data key: parsed, and the key file's content.
func NewKeys(t testing.TB) (*seal.Keys, []byte) {
	t.Helper()
	content, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := seal.Parse(content)
	if err != nil {
		t.Fatal(err)
	}
	return keys, content
}

// Request is one call to the server.
type Request struct {
	Method, URL string
	Token       string // a bearer token, or none
	Body        any    // nil, a string, []byte, or a value sent as JSON
	// NoType leaves the Content-Type header out even with a body.
	NoType bool
}

// Do sends the request and decodes an answer that is a JSON object. A 5xx
// answer, a transport error or a body that starts like JSON but is not
// fails the test at once.
func Do(t testing.TB, r Request) (int, Obj, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := r.Body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(r.Method, r.URL, rd)
	if err != nil {
		t.Fatal(err)
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	if rd != nil && !r.NoType {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out Obj
	if len(data) > 0 && data[0] == '{' {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %s", r.Method, r.URL, data)
		}
	}
	if resp.StatusCode >= 500 {
		t.Fatalf("%s %s: server error %d: %s", r.Method, r.URL, resp.StatusCode, data)
	}
	return resp.StatusCode, out, data
}
