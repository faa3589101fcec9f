package store

// Ranked full-text search (GET /api/v1/orders?q=…).
//
// Matching goes through the indexes only (FTS5 on SQLite, the GIN index of
// string_to_array(search_text, ' ') on PostgreSQL): an order matches when it holds at least one
// of the query's tokens (of two or more characters, if it has any), or when
// it lies in a compound the query names (orders.compound, indexed by
// migration 0008). Ranking is computed here, in
// Go, from the title, description, address and compound of a bounded set of
// candidates, so it is the same on both databases:
//
//  1. the exact query phrase (spaces and punctuation ignored) in the title,
//     description or address;
//  2. then a place the query names: the order's compound is a compound of
//     the directory whose name (or name without 小区/花园/…) is in the query,
//     or its address, title or description holds that name or a query word
//     ending like a place (…路, …村, …小区);
//  3. then more query tokens found in the order's text;
//  4. then more of them in the title;
//  5. then newest first (id).
//
// The candidates are the window: the newest RankWindow matches, plus the
// newest RankWindow "strong" matches (all tokens, or the named compound)
// older than those. The window is ranked as a whole; matches outside it
// follow, newest first. A query whose matches fit in the window (any
// specific query) is therefore ranked entirely.
//
// Paging is keyset paging over that order. The first page fixes the window
// — the newest match's id (snap) and the window's lower bounds — and every
// cursor carries them with the position of the page's last order (its score
// and id in the window, or its id in the tail): "r1.snap.any.strong.score.id"
// (score "t" in the tail). Later pages rebuild the same window, so orders
// created while paging do not appear and nothing is repeated or skipped; an
// order whose text or filtered fields change between two pages may be seen
// twice or not at all, as with any keyset paging.

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"hotline/internal/apperr"
	"hotline/internal/order"
)

// DefaultRankWindow is how many of the newest matches a ranked search
// scores by default, plus as many older strong ones (docs/intelligence.md §5
// measures the cost: 1,000 cost PostgreSQL twice as much at 1M orders).
const DefaultRankWindow = 500

// Score parts, highest first; see searchTerms.score.
const (
	scorePhrase = int64(1) << 40
	scorePlace  = int64(1) << 32
	scoreTokens = int64(1) << 16 // × query tokens found in the text (≤ 255)
	scoreTitle  = int64(1) << 8  // × query tokens found in the title (≤ 255)
)

type rankCursor struct {
	snap, any, strong int64 // window: any-matches in [any, snap], strong matches in [strong, any)
	tail              bool
	score, id         int64
}

func (c rankCursor) String() string {
	sc := "t"
	if !c.tail {
		sc = strconv.FormatInt(c.score, 10)
	}
	return "r1." + strconv.FormatInt(c.snap, 10) + "." + strconv.FormatInt(c.any, 10) + "." +
		strconv.FormatInt(c.strong, 10) + "." + sc + "." + strconv.FormatInt(c.id, 10)
}

func parseRankCursor(s string) (rankCursor, error) {
	bad := apperr.Field("cursor", "not a cursor from a previous page")
	p := strings.Split(s, ".")
	if len(p) != 6 || p[0] != "r1" {
		return rankCursor{}, bad
	}
	var n [5]int64
	var c rankCursor
	for i, x := range p[1:] {
		if i == 3 && x == "t" {
			c.tail = true
			continue
		}
		v, err := strconv.ParseInt(x, 10, 64)
		if err != nil || v < 0 {
			return rankCursor{}, bad
		}
		n[i] = v
	}
	c.snap, c.any, c.strong, c.score, c.id = n[0], n[1], n[2], n[3], n[4]
	if c.snap <= 0 || c.id <= 0 || c.any > c.snap || c.strong > c.any {
		return rankCursor{}, bad
	}
	return c, nil
}

// candidate is what ranking reads of an order.
type candidate struct {
	id                                int64
	title, description, address, comp string
	score                             int64
}

// searchTerms is the query prepared for scoring.
type searchTerms struct {
	phrase string          // normalised query
	tokens []string        // normalised tokens
	codes  map[string]bool // compounds the query names
	places []string        // place names to look for in the text
}

func (s *Store) listRanked(ctx context.Context, f Filter) ([]order.Order, string, error) {
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var cur rankCursor
	if f.Cursor != "" {
		c, err := parseRankCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		cur = c
	}
	q, err := s.newRankedQuery(ctx, f)
	if err != nil {
		return nil, "", err
	}
	head, cur, err := q.window(ctx, cur)
	if err != nil || (f.Cursor == "" && len(head) == 0) {
		return []order.Order{}, "", err
	}
	page, err := q.page(ctx, head, cur, limit)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(page) > limit {
		page = page[:limit]
		last := page[limit-1]
		c := cur
		c.tail, c.score, c.id = last.tail, last.score, last.id
		next = c.String()
	}
	out, err := s.ordersInOrder(ctx, page)
	return out, next, err
}

