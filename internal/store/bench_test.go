package store_test

// Benchmarks for issue 2: storing an order (store.CreateOrder: the order
// row, its day serial, its first event and its search tokens, in one durable
// transaction) against the baseline of a bare single-row durable INSERT of a
// comparable row into the same database, one statement per transaction
// (autocommit). Both run on SQLite and on PostgreSQL (skipped without
// HOTLINE_TEST_PG), serially and with 8 concurrent clients:
//
//	go test -run '^$' -bench . -benchtime 3s ./internal/store/
//
// docs/benchmarks.md holds the figures.

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hotline/internal/order"
	"hotline/internal/store"
	"hotline/internal/testenv"
	"hotline/internal/textproc"
)

// sqlitePragmas must match store.Open's SQLite writer DSN, so that the
// baseline pays for the same durability (WAL, synchronous=FULL).
const sqlitePragmas = "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=synchronous(FULL)&_txlock=immediate"

const benchTitle = "小区门口路灯坏了"
const benchDesc = "居民反映宾阳路三江小区门口的路灯坏了三天，晚上很黑，老人出门不安全，请尽快派人修理。"

// benchDBs runs fn on a migrated SQLite file and PostgreSQL database.
func benchDBs(b *testing.B, fn func(b *testing.B, url string)) {
	for _, db := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", testenv.SQLiteURL}, {"postgres", testenv.PostgresURL}} {
		b.Run(db.name, func(b *testing.B) {
			url := db.url(b)
			st, err := store.Open(context.Background(), url)
			if err != nil {
				b.Fatal(err)
			}
			if err := st.Migrate(context.Background()); err != nil {
				b.Fatal(err)
			}
			st.Close()
			fn(b, url)
		})
	}
}

// rawDB opens the database with database/sql directly, as store.Open does
// (one writer connection on SQLite), and creates the baseline table: a row
// comparable to an order's main columns, with an integer key and a unique
// number.
func rawDB(b *testing.B, url string) *sql.DB {
	var (
		db  *sql.DB
		err error
		key string
	)
	if p, ok := strings.CutPrefix(url, "sqlite:"); ok {
		db, err = sql.Open("sqlite", "file:"+p+sqlitePragmas)
		db.SetMaxOpenConns(1)
		key = "INTEGER PRIMARY KEY"
	} else {
		db, err = sql.Open("pgx", url)
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(20)
		key = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS bench_raw (id ` + key + `, number TEXT NOT NULL UNIQUE,
		type TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL,
		caller_name TEXT NOT NULL, caller_phone TEXT NOT NULL, created_at BIGINT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	return db
}

var rawSeq atomic.Int64

func rawInsert(db *sql.DB) error {
	n := rawSeq.Add(1)
	_, err := db.Exec(`INSERT INTO bench_raw (number, type, source, status, title, description, caller_name, caller_phone, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		fmt.Sprintf("R%d-%d", time.Now().UnixNano(), n), "complaint", "hotline", "received", benchTitle, benchDesc,
		"测试市民", "13800001234", time.Now().UnixMicro())
	return err
}

// BenchmarkRawInsert is the baseline: one bare INSERT per transaction.
func BenchmarkRawInsert(b *testing.B) {
	benchDBs(b, func(b *testing.B, url string) {
		db := rawDB(b, url)
		b.Run("serial", func(b *testing.B) {
			for b.Loop() {
				if err := rawInsert(db); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b)
		})
		b.Run("clients=8", func(b *testing.B) {
			parallel8(b, func() error { return rawInsert(db) })
		})
	})
}

// BenchmarkCreateOrder stores orders with store.CreateOrder: the order, its
// day serial, its sealed first event and its search tokens, in one
// transaction.
func BenchmarkCreateOrder(b *testing.B) {
	tokens := textproc.Default().SearchTokens(benchTitle + "\n" + benchDesc)
	in := order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Title: benchTitle, Description: benchDesc,
		Caller: &order.Caller{Name: "测试市民", Phone: "13800001234"}}
	actor := order.Actor{Username: "operator", Role: order.RoleOperator}
	// Each order is created a minute after the previous one, so the numbers
	// never run out (99999 a day).
	var clock atomic.Int64
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	one := func(st *store.Store) error {
		o, ev, err := in.Build(actor, order.CreateEnv{Now: base.Add(time.Duration(clock.Add(1)) * time.Minute)})
		if err != nil {
			return err
		}
		return st.CreateOrder(context.Background(), &o, ev, tokens)
	}
	benchDBs(b, func(b *testing.B, url string) {
		st, err := store.Open(context.Background(), url)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		b.Run("serial", func(b *testing.B) {
			for b.Loop() {
				if err := one(st); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b)
		})
		b.Run("clients=8", func(b *testing.B) {
			parallel8(b, func() error { return one(st) })
		})
	})
}

// parallel8 runs op b.N times from 8 goroutines and reports ops/s.
func parallel8(b *testing.B, op func() error) {
	var failed atomic.Value
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((8 + procs - 1) / procs)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(); err != nil {
				failed.Store(err)
				return
			}
		}
	})
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	reportRate(b)
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
