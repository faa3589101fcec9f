package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"hotline/internal/auth"
	"hotline/internal/demo"
)

// TestPasswordParams: a server hashes its accounts' passwords with
// auth.DefaultParams unless its configuration says otherwise (only tests
// do: apptest.Passwords), and a login checks a password against either.
func TestPasswordParams(t *testing.T) {
	for _, c := range []struct {
		name string
		set  auth.Params
		want auth.Params
	}{
		{"default", auth.Params{}, auth.DefaultParams},
		{"lowered", auth.Params{Time: 1, MemoryKiB: 64}, auth.Params{Time: 1, MemoryKiB: 64}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			m, err := New(ctx, Config{Addr: "127.0.0.1:0", DB: "sqlite:" + filepath.Join(t.TempDir(), "h.db"), Demo: true, PasswordParams: c.set})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { m.Store.Close() })
			u, err := m.Store.UserByName(ctx, "dispatcher")
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("$m=%d,t=%d,p=1$", c.want.MemoryKiB, c.want.Time); !strings.Contains(u.PasswordHash, want) {
				t.Errorf("demo account hashed as %.40s…, want parameters %s", u.PasswordHash, want)
			}
			if ok, err := m.Svc.Passwords.Check(ctx, u.PasswordHash, demo.Password); !ok || err != nil {
				t.Errorf("the demo password does not check: %v %v", ok, err)
			}
			if ok, _ := m.Svc.Passwords.Check(ctx, u.PasswordHash, "wrong password"); ok {
				t.Error("a wrong password checks")
			}
		})
	}
}
