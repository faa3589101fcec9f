package store

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"hotline/internal/order"
)

// openForTest opens the store at url for an internal test, closed when the
// test ends, migrated to the latest schema when migrate is set. (The
// external tests have openMigrated in create_test.go.)
func openForTest(t testing.TB, url string, migrate bool) *Store {
	t.Helper()
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if migrate {
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// openBigDB opens the generated database named by HOTLINE_BIG_DB, or skips.
func openBigDB(t testing.TB, migrate bool) *Store {
	t.Helper()
	url := os.Getenv("HOTLINE_BIG_DB")
	if url == "" {
		t.Skip("HOTLINE_BIG_DB not set")
	}
	return openForTest(t, url, migrate)
}

// createTestOrder creates the i-th of a test's orders (a street-light
// complaint) through the create batch and returns its id.
func createTestOrder(t testing.TB, s *Store, i int) int64 {
	t.Helper()
	in := order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Title: fmt.Sprintf("路灯坏了 %d", i),
		Description: "小区门口的路灯坏了三天。"}
	o, ev, err := in.Build(order.Actor{Username: "operator", Role: order.RoleOperator}, order.CreateEnv{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOrder(context.Background(), &o, ev, []string{"路灯"}); err != nil {
		t.Fatal(err)
	}
	id, err := strconv.ParseInt(o.ID, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
