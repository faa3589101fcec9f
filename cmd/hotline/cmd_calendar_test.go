package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCalendarCLI runs the hotline command in-process and returns its exit
// status and streams.
func runCalendarCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := env{
		stdin:  strings.NewReader(""),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(string) string { return "" },
	}
	code := run(context.Background(), e, args)
	return code, stdout.String(), stderr.String()
}

func TestCalendarDue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"evening before National Day 2026, 2 days", []string{"--from", "2026-09-30T20:00:00+08:00", "--days", "2"}, "2026-10-09T23:59:59+08:00\n"},
		{"evening before National Day 2026, 5 days", []string{"--from=2026-09-30T20:00:00+08:00", "--days=5"}, "2026-10-13T23:59:59+08:00\n"},
		{"UTC time already Jan 2 in Shanghai", []string{"--from", "2026-01-01T17:00:00Z", "--days", "1"}, "2026-01-04T23:59:59+08:00\n"},
		{"make-up Sunday 2025-09-28, 3 days", []string{"-from", "2025-09-28T14:00:00+08:00", "-days", "3"}, "2025-10-09T23:59:59+08:00\n"},
		{"plain Friday night", []string{"--days", "1", "--from", "2026-11-27T23:59:59+08:00"}, "2026-11-30T23:59:59+08:00\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCalendarCLI(t, append([]string{"calendar", "due"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if out != tt.want {
				t.Errorf("stdout = %q, want %q", out, tt.want)
			}
		})
	}
}

func TestCalendarDueHolidaysFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A hypothetical 2027 schedule: Friday 2027-01-01 off, Saturday 01-02 worked.
	y2027 := filepath.Join(dir, "2027.json")
	if err := os.WriteFile(y2027, []byte(`{"year": 2027, "papers": [], "days": [
		{"name": "元旦", "date": "2027-01-01", "isOffDay": true},
		{"name": "元旦", "date": "2027-01-02", "isOffDay": false}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	extra := filepath.Join(dir, "extra.json")
	if err := os.WriteFile(extra, []byte(`{"year": 2027, "papers": [], "days": [
		{"name": "local", "date": "2027-01-04", "isOffDay": true}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	from := []string{"calendar", "due", "--from", "2026-12-31T10:00:00+08:00", "--days", "1"}

	// Without the file: Friday 2027-01-01 is a plain working day.
	if code, out, _ := runCalendarCLI(t, from...); code != 0 || out != "2027-01-01T23:59:59+08:00\n" {
		t.Errorf("embedded only: exit %d, %q", code, out)
	}
	if code, out, errOut := runCalendarCLI(t, append(from, "--holidays", y2027)...); code != 0 || out != "2027-01-02T23:59:59+08:00\n" {
		t.Errorf("with 2027.json: exit %d, %q, stderr %q", code, out, errOut)
	}
	// Repeated flag: both files are loaded.
	args := []string{"calendar", "due", "--from", "2027-01-02T10:00:00+08:00", "--days", "1", "--holidays", y2027, "--holidays", extra}
	if code, out, errOut := runCalendarCLI(t, args...); code != 0 || out != "2027-01-05T23:59:59+08:00\n" {
		t.Errorf("with two files: exit %d, %q, stderr %q", code, out, errOut)
	}
}

func TestCalendarDueBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"year": 2027, "days": [{"name": "x", "date": "2027-02-30", "isOffDay": true}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no subcommand", []string{"calendar"}, "missing subcommand"},
		{"unknown subcommand", []string{"calendar", "when"}, "unknown subcommand"},
		{"missing --from", []string{"calendar", "due", "--days", "1"}, "--from is required"},
		{"missing --days", []string{"calendar", "due", "--from", "2026-11-29T10:00:00+08:00"}, "--days is required"},
		{"--from without zone", []string{"calendar", "due", "--from", "2026-11-29T10:00:00", "--days", "1"}, "--from must be RFC 3339"},
		{"--from a date", []string{"calendar", "due", "--from", "2026-11-29", "--days", "1"}, "--from must be RFC 3339"},
		{"--days zero", []string{"calendar", "due", "--from", "2026-11-29T10:00:00+08:00", "--days", "0"}, "--days must be"},
		{"--days negative", []string{"calendar", "due", "--from", "2026-11-29T10:00:00+08:00", "--days", "-3"}, "--days must be"},
		{"--days not a number", []string{"calendar", "due", "--from", "2026-11-29T10:00:00+08:00", "--days", "five"}, "--days must be"},
		{"--days too far", []string{"calendar", "due", "--from", "2026-11-29T10:00:00+08:00", "--days", "9999999"}, "past the year 9999"},
		{"unknown flag", []string{"calendar", "due", "--to", "x"}, "flag provided but not defined"},
		{"extra argument", []string{"calendar", "due", "--from", "2026-11-29T10:00:00+08:00", "--days", "1", "now"}, "unexpected argument"},
		{"missing holidays file", []string{"calendar", "due", "--from", "2026-11-29T10:00:00+08:00", "--days", "1", "--holidays", filepath.Join(dir, "nope.json")}, "--holidays"},
		{"bad holidays file", []string{"calendar", "due", "--from", "2026-11-29T10:00:00+08:00", "--days", "1", "--holidays", bad}, "2027-02-30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCalendarCLI(t, tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, errOut)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not mention %q", errOut, tt.wantErr)
			}
		})
	}
}

func TestCalendarHelp(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCalendarCLI(t, "calendar", "due", "-h")
	if code != 0 || out != "" || !strings.Contains(errOut, "--holidays") && !strings.Contains(errOut, "-holidays") {
		t.Errorf("help: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = runCalendarCLI(t)
	if code != 2 || !strings.Contains(errOut, "calendar") {
		t.Errorf("top-level usage should list calendar: exit %d, %q", code, errOut)
	}
}
