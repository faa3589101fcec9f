package web

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"hotline/internal/app"
)

// TestPatrolPagesWithoutKey: without a data key the patrol module is off
// (volunteers' phones are sealed), and every patrol page says so with 503
// and how to turn it on — not a 404 or a page that half works — except the
// volunteer's landing page /patrol, which opens (200) with the same
// explanation; the meeting pages, which keep no sealed data, still work.
func TestPatrolPagesWithoutKey(t *testing.T) {
	parallel(t)
	_, base := server(t, func(c *app.Config) { c.DemoCommunity = true })
	for _, who := range []string{"volunteer", "binyang"} {
		// A volunteer's login lands on /patrol, which says it is off.
		jar, _ := cookiejar.New(nil)
		c := &client{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
		if body, status := c.post("/login", url.Values{"username": {who}, "password": {"demo12345"}}); strings.Contains(body, `action="/login"`) ||
			status != http.StatusOK || (who == "volunteer") != strings.Contains(body, "--data-key-file") {
			t.Fatalf("login %s: %d\n%.300s", who, status, body)
		}
		if body, status := c.get("/patrol"); status != http.StatusOK || !strings.Contains(body, "数据密钥") || !strings.Contains(body, "--data-key-file") {
			t.Errorf("%s /patrol without a data key: %d\n%.300s", who, status, body)
		}
		paths := []string{"/field/patrol"}
		if who == "binyang" {
			paths = append(paths, "/patrol/plan", "/patrol/coverage")
		}
		for _, path := range paths {
			body, status := c.get(path)
			if status != http.StatusServiceUnavailable || !strings.Contains(body, "数据密钥") || !strings.Contains(body, "--data-key-file") {
				t.Errorf("%s %s without a data key: %d\n%.300s", who, path, status, body)
			}
		}
	}
	c := login(t, base, "binyang")
	if body, status := c.get("/meetings/new"); status != 200 || !strings.Contains(body, "meetingform") {
		t.Errorf("the meeting form without a data key: %d", status)
	}
}
