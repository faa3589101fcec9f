package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
)

// GetSetting decodes a JSON setting into v; it reports false when unset.
func (s *Store) GetSetting(ctx context.Context, key string, v any) (bool, error) {
	var raw string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key=$1`, key).Scan(&raw)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, mapErr(err)
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return false, apperr.Wrap(err, "setting %s is corrupt", key)
	}
	return true, nil
}

// PutSetting stores a JSON setting and audits who changed it.
func (s *Store) PutSetting(ctx context.Context, key string, v any, actor string, now time.Time) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return apperr.Wrap(err, "encode setting %s", key)
	}
	return s.settingsTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1,$2) ON CONFLICT(key) DO UPDATE SET value=excluded.value`, key, string(raw)); err != nil {
			return err
		}
		return insertAudit(ctx, tx, AuditEntry{At: now, Actor: actor, Action: "setting", Target: key, Detail: truncate(string(raw), 2000)})
	})
}

// CalendarDays returns the admin's additions and corrections to the
// embedded holiday calendar, to lay over it at start.
func (s *Store) CalendarDays(ctx context.Context) ([]calendar.Day, error) {
	return collect(ctx, s.r, `SELECT date, name, off_day FROM calendar_days ORDER BY date`, nil, func(sc rowScanner) (calendar.Day, error) {
		var d calendar.Day
		err := sc.Scan(&d.Date, &d.Name, &d.OffDay)
		return d, err
	})
}

// PutCalendarDays stores admin calendar days (a correction or a loaded
// year file) in one transaction, audited.
func (s *Store) PutCalendarDays(ctx context.Context, days []calendar.Day, actor string, now time.Time) error {
	return s.settingsTx(ctx, func(tx *sql.Tx) error {
		for _, d := range days {
			if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_days (date, name, off_day, updated_by, updated_at) VALUES ($1,$2,$3,$4,$5)
				ON CONFLICT(date) DO UPDATE SET name=excluded.name, off_day=excluded.off_day, updated_by=excluded.updated_by, updated_at=excluded.updated_at`,
				d.Date, d.Name, d.OffDay, actor, micros(now)); err != nil {
				return err
			}
		}
		return insertAudit(ctx, tx, AuditEntry{At: now, Actor: actor, Action: "calendar", Target: "calendar_days", Detail: calendarDetail(days)})
	})
}

func calendarDetail(days []calendar.Day) string {
	if len(days) == 1 {
		b, _ := json.Marshal(days[0])
		return string(b)
	}
	b, _ := json.Marshal(map[string]any{"days": len(days)})
	return string(b)
}

// settingsTx runs an admin change in a transaction that also bumps
// settings_version, so that every instance caching the settings sees, with
// one cheap read (SettingsVersion), that it must reload them. Every write to
// settings, calendar_days, units, categories, compounds and users
// goes through it (issue 12: a change on one instance reached the others
// only at their restart).
func (s *Store) settingsTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE settings_version SET version = version + 1 WHERE id = 1`)
		return err
	})
}

// SettingsVersion is the number settingsTx bumps on every admin change.
func (s *Store) SettingsVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.r.QueryRowContext(ctx, `SELECT version FROM settings_version WHERE id = 1`).Scan(&v)
	return v, mapErr(err)
}
