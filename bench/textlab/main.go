// Command textlab runs the text-intelligence research experiments of
// docs/intelligence.md on the shared data: algorithm and option
// comparisons, ensembles, the kNN blend, the learning curve, the
// clustering thresholds and their grid on the hand-labelled hotspots. They
// used to be tests that skipped unless an environment variable was set;
// as a tool they take flags, and `go test` holds only tests that can fail.
//
//	go run ./bench/textlab [-data DIR] <cv|configs|ensemble|errors|knn|curve|clusters|hotspots-grid> [flags]
//
// The data folder is -data, else $HOTLINE_DATA, else the first shared/data
// above the working directory (../shared/data beside the checkout). Titles
// printed by clusters go to the terminal only, never into docs.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"hotline/internal/textproc"
	"hotline/internal/textproc/textdata"
)

// command is one experiment: its flags and what it runs.
type command struct {
	name, help string
	run        func(l *lab, args []string) error
}

var commands = []command{
	{"cv", "cross-validate each algorithm (the comparison table)", runCV},
	{"configs", "cross-validate option sets, one line each", runConfigs},
	{"ensemble", "cross-validate ensembles (members' probabilities averaged)", runEnsemble},
	{"errors", "the confusion matrix of the default model", runErrors},
	{"knn", "blend the default model with a k-nearest-neighbour vote", runKNN},
	{"curve", "the learning curve: a quarter to all of each training fold", runCurve},
	{"clusters", "hotspot cluster quality over thresholds and windows", runClusters},
	{"hotspots-grid", "B-cubed F1 on the hand-labelled hotspots over the three thresholds", runHotspotsGrid},
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "textlab:", err)
		os.Exit(1)
	}
}

func usage() string {
	var b strings.Builder
	b.WriteString("usage: textlab [-data DIR] <command> [flags]   (textlab <command> -h for its flags)\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-13s %s\n", c.name, c.help)
	}
	return b.String()
}

func run(args []string) error {
	fs := flag.NewFlagSet("textlab", flag.ContinueOnError)
	data := fs.String("data", os.Getenv("HOTLINE_DATA"), "the shared data folder (default $HOTLINE_DATA, else shared/data above the working directory)")
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage()); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New(usage())
	}
	for _, c := range commands {
		if c.name == fs.Arg(0) {
			dir, err := textdata.Find(*data)
			if err != nil {
				return err
			}
			return c.run(&lab{dir: dir}, fs.Args()[1:])
		}
	}
	return fmt.Errorf("unknown command %q\n%s", fs.Arg(0), usage())
}

// lab holds what every experiment reads: the data folder.
type lab struct {
	dir string
}

// examples loads the labelled Teddy messages in the given text variant.
func (l *lab) examples(variant string) ([]textproc.Example, error) {
	rows, err := textdata.TeddyLabelled(l.dir, variant)
	if err != nil {
		return nil, err
	}
	ex := make([]textproc.Example, len(rows))
	for i, r := range rows {
		ex[i] = textproc.Example(r)
	}
	return ex, nil
}

// seedList parses "1,2,3".
func seedList(s string) ([]int64, error) {
	var seeds []int64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("fold seed %q: %v", f, err)
		}
		seeds = append(seeds, v)
	}
	return seeds, nil
}

// classifierFlags are the flags every classifier experiment shares.
type classifierFlags struct {
	fs      *flag.FlagSet
	seeds   *string
	text    *string
	folds   *int
	ex      []textproc.Example
	seedsOK []int64
}

func newClassifierFlags(name, seeds string) *classifierFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	return &classifierFlags{fs: fs,
		seeds: fs.String("seeds", seeds, "fold seeds, comma-separated"),
		text:  fs.String("text", "", "text variant: title2, title3 (title repeated), trunc300 (body cut), title (no body)"),
		folds: fs.Int("folds", 5, "cross-validation folds"),
	}
}

// parse reads the flags and loads the examples.
func (c *classifierFlags) parse(l *lab, args []string) error {
	if err := c.fs.Parse(args); err != nil {
		return err
	}
	var err error
	if c.seedsOK, err = seedList(*c.seeds); err != nil {
		return err
	}
	c.ex, err = l.examples(*c.text)
	return err
}
