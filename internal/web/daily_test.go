package web

// Issue 18: what the center's staff meet every day. Each test here failed
// before its fix.

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var createdRe = regexp.MustCompile(`href="/orders/(\d+)">`)

// intake takes a call through the operator's form and returns the new
// order's id.
func (c *client) intake(v url.Values) string {
	c.t.Helper()
	v.Set("csrf", c.csrf())
	body, status := c.post("/intake", v)
	m := regexp.MustCompile(`flash ok[^>]*>.*?href="/orders/(\d+)"`).FindStringSubmatch(body)
	if status != 200 || m == nil {
		c.t.Fatalf("intake: %d\n%s", status, body)
	}
	return m[1]
}

// placeOf is the text of the order page's address line.
func placeOf(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<dt>地址</dt><dd[^>]*>(.*?)</dd>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no address line on the order page")
	}
	return strings.TrimSpace(m[1])
}

// TestPlaceWrittenOnce: the compound picked at intake is on the order
// page, and an address that already says it is not repeated.
func TestPlaceWrittenOnce(t *testing.T) {
	_, base := server(t)
	op := login(t, base, "operator")
	for _, c := range []struct{ building, address, want string }{
		{"29号楼", "", "三江小区29号楼"},
		{"29号楼", "三江小区29号楼", "三江小区29号楼"},
		{"29号楼", "2单元门口", "三江小区29号楼 2单元门口"},
		{"", "三江小区东门", "三江小区东门"},
	} {
		id := op.intake(url.Values{"type": {"complaint"}, "title": {"楼道灯不亮"}, "description": {"楼道里的灯坏了一个星期"},
			"caller_name": {"赵女士"}, "caller_phone": {"13800001234"}, "compound": {"sanjiang"}, "building": {c.building}, "address": {c.address}})
		body, _ := op.get("/orders/" + id)
		if got := placeOf(t, body); got != c.want {
			t.Errorf("building %q, address %q: the order page says %q, want %q", c.building, c.address, got, c.want)
		}
	}
}