// rankedQuery is one ranked search being answered: the filter, the query's
// terms for scoring, the compounds it names, and the tokens an order must
// hold any of.
type rankedQuery struct {
	s     *Store
	f     Filter
	terms searchTerms
	size  int      // the window: how many of the newest matches are scored
	codes []string // compounds named by the query, sorted
	// anyTokens leaves out one-character tokens when the query has longer
	// ones: 路 of 路|灯不亮 would match every order naming a road. They still
	// count in the score.
	anyTokens []string
	// sameMatch: one token, so matching any is matching all, and the window
	// needs no second part (cursors then have strong = any).
	sameMatch bool
}

func (s *Store) newRankedQuery(ctx context.Context, f Filter) (*rankedQuery, error) {
	terms, err := s.searchTerms(ctx, f)
	if err != nil {
		return nil, err
	}
	q := &rankedQuery{s: s, f: f, terms: terms, size: f.RankWindow, sameMatch: len(f.Tokens) == 1}
	if q.size <= 0 {
		q.size = DefaultRankWindow
	}
	for c := range terms.codes {
		q.codes = append(q.codes, c)
	}
	slices.Sort(q.codes)
	for _, t := range f.Tokens {
		if utf8.RuneCountInString(t) > 1 {
			q.anyTokens = append(q.anyTokens, t)
		}
	}
	if len(q.anyTokens) == 0 {
		q.anyTokens = f.Tokens
	}
	return q, nil
}

// idRange is an id range [lo, hi] or [lo, hi) of a window part; 0 is
// unbounded.
type idRange struct {
	lo, hi int64
	hiOpen bool
}

// sql is the range as " AND col >= lo AND col < hi" (empty when unbounded).
// Ids are spliced in as numbers: they come from our own parsing, never from
// text.
func (r idRange) sql(col string) string {
	var c []string
	if r.lo > 0 {
		c = append(c, col+" >= "+strconv.FormatInt(r.lo, 10))
	}
	if r.hi > 0 {
		op := " <= "
		if r.hiOpen {
			op = " < "
		}
		c = append(c, col+op+strconv.FormatInt(r.hi, 10))
	}
	if len(c) == 0 {
		return ""
	}
	return " AND " + strings.Join(c, " AND ")
}

func (q *rankedQuery) inCompound(a *args) string {
	ph := make([]string, len(q.codes))
	for i, c := range q.codes {
		ph[i] = a.add(c)
	}
	return "compound IN (" + strings.Join(ph, ",") + ")"
}

// match is the index condition of the orders in r holding any token (or
// all tokens), or in a named compound. On SQLite the id range goes inside
// the full-text subquery: outside it, a lower bound makes SQLite read every
// match before it can stop at the LIMIT (measured at 1M orders: 180 ms
// instead of 3 ms for one window).
func (q *rankedQuery) match(all bool, r idRange, a *args) string {
	toks, sep := q.anyTokens, " OR "
	if all {
		toks, sep = q.f.Tokens, " "
	}
	if q.s.Dialect == SQLite {
		m := "id IN (SELECT rowid FROM order_fts WHERE order_fts MATCH " + a.add(ftsQuery(toks, sep)) + r.sql("rowid")
		if len(q.codes) > 0 {
			m += " UNION SELECT id FROM orders WHERE " + q.inCompound(a) + r.sql("id")
		}
		return m + ")"
	}
	op := " && "
	if all {
		op = " @> "
	}
	m := pgSearchTokens + op + a.add(toks)
	if len(q.codes) > 0 {
		m = "(" + m + " OR " + q.inCompound(a) + ")"
	}
	return m + r.sql("id")
}

// where is the filter's conditions and one match condition.
func (q *rankedQuery) where(all bool, r idRange) (string, []any) {
	var a args
	c := q.s.filterConds(q.f, &a)
	c = append(c, q.match(all, r, &a))
	return whereClause(c), a.vals
}

// fetch reads the newest n matches of (all, r) for scoring.
func (q *rankedQuery) fetch(ctx context.Context, all bool, r idRange, n int) ([]candidate, error) {
	where, vals := q.where(all, r)
	return collect(ctx, q.s.r, "SELECT id, title, description, address, compound FROM orders"+where+
		" ORDER BY id DESC LIMIT "+strconv.Itoa(n), q.s.planEach(vals), func(sc rowScanner) (candidate, error) {
		var c candidate
		err := sc.Scan(&c.id, &c.title, &c.description, &c.address, &c.comp)
		return c, err
	})
}

