package app

import (
	"context"
	"path/filepath"
	"testing"

	"hotline/internal/seal"
)

// TestRepeatCallerKeyAgreesAcrossInstances: two instances with one data key
// give a caller the same dashboard key (it was random per process, so a
// dashboard read through another instance named the same caller otherwise).
func TestRepeatCallerKeyAgreesAcrossInstances(t *testing.T) {
	content, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	key, err := seal.Parse(content)
	if err != nil {
		t.Fatal(err)
	}
	url := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
	open := func(k *seal.Keys) *Main {
		m, err := New(context.Background(), Config{Addr: "127.0.0.1:0", DB: url, DataKey: k})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Store.Close() })
		return m
	}
	a, b, none := open(key), open(key), open(nil)
	const phone = "13812345678"
	if ka, kb := a.Dash.Callers.Phone(phone), b.Dash.Callers.Phone(phone); ka == "" || ka != kb {
		t.Fatalf("two instances with one data key: %q and %q", ka, kb)
	}
	if none.Dash.Callers.Phone(phone) == a.Dash.Callers.Phone(phone) {
		t.Fatal("an instance without the data key derived the same caller key")
	}
}
