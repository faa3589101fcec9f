package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func newKeys(t testing.TB) (*Keys, []byte) {
	t.Helper()
	content, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	k, err := Parse(content)
	if err != nil {
		t.Fatal(err)
	}
	return k, content
}

func TestRoundTrip(t *testing.T) {
	k, _ := newKeys(t)
	for _, plain := range []string{"310101194501011234", "13812345678", "独居，腿脚不便，女儿在浦东", ""} {
		ctx := []byte("residents.notes:42")
		ct, err := k.Seal([]byte(plain), ctx)
		if err != nil {
			t.Fatal(err)
		}
		if plain != "" && bytes.Contains(ct, []byte(plain)) {
			t.Fatalf("ciphertext contains the plaintext %q", plain)
		}
		got, err := k.Open(ct, ctx)
		if err != nil || string(got) != plain {
			t.Fatalf("Open = %q, %v; want %q", got, err, plain)
		}
		again, _ := k.Seal([]byte(plain), ctx)
		if bytes.Equal(ct, again) {
			t.Fatal("two seals of the same value are equal: the nonce is not random")
		}
		if !k.Current(ct) {
			t.Fatal("a fresh ciphertext is not Current")
		}
	}
}

func TestWrongContextAndTampering(t *testing.T) {
	k, _ := newKeys(t)
	ct, err := k.Seal([]byte("13812345678"), []byte("residents.phone:1"))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]string{"other row": "residents.phone:2", "other field": "residents.id_number:1", "none": ""} {
		if _, err := k.Open(ct, []byte(c)); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: Open = %v, want ErrOpen", name, err)
		}
	}
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		if _, err := k.Open(bad, []byte("residents.phone:1")); !errors.Is(err, ErrOpen) {
			t.Fatalf("flipping a bit of byte %d: Open = %v, want ErrOpen", i, err)
		}
	}
	for _, n := range []int{0, 1, 5, len(ct) - 1} {
		if _, err := k.Open(ct[:n], []byte("residents.phone:1")); !errors.Is(err, ErrOpen) {
			t.Fatalf("truncated to %d: Open = %v", n, err)
		}
	}
	other, _ := newKeys(t)
	if _, err := other.Open(ct, []byte("residents.phone:1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("another key file opened it: %v", err)
	}
	if strings.Contains(ErrOpen.Error(), "13812345678") {
		t.Fatal("the error tells the value")
	}
}

func TestRotation(t *testing.T) {
	k, content := newKeys(t)
	ctx := []byte("residents.id_number:7")
	old, _ := k.Seal([]byte("310101194501011234"), ctx)
	idx := k.Index("residents.id_number", "310101194501011234")

	rotated, err := Rotate(content)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := Parse(rotated)
	if err != nil {
		t.Fatal(err)
	}
	if k2.PrimaryID() == k.PrimaryID() {
		t.Fatal("rotation kept the primary key")
	}
	if got, err := k2.Open(old, ctx); err != nil || string(got) != "310101194501011234" {
		t.Fatalf("old ciphertext under rotated keys: %q %v", got, err)
	}
	if k2.Current(old) {
		t.Fatal("an old ciphertext is Current after rotation")
	}
	fresh, _ := k2.Seal([]byte("310101194501011234"), ctx)
	if !k2.Current(fresh) {
		t.Fatal("a new ciphertext is not Current")
	}
	if _, err := k.Open(fresh, ctx); !errors.Is(err, ErrOpen) {
		t.Fatal("the old keys opened a ciphertext of the new primary key")
	}
	if !bytes.Equal(k2.Index("residents.id_number", "310101194501011234"), idx) {
		t.Fatal("the blind index changed with the rotation")
	}
	// A second rotation keeps both older keys.
	twice, err := Rotate(rotated)
	if err != nil {
		t.Fatal(err)
	}
	k3, _ := Parse(twice)
	for _, c := range [][]byte{old, fresh} {
		if _, err := k3.Open(c, ctx); err != nil {
			t.Fatalf("after two rotations: %v", err)
		}
	}
}

