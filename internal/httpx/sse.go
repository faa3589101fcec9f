package httpx

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Heartbeat is how often an idle event stream sends a comment line: it
// keeps proxies and phone networks from closing a quiet connection and lets
// the server notice a client that went away.
const Heartbeat = 15 * time.Second

// SSE writes a server-sent event stream (text/event-stream). The server's
// WriteTimeout (120 s) would cut every stream after two minutes, so each
// write pushes this stream's own write deadline forward instead, through
// http.ResponseController; other requests keep the server's limits.
type SSE struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// NewSSE starts an event stream: headers sent and flushed at once, so the
// client's EventSource opens before the first event.
func NewSSE(w http.ResponseWriter) (*SSE, error) {
	s := &SSE{w: w, rc: http.NewResponseController(w)}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	// A long stream reads nothing more from the client; lift the read
	// deadline too so the connection is not closed under the stream.
	_ = s.rc.SetReadDeadline(time.Time{})
	if err := s.extend(); err != nil {
		return nil, err
	}
	w.WriteHeader(http.StatusOK)
	if err := s.rc.Flush(); err != nil {
		return nil, fmt.Errorf("event stream: %w", err)
	}
	return s, nil
}

func (s *SSE) extend() error {
	if err := s.rc.SetWriteDeadline(time.Now().Add(2*Heartbeat + 10*time.Second)); err != nil {
		return fmt.Errorf("event stream: cannot move the write deadline: %w", err)
	}
	return nil
}

// Event sends one event: name (may be empty), id (may be empty) and data,
// which is JSON-encoded unless it is a string already. Line breaks in a
// string are split into several data lines, as the format requires.
func (s *SSE) Event(name, id string, data any) error {
	var text string
	switch d := data.(type) {
	case string:
		text = d
	default:
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		text = string(b)
	}
	ev, err := frame(name, id, text)
	if err != nil {
		return err
	}
	return s.write(ev)
}

// frame is one event in the stream's text. A browser ends a line at CR,
// LF or CRLF, so data is split at each of them: split at LF alone, a CR
// inside the data would start a line of its own — "event:" or "id:" of
// the sender's choosing. A name or id cannot hold a line break at all.
func frame(name, id, text string) (string, error) {
	if strings.ContainsAny(name, "\r\n") || strings.ContainsAny(id, "\r\n") {
		return "", fmt.Errorf("event stream: a line break in the event's name or id")
	}
	var b strings.Builder
	if name != "" {
		b.WriteString("event: " + name + "\n")
	}
	if id != "" {
		b.WriteString("id: " + id + "\n")
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	for _, line := range strings.Split(text, "\n") {
		b.WriteString("data: " + line + "\n")
	}
	b.WriteString("\n")
	return b.String(), nil
}

// Comment sends a comment line (": text"), which clients ignore: the
// heartbeat.
func (s *SSE) Comment(text string) error { return s.write(": " + text + "\n\n") }

func (s *SSE) write(text string) error {
	if err := s.extend(); err != nil {
		return err
	}
	if _, err := s.w.Write([]byte(text)); err != nil {
		return err
	}
	return s.rc.Flush()
}

// Stream runs a board's stream until the client leaves: it sends render's
// answer at once (woke is T's zero value) and again after every wake-up
// (woke is what woke it), and a heartbeat when idle.
// wake is typically a live.Hub subscription; stop (may be nil) ends the
// stream when the server shuts down. render errors end the stream
// (the client's EventSource reconnects by itself).
func Stream[T any](ctx context.Context, s *SSE, name string, wake <-chan T, stop <-chan struct{}, render func(ctx context.Context, woke T) (id string, data any, err error)) error {
	send := func(woke T) error {
		id, data, err := render(ctx, woke)
		if err != nil {
			return err
		}
		return s.Event(name, id, data)
	}
	var zero T
	if err := send(zero); err != nil {
		return err
	}
	tick := time.NewTicker(Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-stop:
			return nil
		case w := <-wake:
			if err := send(w); err != nil {
				return err
			}
		case <-tick.C:
			if err := s.Comment("ping"); err != nil {
				return err
			}
		}
	}
}
