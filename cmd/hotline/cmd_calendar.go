package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"hotline/internal/calendar"
)

func init() {
	register("calendar", "working-day calendar: calendar due --from RFC3339 --days N", runCalendar)
}

const calendarDueUsage = "calendar due --from RFC3339 --days N [--holidays FILE]..."

// runCalendar answers "when is this due?" from the command line with exactly
// the rule the server uses, so an operator can check a deadline (or a newly
// published year file, via --holidays) without starting the server.
func runCalendar(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: calendar: missing subcommand; usage: hotline %s", errUsage, calendarDueUsage)
	}
	switch args[0] {
	case "due":
		return runCalendarDue(e, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(e.stderr, "usage: hotline "+calendarDueUsage)
		return nil
	default:
		return fmt.Errorf("%w: calendar: unknown subcommand %q; usage: hotline %s", errUsage, args[0], calendarDueUsage)
	}
}

// fileList is a repeatable string flag.
type fileList []string

func (f *fileList) String() string { return strings.Join(*f, ",") }

func (f *fileList) Set(s string) error {
	if s == "" {
		return errors.New("empty file name")
	}
	*f = append(*f, s)
	return nil
}

func runCalendarDue(e env, args []string) error {
	fs := flag.NewFlagSet("calendar due", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	from := fs.String("from", "", "when the order was received, RFC 3339 (e.g. 2026-09-30T20:00:00+08:00)")
	days := fs.String("days", "", "number of working days, >= 1")
	var holidays fileList
	fs.Var(&holidays, "holidays", "extra holiday-cn year file to load (repeatable), e.g. a newly published 2027.json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: hotline "+calendarDueUsage)
		fmt.Fprintln(fs.Output(), "prints the end of the N-th working day after the day of --from (Asia/Shanghai), RFC 3339")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: calendar due: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: calendar due: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *from == "" {
		return fmt.Errorf("%w: calendar due: --from is required, e.g. --from 2026-11-29T10:00:00+08:00", errUsage)
	}
	t, err := time.Parse(time.RFC3339, *from)
	if err != nil {
		return fmt.Errorf("%w: calendar due: --from must be RFC 3339, e.g. 2026-11-29T10:00:00+08:00 (got %q)", errUsage, *from)
	}
	if *days == "" {
		return fmt.Errorf("%w: calendar due: --days is required, e.g. --days 5", errUsage)
	}
	n, err := strconv.Atoi(*days)
	if err != nil || n < 1 {
		return fmt.Errorf("%w: calendar due: --days must be a whole number >= 1 (got %q)", errUsage, *days)
	}

	cal, err := calendar.Embedded()
	if err != nil {
		return err
	}
	for _, name := range holidays {
		if err := loadHolidayFile(cal, name); err != nil {
			return err
		}
	}
	due := cal.AddWorkingDays(t, n)
	if due.Year() > 9999 {
		return fmt.Errorf("%w: calendar due: --days %d is past the year 9999", errUsage, n)
	}
	_, err = fmt.Fprintln(e.stdout, due.Format(time.RFC3339))
	return err
}

// loadHolidayFile merges one year file into cal. A file that cannot be read
// or parsed is the operator's input being wrong, so it is a usage error
// (exit status 2) like a bad flag value.
func loadHolidayFile(cal *calendar.Calendar, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("%w: calendar due: --holidays: %v", errUsage, err)
	}
	defer f.Close()
	if _, err := cal.LoadYear(f); err != nil {
		return fmt.Errorf("%w: calendar due: --holidays %s: %v", errUsage, name, err)
	}
	return nil
}