func TestIndex(t *testing.T) {
	k, content := newKeys(t)
	a := k.Index("residents.phone", "13812345678")
	if len(a) != IndexSize {
		t.Fatalf("index is %d bytes", len(a))
	}
	for _, same := range []string{" 138 1234 5678 ", "138-1234-5678", "１３８１２３４５６７８"} {
		if !bytes.Equal(k.Index("residents.phone", same), a) {
			t.Errorf("%q does not normalize to the same index", same)
		}
	}
	if !bytes.Equal(k.Index("residents.id_number", "31010119450101123x"), k.Index("residents.id_number", "31010119450101123X")) {
		t.Error("the X of an ID number is case-sensitive")
	}
	if bytes.Equal(k.Index("volunteers.phone", "13812345678"), a) {
		t.Error("two domains give the same index")
	}
	if bytes.Equal(k.Index("residents.phone", "13812345679"), a) {
		t.Error("two values give the same index")
	}
	// Domain and value are length-separated: moving a character across the
	// boundary changes the index.
	if bytes.Equal(k.Index("ab", "c"), k.Index("a", "bc")) {
		t.Error("domain and value run together")
	}
	// Another key file gives another index: it is keyed, not a plain hash.
	other, _ := newKeys(t)
	if bytes.Equal(other.Index("residents.phone", "13812345678"), a) {
		t.Error("the index does not depend on the key")
	}
	// The same file parsed again (a restart) gives the same index.
	again, _ := Parse(content)
	if !bytes.Equal(again.Index("residents.phone", "13812345678"), a) {
		t.Error("the index is not stable across restarts")
	}
}

