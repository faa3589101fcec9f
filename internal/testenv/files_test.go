package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestProcessDirRemovesEnded: the folders (and template names) of test
// processes that have ended are removed; this process's and running ones'
// stay.
func TestProcessDirRemovesEnded(t *testing.T) {
	done := exec.Command("true")
	if err := done.Run(); err != nil {
		t.Skip("no true(1) to make an ended process:", err)
	}
	gone := strconv.Itoa(done.Process.Pid)
	if alive(done.Process.Pid) {
		t.Skip("the ended process's id was given again")
	}
	me := strconv.Itoa(os.Getpid())
	for name, want := range map[string]bool{
		processDirPrefix + gone + "-x": true,
		processDirPrefix + me + "-x":   false,
		processDirPrefix + "1-x":       false, // init runs
		processDirPrefix + "junk":      false,
	} {
		if got := ended(name, processDirPrefix, "-"); got != want {
			t.Errorf("ended(%q) = %v, want %v", name, got, want)
		}
	}
	if !ended(templatePrefix+gone+"_ab12", templatePrefix, "_") {
		t.Errorf("a template of an ended process is not seen as ended")
	}

	t.Setenv("TMPDIR", t.TempDir())
	stale := filepath.Join(os.TempDir(), processDirPrefix+gone+"-old")
	if err := os.Mkdir(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	dir, err := ProcessDir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("ProcessDir %s: %v", dir, err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("an ended process's folder stays: %v", err)
	}
}
