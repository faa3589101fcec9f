package gen

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"hotline/internal/sqldb"
	"hotline/internal/store"
)

// BaselineInsert is the yardstick of the import benchmark: the same order
// rows written with plain multi-row INSERTs, in one transaction, into a
// table with the same columns and no index, key, event or search token.
// It creates the table bulk_baseline afresh (dropping an older one).
func BaselineInsert(ctx context.Context, db *sqldb.DB, batch []store.BulkOrder) error {
	names := store.BulkColumns()
	cols := make([]string, len(names))
	for i, c := range names {
		typ := "TEXT"
		switch c {
		case "id", "round", "version", "created_at", "updated_at", "closed_at", "event_count":
			typ = "BIGINT"
		case "lat", "lng":
			typ = "DOUBLE PRECISION"
		case "last_hash":
			typ = "BYTEA" // 32 bytes (migration 0009)
		case "caller_confidential", "caller_anonymous":
			typ = "BOOLEAN"
		}
		cols[i] = c + " " + typ
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS bulk_baseline`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE bulk_baseline (`+strings.Join(cols, ", ")+`)`); err != nil {
			return err
		}
		// As the import writes: 200 rows a statement; on SQLite with ?
		// parameters and the full-size statement prepared once.
		const per = 200
		var full *sql.Stmt
		defer func() {
			if full != nil {
				full.Close()
			}
		}()
		for i := 0; i < len(batch); i += per {
			chunk := batch[i:min(i+per, len(batch))]
			args := make([]any, 0, len(chunk)*len(names))
			for j := range chunk {
				args = append(args, store.BulkValues(&chunk[j], int64(i+j+1))...)
			}
			q := insertText(names, len(chunk), db.Dialect == sqldb.SQLite)
			var err error
			if db.Dialect == sqldb.SQLite && len(chunk) == per {
				if full == nil {
					if full, err = tx.PrepareContext(ctx, q); err != nil {
						return err
					}
				}
				_, err = full.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, q, args...)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// insertText is a multi-row INSERT into bulk_baseline: ? parameters
// (positional) or $N.
func insertText(cols []string, rows int, positional bool) string {
	var q strings.Builder
	q.WriteString("INSERT INTO bulk_baseline (" + strings.Join(cols, ", ") + ") VALUES ")
	n := 0
	for r := 0; r < rows; r++ {
		if r > 0 {
			q.WriteByte(',')
		}
		q.WriteByte('(')
		for c := range cols {
			if c > 0 {
				q.WriteByte(',')
			}
			n++
			if positional {
				q.WriteByte('?')
			} else {
				q.WriteString("$" + strconv.Itoa(n))
			}
		}
		q.WriteByte(')')
	}
	return q.String()
}
