// Command hotline is the whole Hotline 12345 system in one binary: the server,
// the schema migrator, and the operator's command-line tools.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"hotline/internal/apperr"
)

// env is what a subcommand may touch of the outside world, so tests can run
// subcommands in-process with their own streams.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

// commands is the table of subcommands; each lives in its own cmd_*.go file.
var commands = map[string]command{}

// register adds a subcommand; called from the init of each cmd_*.go file so
// that a subcommand is one self-contained file.
func register(name, summary string, run func(ctx context.Context, e env, args []string) error) {
	commands[name] = command{summary: summary, run: run}
}

// errUsage marks an error caused by wrong flags or arguments (exit status 2).
var errUsage = errors.New("usage")

// exitError carries a specific exit status (verify uses 1 for a broken chain).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, e env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "hotline: unknown command %q\n\n", args[0])
		usage(e.stderr)
		return 2
	}
	if err := c.run(ctx, e, args[1:]); err != nil {
		var ee *exitError
		switch {
		case errors.As(err, &ee):
			if ee.msg != "" {
				fmt.Fprintln(e.stderr, "hotline:", ee.msg)
			}
			return ee.code
		case errors.Is(err, errUsage):
			fmt.Fprintln(e.stderr, "hotline:", err)
			return 2
		default:
			fmt.Fprintln(e.stderr, "hotline:", err)
			if ae := apperr.As(err); len(ae.Fields) > 0 {
				keys := make([]string, 0, len(ae.Fields))
				for k := range ae.Fields {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					fmt.Fprintf(e.stderr, "  %s: %s\n", k, ae.Fields[k])
				}
			}
			return 1
		}
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hotline <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}
