package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"

	"hotline/internal/apperr"
	"hotline/internal/order"
)

// An event's actor, action and statuses are stored as codes (migration
// 0011): a few dozen words repeated in every event row cost about 36 bytes
// a row, 2.5 GB at 10 million orders. A termTable is one of the two code
// tables held in memory: event_words (actions and states) and event_actors
// (user names).
//
// The in-memory table only ever holds codes that are committed, so that a
// transaction rolled back after giving a word a code cannot leave a code in
// memory that another word later gets. Writers that know their words before
// their transaction begins (create batches, imports, the generator) call
// ensureTerms, which commits new words on their own; an action's event,
// known only inside its transaction, gets a new word's code there
// (codesTx) and the memory learns it from the database afterwards.
type termTable struct {
	table, col string

	mu   sync.RWMutex
	code map[string]int64
	word map[int64]string
}

func newTermTable(table, col string) *termTable {
	return &termTable{table: table, col: col, code: map[string]int64{}, word: map[int64]string{}}
}

func (t *termTable) lookup(w string) (int64, bool) {
	t.mu.RLock()
	c, ok := t.code[w]
	t.mu.RUnlock()
	return c, ok
}

func (t *termTable) name(c int64) (string, bool) {
	t.mu.RLock()
	w, ok := t.word[c]
	t.mu.RUnlock()
	return w, ok
}

// load reads the committed table into memory.
func (t *termTable) load(ctx context.Context, q querier) error {
	rows, err := q.QueryContext(ctx, `SELECT code, `+t.col+` FROM `+t.table)
	if err != nil {
		return err
	}
	defer rows.Close()
	code, word := map[string]int64{}, map[int64]string{}
	for rows.Next() {
		var c int64
		var w string
		if err := rows.Scan(&c, &w); err != nil {
			return err
		}
		code[w], word[c] = c, w
	}
	if err := rows.Err(); err != nil {
		return err
	}
	t.mu.Lock()
	t.code, t.word = code, word
	t.mu.Unlock()
	return nil
}

type execQuerier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// insert gives w the next code in ex (a transaction or the pool) unless it
// has one, and returns its code. Two writers adding different words at
// once may compute the same next code: the second's insert then does
// nothing (PostgreSQL waits for the first to commit), finds no code for its
// word, and tries the following one.
func (t *termTable) insert(ctx context.Context, ex execQuerier, w string) (int64, error) {
	for try := 0; try < 16; try++ {
		if _, err := ex.ExecContext(ctx, `INSERT INTO `+t.table+` (code, `+t.col+`)
			SELECT COALESCE(MAX(code), 0) + 1, CAST($1 AS TEXT) FROM `+t.table+` WHERE TRUE ON CONFLICT DO NOTHING`, w); err != nil {
			return 0, err
		}
		var c int64
		err := ex.QueryRowContext(ctx, `SELECT code FROM `+t.table+` WHERE `+t.col+` = $1`, w).Scan(&c)
		if err == nil {
			return c, nil
		}
		if err != sql.ErrNoRows {
			return 0, err
		}
	}
	return 0, apperr.New(apperr.Conflict, "could not give %s a code: too many writers adding words at once; try again", t.table)
}

// eventCodes are an event's stored codes.
type eventCodes struct{ actor, action, from, to int64 }

// cachedCodes are ev's codes when all four are in memory.
func (s *Store) cachedCodes(ev *order.Event) (eventCodes, bool) {
	var c eventCodes
	var ok [4]bool
	c.actor, ok[0] = s.actors.lookup(ev.Actor)
	c.action, ok[1] = s.words.lookup(ev.Action)
	c.from, ok[2] = s.words.lookup(string(ev.From))
	c.to, ok[3] = s.words.lookup(string(ev.To))
	return c, ok[0] && ok[1] && ok[2] && ok[3]
}

