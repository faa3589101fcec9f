package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"hotline/internal/access"
	"hotline/internal/app"
	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registrydb"
	"hotline/internal/community/registry/registryfile"
	"hotline/internal/importer"
	"hotline/internal/place/placedb"
)

func init() {
	register("registry", "residents' registry: registry import --db URL --area CODE [--data-key-file FILE] FILE.xlsx|FILE.csv", runRegistry)
}

func runRegistry(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		return fmt.Errorf("%w: registry import --db URL --area CODE [--data-key-file FILE] FILE", errUsage)
	}
	return runRegistryImport(ctx, e, args[1:])
}

// runRegistryImport imports a committee's spreadsheet: every bad row is
// listed with its line and reason and then nothing is written (exit 1);
// otherwise all rows are applied in one transaction, with a progress bar
// when standard error is a terminal.
func runRegistryImport(ctx context.Context, e env, args []string) error {
	fs := flags(e, "registry import")
	db := fs.String("db", "", "database URL")
	area := fs.String("area", "", "the residential area (committee unit code) the rows belong to")
	keyFile := dataKeyFlag(fs)
	if err := fs.Parse(args); err != nil {
		return parse(fs, args)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return fmt.Errorf("%w: registry import: FILE (.xlsx or .csv) is required", errUsage)
	}
	file := rest[0]
	if err := parse(fs, rest[1:]); err != nil {
		return err
	}
	if *area == "" {
		return fmt.Errorf("%w: registry import: --area CODE is required", errUsage)
	}
	keys, err := loadDataKey(e, *keyFile)
	if err != nil {
		return err
	}
	if keys == nil {
		return fmt.Errorf("registry import: personal data is sealed at rest: give the data key with --data-key-file FILE or HOTLINE_DATA_KEY")
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("registry import: %w", err)
	}
	defer f.Close()
	table, err := registryfile.Read(f, file)
	if err != nil {
		return fmt.Errorf("registry import: %w", err)
	}
	st, err := openStore(ctx, e, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	if err := app.MigrateRegistry(ctx, st.DB()); err != nil {
		return err
	}
	places := placedb.New(st.DB())
	res, err := registrydb.New(st.DB(), keys)
	if err != nil {
		return err
	}
	svc := &registry.Service{Places: places, Store: res}
	// The command line acts with the database's own authority, as an admin
	// named after the command (the audit log says who imported).
	who := access.User{Username: "cli:registry-import", Role: access.RoleAdmin}
	var bar *rowBar
	if importer.IsTerminal(e.stderr) {
		bar = startRowBar(e.stderr, len(table)-1)
	}
	rep, err := svc.Import(ctx, who, *area, table, bar.update)
	bar.stop()
	if err != nil {
		return fmt.Errorf("registry import: %w", err)
	}
	if len(rep.Problems) > 0 {
		for _, p := range rep.Problems {
			fmt.Fprintf(e.stderr, "第 %d 行 (line %d): %s\n", p.Line, p.Line, p.Reason)
		}
		return &exitError{code: 1, msg: fmt.Sprintf("registry import: %d bad row(s) in %s; nothing was imported", len(rep.Problems), file)}
	}
	fmt.Fprintf(e.stdout, "imported %d rows into %s: %d created, %d updated, %d unchanged; %d households created\n",
		rep.Rows, *area, rep.Created, rep.Updated, rep.Unchanged, rep.Households)
	return nil
}

// rowBar draws "导入 [#####.....] 4000/10000" on a terminal; a nil bar draws
// nothing.
type rowBar struct {
	w     io.Writer
	total int
	mu    sync.Mutex
	done  int
	last  time.Time
}

func startRowBar(w io.Writer, total int) *rowBar {
	b := &rowBar{w: w, total: total}
	b.draw()
	return b
}

func (b *rowBar) update(done, total int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done, b.total = done, total
	if time.Since(b.last) > 100*time.Millisecond || done == total {
		b.drawLocked()
	}
}

func (b *rowBar) draw() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.drawLocked()
}

func (b *rowBar) drawLocked() {
	const width = 30
	n := 0
	if b.total > 0 {
		n = b.done * width / b.total
	}
	fmt.Fprintf(b.w, "\r导入 import [%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(".", width-n), b.done, b.total)
	b.last = time.Now()
}

func (b *rowBar) stop() {
	if b == nil {
		return
	}
	fmt.Fprintln(b.w)
}
