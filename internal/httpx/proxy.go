package httpx

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Behind a TLS-terminating reverse proxy the server sees the proxy's
// address and plain HTTP. The proxy says who the client is and how it
// came (X-Forwarded-For, X-Forwarded-Proto), but anyone can send those
// headers: they are believed only from the proxies the operator named in
// the app's configuration (`serve --trusted-proxy`,
// HOTLINE_TRUSTED_PROXIES), never from a request's say-so.

type clientKey struct{}

type client struct {
	addr  string
	https bool
}

// ParseProxies reads trusted proxies: CIDRs or single addresses separated
// by commas or spaces ("10.0.0.0/8, 127.0.0.1").
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Forwarded wraps h so that ClientAddr and IsHTTPS see through the trusted
// proxies: a request whose peer is one of them is taken to come over HTTPS
// when the proxy's X-Forwarded-Proto says so, and from the nearest address
// in X-Forwarded-For that is not itself a trusted proxy.
func Forwarded(trusted []netip.Prefix, h http.Handler) http.Handler {
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := client{addr: peer(r), https: r.TLS != nil}
		if len(trusted) > 0 && isTrusted(c.addr) {
			if protos := r.Header.Values("X-Forwarded-Proto"); len(protos) > 0 {
				last := protos[len(protos)-1]
				if i := strings.LastIndexByte(last, ','); i >= 0 {
					last = last[i+1:]
				}
				c.https = strings.EqualFold(strings.TrimSpace(last), "https")
			}
			var hops []string
			for _, v := range r.Header.Values("X-Forwarded-For") {
				hops = append(hops, strings.Split(v, ",")...)
			}
			for i := len(hops) - 1; i >= 0; i-- {
				hop := strings.TrimSpace(hops[i])
				if a, err := netip.ParseAddr(hop); err == nil {
					c.addr = a.Unmap().String()
					if !isTrusted(hop) {
						break
					}
				}
			}
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, c)))
	})
}

func peer(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ClientAddr is the client's address (without port), through the trusted
// proxies when Forwarded wraps the server; it keys the login throttle and
// the portal's rate limit.
func ClientAddr(r *http.Request) string {
	if c, ok := r.Context().Value(clientKey{}).(client); ok {
		return c.addr
	}
	return peer(r)
}

// IsHTTPS reports whether the client reached the server over HTTPS,
// directly or through a trusted proxy: the session cookie is then Secure.
func IsHTTPS(r *http.Request) bool {
	if c, ok := r.Context().Value(clientKey{}).(client); ok {
		return c.https
	}
	return r.TLS != nil
}
