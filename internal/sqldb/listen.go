package sqldb

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"hotline/internal/apperr"
)

// Notify sends payload on a PostgreSQL notification channel (pg_notify).
// Sent outside a transaction it is delivered at once; every instance
// listening on the channel receives it, the sender included. On SQLite it
// is an error: there is one process per database file, so callers fan out
// in process instead.
func (d *DB) Notify(ctx context.Context, channel, payload string) error {
	if d.Dialect != Postgres {
		return apperr.New(apperr.Internal, "notifications need PostgreSQL")
	}
	_, err := d.W.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, payload)
	return MapErr(err)
}

// Listen receives the notifications of a PostgreSQL channel on a dedicated
// connection (LISTEN holds a session, so it cannot come from the shared
// pool) and calls fn with each payload, in order, until ctx ends. A lost
// connection is reopened with a growing pause; connected is called after
// each (re)connect so that a caller can re-read whatever it may have missed
// while disconnected. It returns only when ctx ends.
func (d *DB) Listen(ctx context.Context, channel string, connected func(), fn func(payload string)) {
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := d.listenOnce(ctx, channel, func() {
			pause = 100 * time.Millisecond
			if connected != nil {
				connected()
			}
		}, fn)
		if ctx.Err() != nil || err == nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		if pause < 5*time.Second {
			pause *= 2
		}
	}
}

func (d *DB) listenOnce(ctx context.Context, channel string, connected func(), fn func(string)) error {
	conn, err := pgx.Connect(ctx, d.URL)
	if err != nil {
		return err
	}
	defer func() {
		closing, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn.Close(closing)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	connected()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}
