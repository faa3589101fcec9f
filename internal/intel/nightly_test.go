package intel_test

import (
	"context"
	"sync"
	"testing"

	"hotline/internal/intel"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// TestNightlyTrainingOncePerNight: two instances on one database wake for
// the same night; exactly one trains, on SQLite and on PostgreSQL (issue 12,
// same class as the outbox's double sends: each instance used to train and
// store its own model versions every night).
func TestNightlyTrainingOncePerNight(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		t.Parallel() // own app and database; sqlite and postgres overlap
		m := startDemo(t, db, intel.New())
		ctx := context.Background()
		other, err := store.Open(ctx, db) // the second instance's connection
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		stores := []*store.Store{m.Store, other, m.Store, other}
		before, err := m.Store.Models(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		trained := make([]bool, len(stores))
		for i, st := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				trained[i] = intel.New().NightlyOnce(ctx, st, "2030-01-01", "instance-"+string(rune('a'+i)))
			}()
		}
		wg.Wait()
		n := 0
		for _, ok := range trained {
			if ok {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d instances trained for the same night, want 1 (%v)", n, trained)
		}
		after, err := m.Store.Models(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if added := len(after) - len(before); added > 2 {
			t.Errorf("%d model versions stored for one night, want at most one per kind", added)
		}
		if intel.New().NightlyOnce(ctx, m.Store, "2030-01-02", "instance-a") != true {
			t.Error("the next night was not trained")
		}
	})
}