func TestParseForms(t *testing.T) {
	_, content := newKeys(t)
	for name, in := range map[string]string{
		"json":         string(content),
		"base64":       base64.StdEncoding.EncodeToString(content),
		"base64 lines": wrap(base64.StdEncoding.EncodeToString(content), 76),
		"base64url":    base64.RawURLEncoding.EncodeToString(content),
	} {
		if _, err := Parse([]byte(in)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	var f map[string]json.RawMessage
	_ = json.Unmarshal(content, &f)
	for name, in := range map[string]string{
		"empty":        "",
		"not base64":   "!!!",
		"other json":   `{"a":1}`,
		"no index":     `{"format":"hotline-data-key/1","aead":` + string(f["aead"]) + `}`,
		"swapped":      `{"format":"hotline-data-key/1","aead":` + string(f["index"]) + `,"index":` + string(f["aead"]) + `}`,
		"wrong format": strings.Replace(string(content), fileFormat, "hotline-data-key/9", 1),
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	return b.String() + s
}

// TestReloadRotatedFile rotates the key file under a running Keys, as
// `hotline keys rotate` does (a new file renamed over the old), and checks
// the Keys picks the new primary up: on Refresh, on its own within
// ReloadEvery, and at once when opening a ciphertext of an unknown key.
func TestReloadRotatedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.key")
	content, _ := Generate()
	writeFile(t, path, content)
	running, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := LoadFile(path) // a second instance on the same file
	old, _ := running.Seal([]byte("13812345678"), []byte("c"))
	idx := running.Index("p", "13812345678")
	first := running.PrimaryID()

	rotated, _ := Rotate(content)
	writeFile(t, path, rotated)

	// An instance that has not looked yet opens a ciphertext of the new key
	// (written by an instance that has) by reloading on the unknown key id.
	newer, _ := Parse(rotated)
	fresh, _ := newer.Seal([]byte("13900001111"), []byte("c"))
	if got, err := other.Open(fresh, []byte("c")); err != nil || string(got) != "13900001111" {
		t.Fatalf("open under a just-rotated key: %q %v", got, err)
	}
	if other.PrimaryID() == first {
		t.Fatal("the reload on an unknown key id did not take the new primary")
	}

	changed, err := running.Refresh()
	if err != nil || !changed || running.PrimaryID() == first {
		t.Fatalf("Refresh = %v, %v; primary %d (was %d)", changed, err, running.PrimaryID(), first)
	}
	if changed, err := running.Refresh(); changed || err != nil {
		t.Fatalf("a second Refresh of an unchanged file: %v %v", changed, err)
	}
	if running.Current(old) {
		t.Fatal("old ciphertext Current after the reload")
	}
	if _, err := running.Open(old, []byte("c")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(running.Index("p", "13812345678"), idx) {
		t.Fatal("index changed")
	}

	// Without calling Refresh: Seal notices within ReloadEvery.
	twice, _ := Rotate(rotated)
	writeFile(t, path, twice)
	second := running.PrimaryID()
	deadline := time.Now().Add(3 * ReloadEvery)
	for running.PrimaryID() == second && time.Now().Before(deadline) {
		if _, err := running.Seal([]byte("x"), nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if running.PrimaryID() == second {
		t.Fatalf("Seal did not pick the rotated file up within %v", 3*ReloadEvery)
	}
}

// TestReloadRefusesLoss: a file swapped for another key file (a mistake)
// would make every sealed row unreadable and every index useless; a running
// Keys refuses it and keeps working, and so does a broken file.
func TestReloadRefusesLoss(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.key")
	content, _ := Generate()
	writeFile(t, path, content)
	k, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := k.Seal([]byte("v"), nil)
	otherContent, _ := Generate()
	for name, c := range map[string][]byte{"another key file": otherContent, "garbage": []byte("{not json")} {
		writeFile(t, path, c)
		if _, err := k.Refresh(); err == nil {
			t.Fatalf("%s: Refresh accepted it", name)
		}
		if got, err := k.Open(ct, nil); err != nil || string(got) != "v" {
			t.Fatalf("%s: the keys in use were lost: %v", name, err)
		}
	}
	// Same index key, but an AEAD key dropped: refused too.
	var f, g file
	_ = json.Unmarshal(content, &f)
	_ = json.Unmarshal(otherContent, &g)
	f.AEAD = g.AEAD
	dropped, _ := json.Marshal(f)
	writeFile(t, path, dropped)
	if _, err := k.Refresh(); err == nil || !strings.Contains(err.Error(), "no longer holds") {
		t.Fatalf("a file without the key in use: %v", err)
	}
}

func writeFile(t *testing.T, path string, content []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.key")
	content, _ := Generate()
	writeFile(t, path, content)
	k, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				ctx := fmt.Appendf(nil, "r:%d:%d", g, i)
				ct, err := k.Seal([]byte("13812345678"), ctx)
				if err == nil {
					_, err = k.Open(ct, ctx)
				}
				if err != nil {
					errs <- err
					return
				}
				k.Index("p", "13812345678")
				if i == 100 && g == 0 {
					rotated, _ := Rotate(content)
					if err := os.WriteFile(path+".new", rotated, 0o600); err != nil {
						errs <- err
						return
					}
					if err := os.Rename(path+".new", path); err != nil {
						errs <- err
						return
					}
					if _, err := k.Refresh(); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	const v = "310101194501011234"
	s := Secret(v)
	type resident struct {
		Name     string
		IDNumber Secret
		Phone    *Secret
	}
	r := resident{Name: "测试甲", IDNumber: s, Phone: &s}
	var out []string
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s"} {
		out = append(out, fmt.Sprintf(f, s), fmt.Sprintf(f, r))
	}
	out = append(out, fmt.Sprint(s), fmt.Sprintln(r), s.String())
	j, _ := json.Marshal(r)
	out = append(out, string(j))
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		l := slog.New(h)
		l.Info("resident", "id", s, "r", r, "p", &s)
		l.Info("group", slog.Group("g", slog.Any("id", s)))
	}
	out = append(out, buf.String())
	for _, o := range out {
		if strings.Contains(o, v) || strings.Contains(o, fmt.Sprintf("%x", v)) || strings.Contains(o, "19450101") {
			t.Fatalf("the secret leaked: %s", o)
		}
	}
	if !strings.Contains(string(j), `"IDNumber":"***"`) {
		t.Fatalf("JSON: %s", j)
	}
	if s.Reveal() != v {
		t.Fatal("Reveal")
	}
	var back struct{ IDNumber Secret }
	if err := json.Unmarshal([]byte(`{"IDNumber":"`+v+`"}`), &back); err != nil || back.IDNumber.Reveal() != v {
		t.Fatalf("decoding a Secret: %v %q", err, back.IDNumber.Reveal())
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		" 138-1234 5678\t": "13812345678",
		"３１０１０１ｘ":          "310101X",
		"021-64381234":     "02164381234",
		"":                 "",
		"张三":               "张三",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
