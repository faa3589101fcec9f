package auth

import (
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
