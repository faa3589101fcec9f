package store

import (
	"context"
	"database/sql"
	"time"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/order"
)

// User is an account. The password hash is argon2id (internal/auth).
type User = access.User

// CreateUser adds a user; a taken username is a Conflict.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	var unit any
	if u.Unit != "" {
		unit = u.Unit
	}
	err := s.settingsTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO users (username, password_hash, role, unit, display_name, active, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id`,
			u.Username, u.PasswordHash, string(u.Role), unit, u.DisplayName, u.Active, micros(u.CreatedAt)).Scan(&u.ID)
	})
	if apperr.Is(err, apperr.Conflict) {
		return apperr.Field("username", "already taken")
	}
	return mapErr(err)
}

// UpdateUser changes a user's role, unit, name, active flag and, when
// PasswordHash is set, password. Disabling a user ends their sessions in
// the same transaction.
func (s *Store) UpdateUser(ctx context.Context, u User) error {
	var unit any
	if u.Unit != "" {
		unit = u.Unit
	}
	return s.settingsTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET role=$1, unit=$2, display_name=$3, active=$4,
		password_hash = CASE WHEN $5 = '' THEN password_hash ELSE $5 END WHERE username=$6`,
			string(u.Role), unit, u.DisplayName, u.Active, u.PasswordHash, u.Username)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "no user %s", u.Username)
		}
		if !u.Active {
			_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username=$1)`, u.Username)
		}
		return err
	})
}

const userCols = `id, username, password_hash, role, unit, display_name, active, created_at`

func scanUser(sc rowScanner) (User, error) {
	var u User
	var role string
	var unit sql.NullString
	var created int64
	err := sc.Scan(&u.ID, &u.Username, &u.PasswordHash, &role, &unit, &u.DisplayName, &u.Active, &created)
	u.Role, u.Unit, u.CreatedAt = order.Role(role), unit.String, fromMicros(created)
	return u, err
}

// UserByName returns a user by username.
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username=$1`, username))
	if err == sql.ErrNoRows {
		return u, apperr.New(apperr.NotFound, "no user %s", truncate(username, 40))
	}
	return u, mapErr(err)
}

// Users lists all users.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	return collect(ctx, s.r, `SELECT `+userCols+` FROM users ORDER BY username`, nil, scanUser)
}

// CreateSession stores a session by the hash of its token.
func (s *Store) CreateSession(ctx context.Context, tokenHash string, userID int64, now, expires time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1,$2,$3,$4)`,
		tokenHash, userID, micros(now), micros(expires))
	return mapErr(err)
}

const sessionUserSQL = `SELECT u.id, u.username, u.password_hash, u.role, u.unit, u.display_name, u.active, u.created_at
	FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash=$1 AND s.expires_at > $2 AND u.active = TRUE`

// SessionUser returns the active user of an unexpired session.
func (s *Store) SessionUser(ctx context.Context, tokenHash string, now time.Time) (User, error) {
	u, err := scanUser(s.queryRow(ctx, sessionUserSQL, tokenHash, micros(now)))
	if err == sql.ErrNoRows {
		return u, apperr.New(apperr.Unauthorized, "not logged in or session expired")
	}
	return u, mapErr(err)
}

// DeleteSession logs a session out.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash=$1`, tokenHash)
	return mapErr(err)
}

// PurgeSessions removes expired sessions.
func (s *Store) PurgeSessions(ctx context.Context, now time.Time) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, micros(now))
	return mapErr(err)
}

// SetPassword replaces a user's password hash and ends the user's sessions
// in the same transaction, all but the one whose token hash is keep (the
// session the user changed it from; "" ends every session: an admin's
// reset). Someone who learnt the old password is logged out everywhere.
func (s *Store) SetPassword(ctx context.Context, username, hash, keep string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `UPDATE users SET password_hash = $1 WHERE username = $2 RETURNING id`, hash, username).Scan(&id)
		if err == sql.ErrNoRows {
			return apperr.New(apperr.NotFound, "no user %s", username)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, id, keep)
		return err
	})
}
