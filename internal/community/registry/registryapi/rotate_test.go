package registryapi_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/app/apptest"
	"hotline/internal/demo"
	"hotline/internal/seal"
	"hotline/internal/testenv"
)

// TestKeyRotationWhileServing: a running server whose key file is rotated
// (as `hotline keys rotate` does: a new file renamed over the old) keeps
// answering, re-encrypts every resident under the new key in the
// background, and the values stay the same.
func TestKeyRotationWhileServing(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, dbURL string) {
		dir := t.TempDir()
		keyFile := filepath.Join(dir, "data.key")
		content, err := seal.Generate()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, content, 0o600); err != nil {
			t.Fatal(err)
		}
		keys, err := seal.LoadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: dbURL, Demo: true, Sweep: time.Hour, DataKey: keys, ResealEvery: 300 * time.Millisecond, ResealPoll: 100 * time.Millisecond, PasswordParams: apptest.Passwords})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		<-m.Ready()
		t.Cleanup(func() { cancel(); <-done })
		s := &server{t: t, base: "http://" + m.Addr, m: m, res: m.RegistryDB, tokens: map[string]string{}}
		for _, u := range []string{"admin", "binyang"} {
			_, body := s.do("", "POST", "/api/v1/session", obj{"username": u, "password": demo.Password})
			s.tokens[u] = body["token"].(string)
		}
		hh := s.household("sanjiang-27", "201")
		var ids []string
		for i := range 30 {
			ids = append(ids, s.resident(hh, 400+i, nil)["id"].(string))
		}
		old := int64(keys.PrimaryID())
		rotated, err := seal.Rotate(content)
		if err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(dir, "data.key.new")
		if err := os.WriteFile(tmp, rotated, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, keyFile); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			// Reads and reveals keep working during the re-encryption.
			v := s.must(200, "binyang", "POST", "/api/v1/residents/"+ids[0]+"/reveal", obj{"field": "id_number", "reason": "轮换测试"})
			if v["value"] != fakeID("19400315", 400) {
				t.Fatalf("reveal during rotation: %v", v)
			}
			var left int
			m.Store.DB().R.QueryRow(`SELECT count(*) FROM residents WHERE key_id = $1`, old).Scan(&left)
			if left == 0 && int64(keys.PrimaryID()) != old {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d residents still under the old key after 60 s", left)
			}
			time.Sleep(200 * time.Millisecond)
		}
		for i, id := range ids {
			v := s.must(200, "binyang", "POST", "/api/v1/residents/"+id+"/reveal", obj{"field": "phone", "reason": "轮换后核对"})
			if want := "139" + "0000" + "0" + itoa3(400+i); v["value"] != want {
				t.Fatalf("after rotation %s: %v, want %s", id, v, want)
			}
		}
	})
}

func itoa3(n int) string {
	return string(rune('0'+n/100%10)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
}
