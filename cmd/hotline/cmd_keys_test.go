package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hotline/internal/seal"
)

func TestKeysGenerateAndRotate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "data.key")
	if code, out, errs := runCmd(t, "", "keys", "generate", "--out", path); code != 0 || !strings.Contains(out, "wrote a new data key") {
		t.Fatalf("keys generate: %d %s %s", code, out, errs)
	}
	checkMode(t, path)
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	running, err := seal.LoadFile(path) // a server on this file
	if err != nil {
		t.Fatal(err)
	}
	old, _ := running.Seal([]byte("13812345678"), []byte("residents.phone:1"))
	idx := running.Index("residents.phone", "13812345678")
	firstKey := running.PrimaryID()

	// Never overwritten, never without --out, nothing else.
	if code, _, errs := runCmd(t, "", "keys", "generate", "--out", path); code != 1 || !strings.Contains(errs, "never overwritten") {
		t.Fatalf("generate over an existing file: %d %s", code, errs)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, first) {
		t.Fatal("generate changed an existing key file")
	}
	for _, args := range [][]string{{"keys"}, {"keys", "generate"}, {"keys", "rotate"}, {"keys", "destroy"}} {
		if code, _, _ := runCmd(t, "", args...); code != 2 {
			t.Fatalf("%v: exit %d, want 2", args, code)
		}
	}
	if code, out, _ := runCmd(t, "", "keys", "generate", "--out", "-"); code != 0 {
		t.Fatalf("generate to stdout: %d", code)
	} else if _, err := seal.Parse([]byte(out)); err != nil {
		t.Fatalf("printed key: %v", err)
	}

	if code, out, errs := runCmd(t, "", "keys", "rotate", "--data-key-file", path); code != 0 || !strings.Contains(out, "rotated") {
		t.Fatalf("keys rotate: %d %s %s", code, out, errs)
	}
	checkMode(t, path)
	if changed, err := running.Refresh(); !changed || err != nil {
		t.Fatalf("the running keys did not see the rotation: %v %v", changed, err)
	}
	if running.PrimaryID() == firstKey || running.Current(old) {
		t.Fatal("the rotation did not make a new primary key")
	}
	if got, err := running.Open(old, []byte("residents.phone:1")); err != nil || string(got) != "13812345678" {
		t.Fatalf("old value after rotation: %q %v", got, err)
	}
	if !bytes.Equal(running.Index("residents.phone", "13812345678"), idx) {
		t.Fatal("the blind index changed with the rotation")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}

	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(bad, []byte("not a key"), 0o600)
	if code, _, errs := runCmd(t, "", "keys", "rotate", "--data-key-file", bad); code != 1 || !strings.Contains(errs, "bad.key: seal:") {
		t.Fatalf("rotate a bad file: %d %s", code, errs)
	}
	if b, _ := os.ReadFile(bad); string(b) != "not a key" {
		t.Fatal("a failed rotation rewrote the file")
	}
	if code, _, _ := runCmd(t, "", "keys", "rotate", "--data-key-file", filepath.Join(dir, "missing")); code != 1 {
		t.Fatal("rotate a missing file")
	}
}

func checkMode(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveUntilReady runs `hotline serve args…` in-process until it prints its
// banner, stops it, and returns its exit status and output.
func serveUntilReady(t *testing.T, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: getenv}, append([]string{"serve", "--addr", "127.0.0.1:0", "--demo-history", "0"}, args...))
	}()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case code := <-done:
			return code, out.String(), errb.String()
		case <-deadline:
			t.Fatalf("serve did not start: %s %s", out.String(), errb.String())
		case <-time.After(50 * time.Millisecond):
		}
		if s := out.String(); strings.Contains(s, "is serving on") && (!strings.Contains(s, "demo mode") || strings.Contains(s, "Demo users")) {
			time.Sleep(50 * time.Millisecond) // the rest of the banner
			cancel()
			return <-done, out.String(), errb.String()
		}
	}
}

func TestServeDataKey(t *testing.T) {
	t.Chdir(t.TempDir())
	noEnv := func(string) string { return "" }

	// --demo without a key generates one beside the demo database, 0600,
	// says so, and keeps it for the next run.
	code, out, errs := serveUntilReady(t, noEnv, "--demo")
	if code != 0 || !strings.Contains(out, "WARNING: demo data key, generated now in hotline-data/data.key") {
		t.Fatalf("serve --demo: %d %s %s", code, out, errs)
	}
	checkMode(t, demoKeyPath)
	key, _ := os.ReadFile(demoKeyPath)
	code, out, errs = serveUntilReady(t, noEnv, "--demo")
	if code != 0 || !strings.Contains(out, "kept from an earlier run") {
		t.Fatalf("second serve --demo: %d %s %s", code, out, errs)
	}
	if again, _ := os.ReadFile(demoKeyPath); !bytes.Equal(again, key) {
		t.Fatal("the second demo run replaced the demo key")
	}

	// A given key is used, not the demo's, and no warning is printed.
	code, out, errs = serveUntilReady(t, noEnv, "--demo", "--data-key-file", demoKeyPath)
	if code != 0 || strings.Contains(out, "demo data key") {
		t.Fatalf("serve --demo --data-key-file: %d %s %s", code, out, errs)
	}
	fromEnv := func(k string) string {
		if k == "HOTLINE_DATA_KEY" {
			return string(key)
		}
		return ""
	}
	if code, out, errs = serveUntilReady(t, fromEnv); code != 0 || strings.Contains(out, "demo data key") {
		t.Fatalf("serve with HOTLINE_DATA_KEY: %d %s %s", code, out, errs)
	}

	// Without any key, a SQLite database gets its own key beside it (not
	// the demo's), 0600, and the banner says to back it up.
	code, out, errs = serveUntilReady(t, noEnv, "--db", "sqlite:own/h.db")
	if code != 0 || !strings.Contains(out, "no data key was given") || !strings.Contains(out, "generated now in own/data.key") {
		t.Fatalf("serve without a key: %d %s %s", code, out, errs)
	}
	checkMode(t, "own/data.key")
	// A master secret (32 random bytes, base64) is a key too.
	secretEnv := func(k string) string {
		if k == "HOTLINE_DATA_KEY" {
			return "q83vEjRWeJq8ETNVd4mavBEzVXeJq83vEjRWeJq8ETM="
		}
		return ""
	}
	if code, out, errs = serveUntilReady(t, secretEnv, "--db", "sqlite:sec/h.db"); code != 0 || strings.Contains(out, "WARNING: no data key") {
		t.Fatalf("serve with a master secret: %d %s %s", code, out, errs)
	}
	if _, err := os.Stat("sec/data.key"); err == nil {
		t.Fatal("a key file was made although HOTLINE_DATA_KEY was given")
	}

	// A bad key stops the server before it starts, and says why without
	// printing the key.
	badEnv := func(k string) string {
		if k == "HOTLINE_DATA_KEY" {
			return "{\"format\":\"secret-looking\"}"
		}
		return ""
	}
	if code, out, errs = serveUntilReady(t, badEnv); code != 1 || !strings.Contains(errs, "HOTLINE_DATA_KEY") || strings.Contains(out, "serving") {
		t.Fatalf("serve with a bad HOTLINE_DATA_KEY: %d %s %s", code, out, errs)
	}
	if code, _, errs = serveUntilReady(t, noEnv, "--data-key-file", "missing.key"); code != 1 || !strings.Contains(errs, "missing.key") {
		t.Fatalf("serve with a missing key file: %d %s", code, errs)
	}
}
