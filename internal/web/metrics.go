package web

import "net/http"

// statusWriter remembers a page's status for /metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (the live
// boards flush server-sent events through it).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