// ensureTerms gives every word of evs a committed code, outside any
// transaction (it must not run while the caller holds SQLite's one writer
// connection), and loads them into memory.
func (s *Store) ensureTerms(ctx context.Context, evs ...*order.Event) error {
	var actors, words []string
	for _, ev := range evs {
		if _, ok := s.actors.lookup(ev.Actor); !ok {
			actors = append(actors, ev.Actor)
		}
		for _, w := range []string{ev.Action, string(ev.From), string(ev.To)} {
			if _, ok := s.words.lookup(w); !ok {
				words = append(words, w)
			}
		}
	}
	for _, x := range []struct {
		t     *termTable
		words []string
	}{{s.actors, actors}, {s.words, words}} {
		if len(x.words) == 0 {
			continue
		}
		// Another process (or an action's transaction) may have added them.
		if err := x.t.load(ctx, s.r); err != nil {
			return mapErr(err)
		}
		added := false
		for _, w := range x.words {
			if _, ok := x.t.lookup(w); ok {
				continue
			}
			if _, err := x.t.insert(ctx, s.w, w); err != nil {
				return mapErr(err)
			}
			added = true
		}
		if added {
			if err := x.t.load(ctx, s.w); err != nil {
				return mapErr(err)
			}
		}
	}
	return nil
}

// codesTx returns ev's codes inside tx: from memory, else from the
// committed tables (reloaded), else by adding the word in tx. A code added
// in tx is not kept in memory (tx may yet roll back); the next writer that
// misses it reloads it once committed.
func (s *Store) codesTx(ctx context.Context, tx execQuerier, ev *order.Event) (eventCodes, error) {
	if c, ok := s.cachedCodes(ev); ok {
		return c, nil
	}
	if err := s.loadTerms(ctx); err != nil {
		return eventCodes{}, err
	}
	var c eventCodes
	for _, x := range []struct {
		t    *termTable
		w    string
		code *int64
	}{{s.actors, ev.Actor, &c.actor}, {s.words, ev.Action, &c.action}, {s.words, string(ev.From), &c.from}, {s.words, string(ev.To), &c.to}} {
		if code, ok := x.t.lookup(x.w); ok {
			*x.code = code
			continue
		}
		code, err := x.t.insert(ctx, tx, x.w)
		if err != nil {
			return eventCodes{}, err
		}
		*x.code = code
	}
	return c, nil
}

// loadTerms reads both code tables' committed rows into memory.
func (s *Store) loadTerms(ctx context.Context) error {
	if err := s.actors.load(ctx, s.r); err != nil {
		return mapErr(err)
	}
	return mapErr(s.words.load(ctx, s.r))
}

// eventRowCached is eventRow with the codes from memory: the caller has
// called ensureTerms for ev before its transaction.
func (s *Store) eventRowCached(id int64, ev *order.Event, body string) ([]any, error) {
	c, ok := s.cachedCodes(ev)
	if !ok {
		return nil, fmt.Errorf("event %d of order %d: a word has no code (ensureTerms was not called)", ev.Seq, id)
	}
	return eventRow(id, ev, body, c), nil
}

// termNames turns a stored event's codes back into words. A code in neither
// memory nor (after one reload per reader) the database — a row changed by
// hand — reads as "#code", which then fails the event's hash.
type termNames struct {
	s        *Store
	ctx      context.Context
	reloaded bool
}

func (n *termNames) get(t *termTable, v any) string {
	c, ok := codeOf(v)
	if !ok {
		return fmt.Sprintf("#%v", v)
	}
	if w, ok := t.name(c); ok {
		return w
	}
	if !n.reloaded {
		n.reloaded = true
		_ = n.s.loadTerms(n.ctx) // a failed reload leaves "#code" below
		if w, ok := t.name(c); ok {
			return w
		}
	}
	return "#" + strconv.FormatInt(c, 10)
}

// codeOf is a scanned code column: an integer, or (SQLite keeps what it is
// given) a text of one.
func codeOf(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case []byte:
		c, err := strconv.ParseInt(string(x), 10, 64)
		return c, err == nil
	case string:
		c, err := strconv.ParseInt(x, 10, 64)
		return c, err == nil
	}
	return 0, false
}