// window reads the ranked window: on the first page the newest window
// matches of any token plus the newest window matches of every token below
// them (and the cursor's bounds are set from what was found); on a later
// page within the window the same ranges again. Past the window (cur.tail)
// it reads nothing.
func (q *rankedQuery) window(ctx context.Context, cur rankCursor) ([]candidate, rankCursor, error) {
	w := q.size
	var head []candidate
	switch {
	case q.f.Cursor == "":
		rows, err := q.fetch(ctx, false, idRange{}, w+1)
		if err != nil || len(rows) == 0 {
			return nil, cur, err
		}
		cur.snap = rows[0].id
		if len(rows) > w {
			rows = rows[:w]
			cur.any = rows[w-1].id
			cur.strong = cur.any // no strong part unless found below
		}
		if cur.any > 0 && !q.sameMatch {
			cur.strong = 0
			strong, err := q.fetch(ctx, true, idRange{hi: cur.any, hiOpen: true}, w+1)
			if err != nil {
				return nil, cur, err
			}
			if len(strong) > w {
				strong = strong[:w]
				cur.strong = strong[w-1].id
			}
			rows = append(rows, strong...)
		}
		head = rows
	case !cur.tail:
		// The same window again. Twice its size as a bound: the window only
		// grows if orders changed to match since the first page.
		rows, err := q.fetch(ctx, false, idRange{lo: cur.any, hi: cur.snap}, 2*w+1)
		if err != nil {
			return nil, cur, err
		}
		head = rows
		if cur.any > 0 && !q.sameMatch {
			strong, err := q.fetch(ctx, true, idRange{lo: cur.strong, hi: cur.any, hiOpen: true}, 2*w+1)
			if err != nil {
				return nil, cur, err
			}
			head = append(head, strong...)
		}
	}
	for i := range head {
		head[i].score = q.terms.score(&head[i])
	}
	slices.SortFunc(head, func(a, b candidate) int {
		if a.score != b.score {
			return cmp.Compare(b.score, a.score)
		}
		return cmp.Compare(b.id, a.id)
	})
	return head, cur, nil
}

// rankedItem is one order of a page: from the scored window, or from the
// tail (matches older than the window, newest first).
type rankedItem struct {
	id    int64
	tail  bool
	score int64
}

// page is up to limit+1 items after the cursor: the rest of the window in
// score order, then the tail.
func (q *rankedQuery) page(ctx context.Context, head []candidate, cur rankCursor, limit int) ([]rankedItem, error) {
	var page []rankedItem
	if !cur.tail {
		for _, c := range head {
			if q.f.Cursor != "" && (c.score > cur.score || c.score == cur.score && c.id >= cur.id) {
				continue // on an earlier page
			}
			page = append(page, rankedItem{id: c.id, score: c.score})
			if len(page) > limit {
				return page, nil
			}
		}
	}
	if cur.any == 0 {
		return page, nil
	}
	below := cur.any
	if cur.tail {
		below = cur.id
	}
	where, vals := q.where(false, idRange{hi: below, hiOpen: true})
	if cur.strong < cur.any {
		a := args{vals: vals}
		where += " AND NOT (id >= " + strconv.FormatInt(cur.strong, 10) + " AND " +
			q.match(true, idRange{lo: cur.strong, hi: cur.any, hiOpen: true}, &a) + ")"
		vals = a.vals
	}
	ids, err := collect(ctx, q.s.r, "SELECT id FROM orders"+where+" ORDER BY id DESC LIMIT "+strconv.Itoa(limit+1-len(page)),
		q.s.planEach(vals), func(sc rowScanner) (int64, error) {
			var id int64
			err := sc.Scan(&id)
			return id, err
		})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		page = append(page, rankedItem{id: id, tail: true})
	}
	return page, nil
}

// ordersInOrder reads a page's orders in full, in the page's order.
func (s *Store) ordersInOrder(ctx context.Context, page []rankedItem) ([]order.Order, error) {
	if len(page) == 0 {
		return []order.Order{}, nil
	}
	var a args
	ph := make([]string, len(page))
	for i, it := range page {
		ph[i] = a.add(it.id)
	}
	rows, err := collect(ctx, s.r, "SELECT "+orderCols+" FROM orders WHERE id IN ("+strings.Join(ph, ",")+")", a.vals,
		func(sc rowScanner) (order.Order, error) {
			r, err := scanOrder(sc)
			return r.Order, err
		})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]order.Order, len(rows))
	for _, o := range rows {
		byID[o.ID] = o
	}
	out := make([]order.Order, 0, len(page))
	for _, it := range page {
		if o, ok := byID[strconv.FormatInt(it.id, 10)]; ok {
			out = append(out, o)
		}
	}
	return out, nil
}

