package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"hotline/internal/csvsafe"
	"hotline/internal/textproc"
)

func init() {
	register("classify", "subject classifier: classify train|predict (CSV in, model file / CSV out)", runClassify)
}

const (
	classifyTrainUsage   = "classify train --in CSV --text-cols A,B --label-col L --out MODEL [--cv 5] [--algo nbsvm|svm|logreg|nb] [--seed 1]"
	classifyPredictUsage = "classify predict --model MODEL --in CSV --id-col ID --text-cols A,B"
)

// runClassify trains the subject classifier from labelled rows and applies it
// to new rows, so a deployment can build its model from its own history and
// check it before the server uses it.
func runClassify(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: classify: missing subcommand; usage:\n  hotline %s\n  hotline %s", errUsage, classifyTrainUsage, classifyPredictUsage)
	}
	switch args[0] {
	case "train":
		return runClassifyTrain(ctx, e, args[1:])
	case "predict":
		return runClassifyPredict(ctx, e, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(e.stderr, "usage:\n  hotline %s\n  hotline %s\n", classifyTrainUsage, classifyPredictUsage)
		return nil
	default:
		return fmt.Errorf("%w: classify: unknown subcommand %q; want train or predict", errUsage, args[0])
	}
}

func runClassifyTrain(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("classify train", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	in := fs.String("in", "", "labelled CSV file (UTF-8, header row), - for standard input")
	textCols := fs.String("text-cols", "", "comma-separated text columns, title first (e.g. 留言主题,留言详情)")
	labelCol := fs.String("label-col", "", "label column (e.g. 一级标签)")
	out := fs.String("out", "", "model file to write")
	folds := fs.Int("cv", 5, "cross-validate with this many folds and print the report to standard error (0: skip)")
	algo := fs.String("algo", textproc.DefaultAlgorithm, "algorithm: nbsvm, svm, logreg or nb")
	seed := fs.Int64("seed", 1, "random seed (same data + seed = same model)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: hotline "+classifyTrainUsage)
		fs.PrintDefaults()
	}
	if ok, err := intelParseFlags(fs, args); !ok {
		return err
	}
	switch {
	case *in == "":
		return fmt.Errorf("%w: classify train: --in is required", errUsage)
	case *textCols == "":
		return fmt.Errorf("%w: classify train: --text-cols is required", errUsage)
	case *labelCol == "":
		return fmt.Errorf("%w: classify train: --label-col is required", errUsage)
	case *out == "":
		return fmt.Errorf("%w: classify train: --out is required", errUsage)
	case *folds < 0 || *folds == 1:
		return fmt.Errorf("%w: classify train: --cv must be 0 (skip) or at least 2", errUsage)
	}
	switch *algo {
	case textproc.AlgoNBSVM, textproc.AlgoSVM, textproc.AlgoLogReg, textproc.AlgoNaiveBayes:
	default:
		return fmt.Errorf("%w: classify train: unknown --algo %q (want nbsvm, svm, logreg or nb)", errUsage, *algo)
	}

	tab, err := readIntelCSV(e, *in)
	if err != nil {
		return err
	}
	texts, err := tab.columns("classify train", "--text-cols", intelSplitCols(*textCols))
	if err != nil {
		return err
	}
	labels, err := tab.columns("classify train", "--label-col", []string{*labelCol})
	if err != nil {
		return err
	}
	var examples []textproc.Example
	skipped := 0
	for i := range tab.rows {
		label := strings.TrimSpace(tab.cell(i, labels[0]))
		if label == "" {
			skipped++
			continue
		}
		examples = append(examples, textproc.Example{Text: tab.text(i, texts), Label: label})
	}
	if skipped > 0 {
		fmt.Fprintf(e.stderr, "skipped %d rows without a label\n", skipped)
	}
	opts := textproc.TrainOptions{Algorithm: *algo, Seed: *seed}
	start := time.Now()
	m, err := textproc.Train(examples, opts)
	if err != nil {
		return fmt.Errorf("classify train: %w", err)
	}
	fmt.Fprintf(e.stderr, "trained %s on %d examples, %d labels, in %v\n", m.Algorithm(), len(examples), len(m.Labels()), time.Since(start).Round(time.Millisecond))
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := intelWriteAtomic(*out, m.Save); err != nil {
		return fmt.Errorf("classify train: writing model: %w", err)
	}
	fmt.Fprintf(e.stderr, "model written to %s\n", *out)
	if *folds > 0 {
		start := time.Now()
		rep := textproc.CrossValidate(examples, *folds, opts, *seed)
		if rep.Err != nil {
			fmt.Fprintf(e.stderr, "cross-validation skipped: %v\n", rep.Err)
			return nil
		}
		fmt.Fprintf(e.stderr, "\n%s(cross-validation took %v)\n", rep, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func runClassifyPredict(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("classify predict", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	modelPath := fs.String("model", "", "model file written by classify train")
	in := fs.String("in", "", "CSV file (UTF-8, header row), - for standard input")
	idCol := fs.String("id-col", "", "column holding the row id")
	textCols := fs.String("text-cols", "", "comma-separated text columns, title first, as at training")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: hotline "+classifyPredictUsage)
		fmt.Fprintln(fs.Output(), "prints CSV id,label,confidence for every row, in input order")
		fs.PrintDefaults()
	}
	if ok, err := intelParseFlags(fs, args); !ok {
		return err
	}
	switch {
	case *modelPath == "":
		return fmt.Errorf("%w: classify predict: --model is required", errUsage)
	case *in == "":
		return fmt.Errorf("%w: classify predict: --in is required", errUsage)
	case *idCol == "":
		return fmt.Errorf("%w: classify predict: --id-col is required", errUsage)
	case *textCols == "":
		return fmt.Errorf("%w: classify predict: --text-cols is required", errUsage)
	}
	mf, err := os.Open(*modelPath)
	if err != nil {
		return fmt.Errorf("classify predict: %w", err)
	}
	m, err := textproc.LoadModel(mf)
	mf.Close()
	if err != nil {
		return fmt.Errorf("classify predict: %s: %w", *modelPath, err)
	}
	tab, err := readIntelCSV(e, *in)
	if err != nil {
		return err
	}
	ids, err := tab.columns("classify predict", "--id-col", []string{*idCol})
	if err != nil {
		return err
	}
	texts, err := tab.columns("classify predict", "--text-cols", intelSplitCols(*textCols))
	if err != nil {
		return err
	}

	type result struct {
		label string
		conf  float64
	}
	res := make([]result, len(tab.rows))
	// Rows are independent and the model is safe for concurrent use.
	intelParallel(len(tab.rows), func(i int) {
		res[i].label, res[i].conf = m.Predict(tab.text(i, texts))
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	w := csvsafe.NewWriter(e.stdout) // ids and labels come from the input file
	_ = w.Write([]string{"id", "label", "confidence"})
	for i, r := range res {
		_ = w.Write([]string{tab.cell(i, ids[0]), r.label, strconv.FormatFloat(r.conf, 'f', 4, 64)})
	}
	w.Flush()
	return w.Error()
}

// intelParseFlags parses a subcommand's flags, mapping every mistake to
// errUsage (exit status 2). ok is false when the command should stop: after
// -h printed the usage (err nil) or on a bad flag.
func intelParseFlags(fs *flag.FlagSet, args []string) (ok bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, nil
		}
		return false, fmt.Errorf("%w: %s: %v", errUsage, fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("%w: %s: unexpected argument %q", errUsage, fs.Name(), fs.Arg(0))
	}
	return true, nil
}

func intelSplitCols(s string) []string {
	var cols []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			cols = append(cols, c)
		}
	}
	return cols
}

// intelTable is a CSV file read whole: a header and its rows.
type intelTable struct {
	header []string
	rows   [][]string
}

// readIntelCSV reads an RFC 4180 CSV with a header row, from a file or from
// standard input ("-"). Cells may hold newlines; a UTF-8 byte-order mark
// (Excel writes one) is dropped.
func readIntelCSV(e env, path string) (*intelTable, error) {
	var r io.Reader
	if path == "-" {
		r = e.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty file, expected a header row", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	t := &intelTable{header: header}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		t.rows = append(t.rows, rec)
	}
	return t, nil
}

// columns finds the named columns, or explains which exist.
func (t *intelTable) columns(cmd, flagName string, names []string) ([]int, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: %s: %s names no column", errUsage, cmd, flagName)
	}
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = -1
		for j, h := range t.header {
			if strings.TrimSpace(h) == n {
				idx[i] = j
				break
			}
		}
		if idx[i] < 0 {
			return nil, fmt.Errorf("%w: %s: %s: no column %q in the CSV header (columns: %s)", errUsage, cmd, flagName, n, strings.Join(t.header, ", "))
		}
	}
	return idx, nil
}

func (t *intelTable) cell(row, col int) string {
	if r := t.rows[row]; col < len(r) {
		return r[col]
	}
	return ""
}

// text joins a row's text columns with newlines: the first column (the
// title) becomes the first line, which the classifier weighs separately.
func (t *intelTable) text(row int, cols []int) string {
	parts := make([]string, 0, len(cols))
	for _, c := range cols {
		parts = append(parts, strings.ReplaceAll(t.cell(row, c), "\r\n", "\n"))
	}
	// A title holding a newline would shift the title/body boundary.
	if len(parts) > 1 {
		parts[0] = strings.ReplaceAll(parts[0], "\n", " ")
	}
	return strings.Join(parts, "\n")
}

// intelParallel runs f(0..n-1) on all cores.
func intelParallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(n, 1))
	var wg sync.WaitGroup
	next := make(chan int, 64)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// intelWriteAtomic writes through a temporary file in the same directory and
// renames it into place, so a crash never leaves a half-written model.
func intelWriteAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
