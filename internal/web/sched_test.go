package web

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// The package's tests that start a server run beside each other, the
// longest first. go test's own limit (-parallel) starts the waiting
// parallel tests in no particular order, and runs them only after every
// test that is not parallel has finished: internal/web's 25 s of page tests
// ran first on one core, and TestBrowserLifecycle (~45 s, the package's
// critical path) could start last. Here every such test registers while
// the tests are being listed, and a free slot goes to the longest one
// still waiting (issue 13).

// browserParallel is how many tests run at once when go test's -parallel
// is not given (its default, GOMAXPROCS, is 2 on the 2-core VM). A browser
// test mostly waits: on page loads, the server's answers and Chromium's
// round trips, so at 2 the package used ~35% of two cores and was the
// plain step's critical path. 3, not 4: at load 28-30 (2026-12-07, 06:24-06:35,
// the whole package, alternating) 3 took 210 s wall and 60 s CPU, 4 took
// 295 s and 69 s, the old 2 with its sequential tests 231 s and 65 s: with
// more at once, TestBrowserLifecycle (the critical path) slowed most.
const browserParallel = 3

// expectedSeconds orders the start: a test's wall time at -parallel 2
// (make test of 2026-12-07, /work/tj-j/test.json), for the tests of 5 s or
// more (TestBrowserMainPages was split out of TestBrowserLifecycle after:
// their two figures are estimates). Only the order depends on it: a missing or stale entry costs
// time, never a result.
var expectedSeconds = map[string]float64{
	"TestBrowserLifecycle":          40, // 46 with TestBrowserMainPages in it
	"TestBrowserMainPages":          8,
	"TestBrowserPrintOrder":         33,
	"TestBrowserMeetingForms":       17,
	"TestBrowserRegistry":           14,
	"TestBrowserDaily":              13,
	"TestBrowserRegistryEdit":       11,
	"TestBrowserDashboards":         10,
	"TestBrowserPatrolOffline":      10,
	"TestBrowserHotspotCase":        10,
	"TestBrowserEmergencyOffline":   8,
	"TestBrowserEmergencyBoardLive": 8,
	"TestBrowserRefusedAndStale":    8,
	"TestBrowserCampaignOffline":    7,
	"TestBrowserLogoutClearsPhone":  7,
	"TestBrowserPatrolPhone":        6,
	"TestBrowserPatrolPlan":         6,
	"TestBrowserMeetingOnOrder":     6,
	"TestBrowserRegistryImport":     6,
}

var slots = &testSlots{}

type testSlots struct {
	mu      sync.Mutex
	cond    sync.Cond
	free    int
	seq     int
	waiting []*slotWaiter // registered and not started, the longest first
}

type slotWaiter struct {
	name string
	secs float64
	seq  int
}

// setSlots sets how many tests run at once: go test's -parallel when
// given, browserParallel otherwise. go test's own limit is lifted, so
// that it never holds a test this one has chosen to start.
func (s *testSlots) set() error {
	n := browserParallel
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "test.parallel" {
			n, _ = strconv.Atoi(f.Value.String())
		}
	})
	if n < 1 {
		n = 1
	}
	s.free = n
	s.cond.L = &s.mu
	return flag.Set("test.parallel", "1000")
}

// parallel makes t a parallel test that starts once a slot is free and no
// test expected to take longer is still waiting. Call it after any Skip
// and before anything the test must do alone.
func parallel(t *testing.T) {
	t.Helper()
	w := slots.add(t.Name())
	t.Parallel()
	// go test's time for the test counts from here, the wait included.
	start := time.Now()
	slots.acquire(w)
	if d := time.Since(start); d > time.Second {
		t.Logf("waited %s for a slot (part of this test's time)", d.Round(time.Millisecond))
	}
	t.Cleanup(slots.release)
}

func (s *testSlots) add(name string) *slotWaiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	w := &slotWaiter{name: name, secs: expectedSeconds[name], seq: s.seq}
	s.waiting = append(s.waiting, w)
	slices.SortStableFunc(s.waiting, func(a, b *slotWaiter) int {
		return cmp.Or(cmp.Compare(b.secs, a.secs), cmp.Compare(a.seq, b.seq))
	})
	return w
}

// acquire waits until w is the first waiting test and a slot is free.
// Every registered test reaches acquire: t.Parallel holds them all until
// the listing is over, so none waits for a test that is not coming.
func (s *testSlots) acquire(w *slotWaiter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cond.L == nil {
		panic(fmt.Sprintf("%s: the test slots are not set (TestMain)", w.name))
	}
	for s.free == 0 || s.waiting[0] != w {
		s.cond.Wait()
	}
	s.waiting = s.waiting[1:]
	s.free--
	s.cond.Broadcast()
}

func (s *testSlots) release() {
	s.mu.Lock()
	s.free++
	s.mu.Unlock()
	s.cond.Broadcast()
}

func TestMain(m *testing.M) {
	flag.Parse()
	if err := slots.set(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	chromium.stop()
	os.Exit(code)
}
