package sqldb

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"hotline/internal/apperr"
)

// MapErr turns driver errors into the project's error type by their codes:
// unique violations and serialization failures or deadlocks are conflicts,
// foreign-key and check violations invalid input, malformed text (NUL bytes,
// bad UTF-8 on PostgreSQL) invalid input, the rest internal.
func MapErr(err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.NotFound, "not found")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return apperr.Wrap(err, "request cancelled")
	}
	switch kindOf(err) {
	case kindUnique:
		return &apperr.Error{Code: apperr.Conflict, Message: "already exists", Err: err}
	case kindRetry:
		return &apperr.Error{Code: apperr.Conflict, Message: "concurrent change; try again", Err: err}
	case kindForeignKey:
		return &apperr.Error{Code: apperr.Invalid, Message: "refers to something that does not exist", Err: err}
	case kindCheck:
		return &apperr.Error{Code: apperr.Invalid, Message: "a value is out of its allowed range", Err: err}
	case kindBadText:
		return &apperr.Error{Code: apperr.Invalid, Message: "text must be valid UTF-8 without NUL characters", Err: err}
	}
	return apperr.Wrap(err, "database error")
}

type errKind int

const (
	kindOther errKind = iota
	kindUnique
	kindRetry
	kindForeignKey
	kindCheck
	kindBadText
)

// kindOf classifies a driver error by its SQLSTATE (PostgreSQL) or extended
// result code (SQLite).
func kindOf(err error) errKind {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return kindUnique
		case "40001", "40P01", "55P03":
			return kindRetry
		case "23503":
			return kindForeignKey
		case "23514", "23502":
			return kindCheck
		case "22021", "22P05":
			return kindBadText
		}
		return kindOther
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return kindUnique
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_BUSY_SNAPSHOT:
			return kindRetry
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return kindForeignKey
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return kindCheck
		}
		// A primary result code without its extended part (older paths).
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return kindRetry
		}
	}
	return kindOther
}

// IsUnique reports whether err is a unique-constraint violation (for code
// that turns a duplicate into something other than a conflict, such as an
// idempotent replay).
func IsUnique(err error) bool { return kindOf(err) == kindUnique }
