package auth

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("demo12345")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "demo12345") {
		t.Fatal("right password refused")
	}
	if CheckPassword(h, "demo12346") || CheckPassword(h, "") {
		t.Fatal("wrong password accepted")
	}
	h2, _ := HashPassword("demo12345")
	if h == h2 {
		t.Fatal("salt not random")
	}
	for _, bad := range []string{"", "$argon2id$", "plain", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$bcrypt$v=19$m=1,t=1,p=1$AAAA$AAAA"} {
		if CheckPassword(bad, "x") {
			t.Fatalf("malformed hash %q accepted", bad)
		}
	}
}

// TestParamsHash: a hash made with other parameters records them and
// checks; a checker hashes with its Params, and its stand-in hash for an
// unknown user has the same cost as its accounts'.
func TestParamsHash(t *testing.T) {
	low := Params{Time: 1, MemoryKiB: 64}
	c := NewChecker(1)
	c.Params = low
	h, err := c.Hash("pw")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h, "$m=64,t=1,p=1$") || !CheckPassword(h, "pw") || CheckPassword(h, "px") {
		t.Fatalf("lowered hash %q", h)
	}
	if d, _ := (Params{}).Hash("pw"); !strings.Contains(d, "$m=19456,t=2,p=1$") {
		t.Fatalf("zero Params hashed as %q, want DefaultParams", d)
	}
	if ok, err := c.Check(context.Background(), "", "pw"); ok || err != nil {
		t.Fatalf("unknown user: %v %v", ok, err)
	}
	if !strings.Contains(c.dummy, "$m=64,t=1,p=1$") {
		t.Fatalf("the unknown user's stand-in hash %q does not cost what the accounts' do", c.dummy)
	}
}

func TestTokens(t *testing.T) {
	a, ha := NewToken()
	b, _ := NewToken()
	if a == b || len(a) < 40 || HashToken(a) != ha || ha == a {
		t.Fatal("tokens not random or hash mismatch")
	}
}

func TestThrottle(t *testing.T) {
	now := time.Unix(1000, 0)
	th := NewThrottle()
	th.now = func() time.Time { return now }
	for i := 0; i < freeFailures; i++ {
		if w := th.Wait("u"); w != 0 {
			t.Fatalf("failure %d: wait %v before the free failures are used", i, w)
		}
		th.Fail("u")
	}
	if w := th.Wait("u"); w != time.Second {
		t.Fatalf("after 3 failures wait = %v, want 1s", w)
	}
	th.Fail("u")
	if w := th.Wait("u"); w != 2*time.Second {
		t.Fatalf("after 4 failures wait = %v, want 2s", w)
	}
	now = now.Add(3 * time.Second)
	if w := th.Wait("u"); w != 0 {
		t.Fatalf("wait after the delay passed = %v", w)
	}
	for i := 0; i < 20; i++ {
		th.Fail("u")
	}
	if w := th.Wait("u"); w != time.Minute {
		t.Fatalf("wait is capped at a minute, got %v", w)
	}
	th.Succeed("u")
	if w := th.Wait("u"); w != 0 {
		t.Fatal("success does not reset")
	}
	if th.Wait("other") != 0 {
		t.Fatal("keys are independent")
	}
}

// TestReserve: an attempt counts before its check, so parallel attempts
// see each other; the address is counted across usernames; a success
// forgets the username's failures but not the address's; a cancelled
// attempt counts nothing; old failures are forgotten.
func TestReserve(t *testing.T) {
	now := time.Unix(1000, 0)
	th := NewThrottle()
	th.now = func() time.Time { return now }
	var got []*Attempt
	for range 24 { // 24 in flight at once, none settled yet
		if a, w := th.Reserve("Operator", "10.0.0.1"); w == 0 {
			got = append(got, a)
		} else if w != time.Second {
			t.Fatalf("wait %v, want 1s", w)
		}
	}
	if len(got) != freeFailures {
		t.Fatalf("%d attempts reserved at once, want %d", len(got), freeFailures)
	}
	got[0].Succeeded()
	if _, w := th.Reserve("operator", "10.0.0.1"); w != 0 {
		t.Fatalf("after a success the user waits %v", w)
	}
	// Across usernames from one address: slowed after freeAddrFailures.
	th2 := NewThrottle()
	th2.now = th.now
	n := 0
	for i := range 21 {
		a, w := th2.Reserve(string(rune('a'+i%7)), "10.0.0.2")
		if w > 0 {
			continue
		}
		n++
		a.Failed()
	}
	if n != freeAddrFailures {
		t.Fatalf("%d attempts over 7 users from one address, want %d", n, freeAddrFailures)
	}
	if _, w := th2.Reserve("a", "10.0.0.3"); w != 0 {
		t.Fatalf("another address waits %v", w)
	}
	a, _ := th2.Reserve("x", "10.0.0.4")
	a.Cancel()
	if th2.fails["a|10.0.0.4"] != nil || th2.fails["u|x|10.0.0.4"] != nil {
		t.Fatalf("a cancelled attempt still counts: %v", th2.fails)
	}
	now = now.Add(forgetAfter + time.Second)
	if _, w := th2.Reserve("a", "10.0.0.2"); w != 0 {
		t.Fatalf("failures %v old still slow the address: %v", forgetAfter, w)
	}
}

// TestCheckerBound: no more checks run than there are slots; a check that
// finds none free within MaxWait is ErrBusy, and runs once one frees.
func TestCheckerBound(t *testing.T) {
	c := NewChecker(2)
	c.MaxWait = 20 * time.Millisecond
	c.slots <- struct{}{}
	c.slots <- struct{}{}
	if _, err := c.Check(t.Context(), "", "x"); err != ErrBusy {
		t.Fatalf("all slots busy: %v, want ErrBusy", err)
	}
	if c.Checks() != 0 {
		t.Fatal("a refused check was computed")
	}
	<-c.slots
	h, _ := HashPassword("pw")
	if ok, err := c.Check(t.Context(), h, "pw"); !ok || err != nil || c.Checks() != 1 {
		t.Fatalf("check with a free slot: %v %v %d", ok, err, c.Checks())
	}
	if ok, _ := c.Check(t.Context(), "", "pw"); ok {
		t.Fatal("no such user accepted")
	}
}
