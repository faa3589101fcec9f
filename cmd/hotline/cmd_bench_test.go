package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"hotline/internal/testenv"
)

func runCLI(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	e := env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code := run(context.Background(), e, args)
	return code, stdout.String(), stderr.String()
}

// TestBenchGenerate generates a small set on each database; verify passes.
func TestBenchGenerate(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, dbURL string) {
		code, out, errOut := runCLI("bench", "generate", "--db", dbURL, "--orders", "1500", "--years", "1", "--seed", "9")
		if code != 0 || !strings.Contains(out, "generated 1500 orders") {
			t.Fatalf("generate: exit %d\n%s\n%s", code, out, errOut)
		}
		code, out, errOut = runVerifyCLI(t, dbURL)
		if code != 0 || !strings.Contains(out, "every event chain intact") {
			t.Fatalf("verify after generate: exit %d\n%s\n%s", code, out, errOut)
		}
	})
}

func TestBenchGenerateRefuses(t *testing.T) {
	t.Parallel()
	url := testenv.SQLiteURL(t)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bench"}, 2, "usage"},
		{[]string{"bench", "generate", "--db", url}, 2, "--orders"},
		{[]string{"bench", "generate", "--db", url, "--orders", "10", "--years", "0"}, 2, "--years"},
		// More than any test disk holds: refused before anything is written.
		{[]string{"bench", "generate", "--db", url, "--orders", "50000000"}, 1, "refusing"},
	} {
		code, out, errOut := runCLI(c.args...)
		if code != c.code || !strings.Contains(out+errOut, c.want) {
			t.Errorf("%v: exit %d, want %d with %q\n%s%s", c.args, code, c.code, c.want, out, errOut)
		}
	}
}
