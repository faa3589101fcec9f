package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hotline/internal/access"
	"hotline/internal/app/fieldtest"
	"hotline/internal/community/emergency"
)

// apiAs sends one JSON API request with a bearer token for user (as a
// phone or another system would) and returns the status.
func apiAs(t *testing.T, base, user, method, path, body string) int {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/session", "application/json", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":"demo12345"}`, user)))
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&s)
	resp.Body.Close()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The leaders' live board: found from the header, filled from the event
// stream, and changed in place — no reload — when a worker marks a
// resident or adds a task through the API; another area's handler is told
// they may not watch.
func TestBrowserEmergencyBoardLive(t *testing.T) {
	b := newBrowser(t, withDataKey(t))
	fieldtest.SeedMain(t, b.m)
	ctx := context.Background()
	binyang := access.User{Username: "binyang", Role: access.RoleHandler, Unit: "binyang"}
	ev, err := b.m.Emergency.Create(ctx, binyang, emergency.NewEvent{Kind: emergency.Typhoon, Name: `台风"利奇马"`, Level: "orange",
		Compounds: []string{"sanjiang_t"}, Volunteers: []string{"volunteer"}})
	if err != nil {
		t.Fatal(err)
	}
	checks, _, err := b.m.Emergency.Checks(ctx, binyang, ev.ID, "", "", 10, "")
	if err != nil || len(checks) != 3 {
		t.Fatalf("checks %v %v", checks, err)
	}

	l := b.as("leader")
	l.open("/")
	l.do(chromedp.Click(chromedp.CSS(`header a[href="/emergencies/"]`)))
	l.waitJS(fmt.Sprintf(`!!document.querySelector('#events a[href="/emergencies/%s/board"]')`, ev.ID))
	l.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#events a[href="/emergencies/%s/board"]`, ev.ID))))
	tile := func(st string) string {
		return fmt.Sprintf(`document.querySelector('#counts li[data-status="%s"] .n').textContent`, st)
	}
	l.waitJS(tile("unchecked") + ` === "3" && document.querySelectorAll('#pending li[data-check]').length === 3`)
	l.waitJS(`document.querySelector('#live').dataset.state === "live"`)
	if got := l.text("#title"); got != ev.Name {
		t.Errorf("board title %q, want %q", got, ev.Name)
	}
	// A mark of the page's own: a reload would lose it.
	l.eval(`String(window.__noReload = "kept")`)

	c := checks[1]
	t0 := time.Now()
	if st := apiAs(t, b.base, "volunteer", "POST", "/api/v1/emergencies/"+ev.ID+"/checks/"+c.ID, `{"status":"needs_help","note":"水已到膝","op_id":"board-1"}`); st != 200 {
		t.Fatalf("check through the API: %d", st)
	}
	l.waitJS(tile("needs_help") + ` === "1" && ` + tile("unchecked") + ` === "2"`)
	took := time.Since(t0)
	l.waitJS(fmt.Sprintf(`document.querySelector('#pending li[data-check="%s"]').dataset.status === "needs_help"`, c.ID))
	l.waitJS(fmt.Sprintf(`document.querySelector('#buildings tr[data-building="%s"] td[data-status="needs_help"]').textContent === "1"`, c.Building))
	t.Logf("check through the API → leader's board in the browser: %v (within the waits' 100 ms polling)", took)
	if took > 5*time.Second {
		t.Errorf("the board took %v to show the check (the contract: within a second)", took)
	}

	if st := apiAs(t, b.base, "binyang", "POST", "/api/v1/emergencies/"+ev.ID+"/tasks", fmt.Sprintf(`{"what":"背出102室老人","building":%q,"assignee":"volunteer"}`, c.Building)); st != 201 {
		t.Fatalf("task through the API: %d", st)
	}
	l.waitJS(`document.querySelectorAll('#tasks li[data-task]').length === 1`)
	if got := l.text("#tasks li[data-task]"); !strings.Contains(got, "背出102室老人") || !strings.Contains(got, "volunteer") {
		t.Errorf("task on the board: %q", got)
	}
	if l.eval(`String(window.__noReload)`) != "kept" {
		t.Error("the board reloaded the page instead of updating it")
	}
	l.screenshot("emergency_board")

	// Another area's handler may not watch: told so, not left spinning.
	y := b.as("yuehe")
	y.open("/emergencies/" + ev.ID + "/board")
	y.waitJS(`!document.querySelector('#problem').hidden && document.querySelector('#live').dataset.state === "stopped"`)
	if n := y.eval(`String(document.querySelectorAll('#pending li[data-check]').length)`); n != "0" {
		t.Errorf("another area's handler sees %s residents on the board", n)
	}
}
