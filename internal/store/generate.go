package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"hotline/internal/order"
)

var genOrderCols = []string{"id", "number", "source", "external_id", "created_at", "event_count", "last_hash",
	"status", "title", "description", "category", "unit", "co_units",
	"caller_name", "caller_phone", "caller_confidential", "caller_anonymous", "co_callers", "address", "compound", "building",
	"lat", "lng", "round", "version", "updated_at", "dispatched_at", "sign_due", "contact_due", "due",
	"accepted_at", "contacted_at", "replied_at", "closed_at", "urge_count", "supervised", "parent", "children", "satisfaction",
	"resolved", "reopen_count", "reply_result", "reply_text", "return_from", "pending_extension", "urgency", "type"}

var genEventCols = []string{"order_id", "seq", "at", "actor", "action", "from_status", "to_status", "body", "hash"}
var genCallbackCols = []string{"order_id", "at", "outcome", "resolved", "unit", "round"}

// HistoryOrder is one generated order with its whole timeline, as
// internal/gen simulates it.
type HistoryOrder struct {
	ID        int64
	Order     order.Order
	Events    []order.Event
	Callbacks []order.CallbackRecord
	Tokens    []string // search tokens of its title and description
}

// HistoryRows is a batch of generated orders as the rows of each table,
// built (HistoryRows) apart from their writing (WriteHistory) so that a
// generator can build the next batch while the database writes this one.
type HistoryRows struct {
	orders, events, callbacks, fts [][]any
}

// HistoryStart returns what a generator continues from: the highest order
// id and each day's last serial number.
func (s *Store) HistoryStart(ctx context.Context) (int64, map[string]int, error) {
	var maxID int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM orders`).Scan(&maxID); err != nil {
		return 0, nil, mapErr(err)
	}
	serials := map[string]int{}
	rows, err := s.r.QueryContext(ctx, `SELECT day, last FROM day_serials`)
	if err != nil {
		return 0, nil, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var n int
		if err := rows.Scan(&d, &n); err != nil {
			return 0, nil, mapErr(err)
		}
		serials[d] = n
	}
	return maxID, serials, mapErr(rows.Err())
}

// HistoryRows builds the rows of a batch of generated orders; a word of an
// event not seen yet is given its code first (committed on its own).
func (s *Store) HistoryRows(ctx context.Context, batch []HistoryOrder) (*HistoryRows, error) {
	b := &HistoryRows{orders: make([][]any, 0, len(batch)), events: make([][]any, 0, 8*len(batch))}
	for i := range batch {
		h := &batch[i]
		evs := h.Events
		row := genOrderRow(&h.Order, h.ID, len(evs), evs[len(evs)-1].Hash)
		if s.Dialect == Postgres {
			row = append(row, searchText(h.Tokens))
		} else if len(h.Tokens) > 0 {
			b.fts = append(b.fts, []any{h.ID, searchText(h.Tokens)})
		}
		b.orders = append(b.orders, row)
		for j := range evs {
			e := &evs[j]
			body, _ := json.Marshal(e.Body)
			if _, ok := s.cachedCodes(e); !ok {
				if err := s.ensureTerms(ctx, e); err != nil {
					return nil, err
				}
			}
			row, err := s.eventRowCached(h.ID, e, string(body))
			if err != nil {
				return nil, err
			}
			b.events = append(b.events, row)
		}
		for _, c := range h.Callbacks {
			b.callbacks = append(b.callbacks, []any{h.ID, micros(c.At), c.Outcome, c.Resolved, c.Unit, c.Round})
		}
	}
	return b, nil
}

// FinishHistory ends a generated load: the day serials the generator used,
// PostgreSQL's id sequences, the rollups rebuilt from the orders, and fresh
// statistics (and, on PostgreSQL, the orders' indexes rebuilt).
func (s *Store) FinishHistory(ctx context.Context, serials map[string]int) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for d, n := range serials {
			if _, err := tx.ExecContext(ctx, `INSERT INTO day_serials(day, last) VALUES ($1, $2)
				ON CONFLICT(day) DO UPDATE SET last = CASE WHEN excluded.last > day_serials.last THEN excluded.last ELSE day_serials.last END`, d, n); err != nil {
				return err
			}
		}
		if s.Dialect == Postgres {
			for _, tb := range []string{"orders", "callbacks"} {
				if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+tb+`', 'id'), (SELECT COALESCE(MAX(id), 1) FROM `+tb+`))`); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.RebuildRollups(ctx); err != nil {
		return err
	}
	if s.Dialect == Postgres {
		// The demo's orders are newer than every generated one, so each
		// generated key went in before them in the time-ordered indexes of
		// orders (created_at, dispatched_at, …), and PostgreSQL split every
		// full page in half instead of filling the rightmost one: those
		// indexes were ~56 % full (100k orders: 66 MB, 41 MB rebuilt). A live
		// database adds its newest keys at the right end; rebuilding gives
		// the size it would have (as creating indexes after a bulk load does).
		if _, err := s.w.ExecContext(ctx, `REINDEX TABLE orders`); err != nil {
			return mapErr(err)
		}
		_, err = s.w.ExecContext(ctx, `VACUUM ANALYZE`)
	} else {
		_, err = s.w.ExecContext(ctx, `ANALYZE`)
	}
	return mapErr(err)
}

func genOrderRow(o *order.Order, id int64, events int, last string) []any {
	v := orderValues(o)
	return append([]any{id, o.Number, string(o.Source), o.ExternalID, micros(o.CreatedAt), events, hashBytes(last)}, v...)
}

// WriteHistory writes a batch built by HistoryRows in one transaction:
// multi-row INSERTs on SQLite, COPY on PostgreSQL.
func (s *Store) WriteHistory(ctx context.Context, b *HistoryRows) error {
	if s.Dialect == Postgres {
		return s.pgxTx(ctx, func(tx pgx.Tx) error {
			for _, t := range []struct {
				name string
				cols []string
				rows [][]any
			}{{"orders", append(genOrderCols[:len(genOrderCols):len(genOrderCols)], "search_text"), b.orders},
				{"order_events", genEventCols, b.events}, {"callbacks", genCallbackCols, b.callbacks}} {
				if len(t.rows) == 0 {
					continue
				}
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
					return fmt.Errorf("copy %s: %w", t.name, err)
				}
			}
			return nil
		})
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, t := range []struct {
			name string
			cols []string
			rows [][]any
		}{{"orders", genOrderCols, b.orders}, {"order_events", genEventCols, b.events}, {"callbacks", genCallbackCols, b.callbacks},
			{"order_fts", []string{"rowid", "tokens"}, b.fts}} {
			// chunkedInsert prepares the full-size statement once: parsing a
			// 30,000-parameter INSERT for every chunk cost the demo's year
			// about 0.9 s of its start-up.
			if err := chunkedInsert(ctx, tx, t.name, t.cols, 30000/len(t.cols), t.rows); err != nil {
				return fmt.Errorf("insert %s: %w", t.name, err)
			}
		}
		return nil
	})
}

// DataDirectory is a PostgreSQL server's data directory (readable by
// superusers and pg_read_all_settings), for the generator's disk check.
func (s *Store) DataDirectory(ctx context.Context) (string, error) {
	if s.Dialect != Postgres {
		return "", fmt.Errorf("not PostgreSQL")
	}
	var d string
	err := s.r.QueryRowContext(ctx, `SHOW data_directory`).Scan(&d)
	return d, mapErr(err)
}
