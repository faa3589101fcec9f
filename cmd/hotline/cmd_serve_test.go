package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestViewJournalPath: on PostgreSQL serve keeps audited views in a journal
// file by default, one per database (two databases served from one folder
// never share one, two URLs of one database do), unless told none; SQLite
// keeps its journal beside its file and refuses the flag.
func TestViewJournalPath(t *testing.T) {
	a := "postgres://u:secret@db1.example:5432/hotline?sslmode=disable"
	aOther := "postgres://other@db1.example:5432/hotline?sslmode=require"
	b := "postgres://u:secret@db1.example:5432/hotline2?sslmode=disable"
	pa, err := viewJournalPath("", "", a)
	if err != nil || filepath.Dir(pa) != defaultJournalDir || !strings.HasPrefix(filepath.Base(pa), "views-") || strings.Contains(pa, "secret") {
		t.Fatalf("default journal of %s: %q, %v", a, pa, err)
	}
	if p, _ := viewJournalPath("", "", aOther); p != pa {
		t.Errorf("another URL of the same database: %q, want %q", p, pa)
	}
	if p, _ := viewJournalPath("", "", b); p == pa {
		t.Errorf("another database shares the journal %q", p)
	}
	for _, c := range []struct{ flag, env, want string }{
		{"/var/lib/hotline/views.log", "/elsewhere.log", "/var/lib/hotline/views.log"},
		{"", "/from-env.db", "/from-env.db"},
		{"none", "/from-env.db", ""},
		{"", "none", ""},
	} {
		if p, err := viewJournalPath(c.flag, c.env, a); err != nil || p != c.want {
			t.Errorf("flag %q env %q: %q, %v; want %q", c.flag, c.env, p, err, c.want)
		}
	}
	if p, err := viewJournalPath("", "/from-env.db", "sqlite:./x.db"); err != nil || p != "" {
		t.Errorf("SQLite with the environment's journal: %q, %v; want none (its own beside the file)", p, err)
	}
	code, _, errs := runCmd(t, "", "serve", "--db", "sqlite:"+t.TempDir()+"/x.db", "--view-journal", t.TempDir()+"/v.db")
	if code != 2 || !strings.Contains(errs, "--view-journal is for PostgreSQL") {
		t.Errorf("serve on SQLite with --view-journal: %d %s", code, errs)
	}
}

// TestWritableDir: serve falls back from its default view journal when the
// folder cannot be made (here: a path through a file) rather than not start.
func TestWritableDir(t *testing.T) {
	dir := t.TempDir()
	if !writableDir(filepath.Join(dir, "hotline-data")) {
		t.Error("a new folder in a temp folder is not writable")
	}
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if writableDir(filepath.Join(file, "hotline-data")) {
		t.Error("a folder under a file is writable")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "hotline-data", ".probe-*")); len(left) != 0 {
		t.Errorf("probe files left: %v", left)
	}
}