// planEach makes PostgreSQL plan a search statement for its actual
// arguments. A statement pgx has prepared and cached gets a generic plan
// after five runs, and a generic plan cannot tell a rare token from a common
// one: for "any of these tokens, newest first" PostgreSQL then guesses that
// half the orders match and walks the primary key backwards through all of
// them (measured: 1.0 s instead of 40 ms at 100,000 orders). An unnamed
// statement (QueryExecModeExec) is planned at every run with the real tokens,
// through the GIN index.
func (s *Store) planEach(args []any) []any {
	if s.Dialect != Postgres {
		return args
	}
	return append([]any{pgx.QueryExecModeExec}, args...)
}

// searchTerms prepares a query for scoring: its normalised phrase and
// tokens, the directory's compounds it names, and its place words.
func (s *Store) searchTerms(ctx context.Context, f Filter) (searchTerms, error) {
	q := f.Query
	if strings.TrimSpace(q) == "" {
		q = strings.Join(f.Tokens, "")
	}
	t := searchTerms{phrase: normText(q), codes: map[string]bool{}}
	for _, tok := range f.Tokens {
		if n := normText(tok); n != "" {
			t.tokens = append(t.tokens, n)
			if placeWord(n) {
				t.places = append(t.places, n)
			}
		}
	}
	type comp struct{ code, name string }
	comps, err := collect(ctx, s.r, "SELECT code, name FROM compounds", nil, func(sc rowScanner) (comp, error) {
		var c comp
		err := sc.Scan(&c.code, &c.name)
		return c, err
	})
	if err != nil {
		return t, err
	}
	for _, c := range comps {
		name := normText(c.name)
		if name == "" {
			continue
		}
		base := compoundBase(name)
		switch {
		case strings.Contains(t.phrase, name):
			t.codes[c.code] = true
			t.places = append(t.places, name)
		case base != "" && strings.Contains(t.phrase, base):
			// 三江 in the query: the compound's orders, and texts naming
			// 三江小区 in full (三江 alone may be 三江路).
			t.codes[c.code] = true
			t.places = append(t.places, name)
		}
	}
	return t, nil
}

// score ranks one candidate (see the package comment at the top).
func (t *searchTerms) score(c *candidate) int64 {
	title, desc, addr := normText(c.title), normText(c.description), normText(c.address)
	in := func(s string) bool {
		return strings.Contains(title, s) || strings.Contains(desc, s) || strings.Contains(addr, s)
	}
	var sc int64
	if t.phrase != "" && in(t.phrase) {
		sc += scorePhrase
	}
	place := t.codes[c.comp]
	for _, p := range t.places {
		if place {
			break
		}
		place = in(p)
	}
	if place {
		sc += scorePlace
	}
	var found, inTitle int64
	for _, tok := range t.tokens {
		switch {
		case strings.Contains(title, tok):
			found++
			inTitle++
		case strings.Contains(desc, tok) || strings.Contains(addr, tok):
			found++
		}
	}
	return sc + min(found, 255)*scoreTokens + min(inTitle, 255)*scoreTitle
}

// normText lower-cases text, folds full-width letters and digits, and drops
// spaces and punctuation, so that "三江小区 路灯" is found in "三江小区路灯坏了".
func normText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r >= 0x4E00 && r <= 0x9FFF { // CJK ideographs, most of the text
			b.WriteRune(r)
			continue
		}
		if r < 0x80 {
			switch {
			case r >= 'A' && r <= 'Z':
				b.WriteByte(byte(r) + 'a' - 'A')
			case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				b.WriteByte(byte(r))
			case unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || r < ' ':
			default:
				b.WriteByte(byte(r))
			}
			continue
		}
		if r >= '！' && r <= '～' { // full-width ASCII
			r = r - '！' + '!'
		}
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// compoundSuffixes are the generic endings of compound names: a query may
// say 三江 for 三江小区.
var compoundSuffixes = []string{"小区", "花园", "家园", "新村", "公寓", "大厦", "苑", "园", "里", "坊"}

// compoundBase is a compound's name without its generic ending, or "" when
// that leaves fewer than two characters.
func compoundBase(name string) string {
	for _, suf := range compoundSuffixes {
		if b, ok := strings.CutSuffix(name, suf); ok && utf8.RuneCountInString(b) >= 2 {
			return b
		}
	}
	return ""
}

// placeSuffixes end the query words that name a place (宾阳路, 龙漕村,
// 三江小区): an order that names it in its text or address is "at" it.
var placeSuffixes = []string{"小区", "花园", "家园", "新村", "公寓", "大厦", "广场", "苑", "路", "街", "巷", "弄", "村", "居委会", "社区"}

func placeWord(w string) bool {
	for _, suf := range placeSuffixes {
		if strings.HasSuffix(w, suf) && utf8.RuneCountInString(w) > utf8.RuneCountInString(suf) {
			return true
		}
	}
	return false
}
