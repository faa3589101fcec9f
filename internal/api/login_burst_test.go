package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/auth"
	"hotline/internal/testenv"
)

// startBehindProxy starts a demo server that trusts 127.0.0.1 as its
// reverse proxy, so a test can speak for many client addresses through
// X-Forwarded-For.
func startBehindProxy(t *testing.T, dbURL string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: dbURL, Demo: true, Sweep: time.Hour,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	<-m.Ready()
	t.Cleanup(func() { cancel(); <-done })
	return &server{t: t, base: "http://" + m.Addr, m: m}
}

type loginAnswer struct {
	status     int
	retryAfter string
	message    string
	cookie     string
}

// loginFrom logs in as user from the client address from (via the proxy).
func loginFrom(t *testing.T, s *server, from, user, password string, header map[string]string) loginAnswer {
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	req, _ := http.NewRequest("POST", s.base+"/api/v1/session", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", from)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return loginAnswer{}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out struct {
		Error struct{ Message string } `json:"error"`
	}
	json.Unmarshal(data, &out)
	return loginAnswer{resp.StatusCode, resp.Header.Get("Retry-After"), out.Error.Message, resp.Header.Get("Set-Cookie")}
}

var inSeconds = regexp.MustCompile(`try again in (\d+) seconds?`)

// checkRetry: a refused login says when to come back, and the header and
// the message say the same number of seconds.
func checkRetry(t *testing.T, a loginAnswer) {
	t.Helper()
	m := inSeconds.FindStringSubmatch(a.message)
	if a.retryAfter == "" || m == nil || m[1] != a.retryAfter {
		t.Errorf("%d: Retry-After %q but message %q", a.status, a.retryAfter, a.message)
	}
	if n, _ := strconv.Atoi(a.retryAfter); n < 1 || n > 60 {
		t.Errorf("Retry-After %q out of 1..60", a.retryAfter)
	}
}

// TestLoginBurst (issue 12, defect 1): 24 parallel wrong passwords for one
// user from one address reach the password hash at most 3 times (all 24
// did); 21 wrong passwords spread over 7 users from one address are slowed
// after 10; a throttled answer's Retry-After equals its message's seconds;
// another address is not slowed by them; on both databases. Serial, not
// beside the package's parallel tests: the address is slowed for 1 s after
// its tenth failure, so the 21 logins at argon2's real cost must each come
// within a second of the last, and at load 40 with six tests beside it one
// did not (11 checks).
func TestLoginBurst(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		s := startBehindProxy(t, dbURL)
		hashes := s.m.Svc.Passwords.Checks
		before := hashes()
		var wg sync.WaitGroup
		answers := make(chan loginAnswer, 24)
		for range 24 {
			wg.Go(func() { answers <- loginFrom(t, s, "198.51.100.7", "operator", "wrong", nil) })
		}
		wg.Wait()
		close(answers)
		throttled := 0
		for a := range answers {
			// 503: no password-check slot came free in time (a loaded machine).
			if a.status != 401 && a.status != 503 {
				t.Errorf("parallel wrong password: %d %q", a.status, a.message)
			}
			if a.retryAfter != "" {
				throttled++
				checkRetry(t, a)
			}
		}
		if n := hashes() - before; n > 3 || throttled != 24-int(n) {
			t.Fatalf("24 parallel wrong passwords: %d password checks, %d throttled; want at most 3 checks, the rest throttled", n, throttled)
		}

		// Spread over 7 users from one address: the address is slowed too.
		before = hashes()
		slowed := 0
		for i := range 21 {
			a := loginFrom(t, s, "198.51.100.8", []string{"dispatcher", "leader", "admin", "binyang", "cityops", "volunteer", "nobody"}[i%7], "wrong", nil)
			if a.status != 401 {
				t.Fatalf("wrong password %d: %d %q", i, a.status, a.message)
			}
			if a.retryAfter != "" {
				slowed++
				checkRetry(t, a)
			}
		}
		if n := hashes() - before; n > 10 || slowed == 0 {
			t.Fatalf("21 wrong passwords over 7 users from one address: %d checks, %d slowed; want at most 10 checks", n, slowed)
		}
		// Another address logs in at once, and over HTTPS through the proxy
		// its cookie is Secure.
		a := loginFrom(t, s, "203.0.113.9", "operator", "demo12345", map[string]string{"X-Forwarded-Proto": "https"})
		if a.status != 200 || !bytes.Contains([]byte(a.cookie), []byte("Secure")) {
			t.Fatalf("login from another address over HTTPS: %d %q cookie %q", a.status, a.message, a.cookie)
		}
	})
}

// TestLoginChecksBounded: when every password-check slot stays busy, a
// login is a 503 with Retry-After and the same seconds in its message, and
// the refused attempt does not count as a failure.
func TestLoginChecksBounded(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, dbURL string) {
		s := startBehindProxy(t, dbURL)
		c := auth.NewChecker(1)
		c.MaxWait = 0
		s.m.Svc.Passwords = c
		var wg sync.WaitGroup
		answers := make(chan loginAnswer, 16)
		for i := range 16 {
			wg.Go(func() { answers <- loginFrom(t, s, fmt.Sprintf("192.0.2.%d", i+1), "leader", "wrong", nil) })
		}
		wg.Wait()
		close(answers)
		busy := 0
		for a := range answers {
			switch a.status {
			case 503:
				busy++
				checkRetry(t, a)
			case 401:
			default:
				t.Errorf("login: %d %q", a.status, a.message)
			}
		}
		if busy == 0 || c.Checks() != int64(16-busy) {
			t.Fatalf("16 parallel logins with one slot and no waiting: %d busy, %d checks", busy, c.Checks())
		}
		c.MaxWait = 5 * time.Second
		if a := loginFrom(t, s, "192.0.2.1", "leader", "demo12345", nil); a.status != 200 {
			t.Fatalf("login after a busy refusal: %d %q", a.status, a.message)
		}
	})
}
