package httpx

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestForwarded: X-Forwarded-For and -Proto are believed from a trusted
// proxy only; the client is the nearest untrusted hop.
func TestForwarded(t *testing.T) {
	trusted, err := ParseProxies("10.0.0.0/8, 127.0.0.1 ::1")
	if err != nil || len(trusted) != 3 {
		t.Fatalf("parse: %v %v", trusted, err)
	}
	if _, err := ParseProxies("10.0.0.0/8,nope"); err == nil {
		t.Fatal("a bad proxy accepted")
	}
	var addr string
	var https bool
	h := Forwarded(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { addr, https = ClientAddr(r), IsHTTPS(r) }))
	cases := []struct {
		peer, xff, proto string
		tls              bool
		addr             string
		https            bool
	}{
		{"203.0.113.5:4000", "198.51.100.1", "https", false, "203.0.113.5", false}, // untrusted peer: headers ignored
		{"127.0.0.1:4000", "198.51.100.1", "https", false, "198.51.100.1", true},
		{"10.1.2.3:4000", "6.6.6.6, 198.51.100.2, 10.9.9.9", "http, https", false, "198.51.100.2", true}, // spoofed left hop skipped
		{"127.0.0.1:4000", "", "http", false, "127.0.0.1", false},
		{"127.0.0.1:4000", "garbage", "", false, "127.0.0.1", false},
		{"[::1]:4000", "2001:db8::7", "HTTPS", false, "2001:db8::7", true},
		{"203.0.113.5:4000", "", "http", true, "203.0.113.5", true}, // direct TLS
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if c.proto != "" {
			r.Header.Set("X-Forwarded-Proto", c.proto)
		}
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if addr != c.addr || https != c.https {
			t.Errorf("%+v: client %s https %v", c, addr, https)
		}
	}
	// Without trusted proxies nothing is believed.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:1"
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	Forwarded(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { addr, https = ClientAddr(r), IsHTTPS(r) })).ServeHTTP(httptest.NewRecorder(), r)
	if addr != "127.0.0.1" || https {
		t.Errorf("no trusted proxy: %s %v", addr, https)
	}
}
