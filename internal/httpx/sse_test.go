package httpx_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"hotline/internal/httpx"
)

// A stream outlives the server's WriteTimeout: each write moves this
// stream's own deadline. Without that the connection is cut after the
// timeout (here 300 ms) and the later events never arrive.
func TestSSEOutlivesWriteTimeout(t *testing.T) {
	wake := make(chan int)
	n := 0
	mux := http.NewServeMux()
	mux.HandleFunc("/s", func(w http.ResponseWriter, r *http.Request) {
		s, err := httpx.NewSSE(w)
		if err != nil {
			t.Error(err)
			return
		}
		httpx.Stream(r.Context(), s, "board", wake, nil, func(context.Context, int) (string, any, error) {
			n++
			return "", map[string]int{"n": n}, nil
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, WriteTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond}
	go srv.Serve(ln)
	defer srv.Close()
	resp, err := http.Get("http://" + ln.Addr().String() + "/s")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	go func() {
		for i := 0; i < 3; i++ {
			time.Sleep(400 * time.Millisecond)
			wake <- i
		}
	}()
	rd := bufio.NewReader(resp.Body)
	var got []string
	for len(got) < 4 {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("stream cut after %v: %v", got, err)
		}
		if strings.HasPrefix(line, "data: ") {
			got = append(got, strings.TrimSpace(line))
		}
		if strings.HasPrefix(line, "event: ") && line != "event: board\n" {
			t.Errorf("event line %q", line)
		}
	}
	if got[3] != `data: {"n":4}` {
		t.Errorf("events %v", got)
	}
}
