package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// openMigrated opens and migrates a test database, closed at the test's end.
func openMigrated(t testing.TB, url string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func newOrder(t *testing.T, i int, external string) (order.Order, order.Event) {
	t.Helper()
	in := order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Title: fmt.Sprintf("小区门口路灯坏了 %d", i),
		Description: "居民反映宾阳路三江小区门口的路灯坏了三天，晚上很黑。", ExternalID: external}
	if external != "" {
		in.Source = order.SourceCityPlatform
	}
	o, ev, err := in.Build(order.Actor{Username: "operator", Role: order.RoleOperator}, order.CreateEnv{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return o, ev
}

// TestGroupCommitBatches creates orders from many goroutines at once, so
// that the committer gathers them into multi-order batches, and checks what
// a batch must guarantee: every order stored with consecutive day numbers,
// a sound first event and its search tokens, and no batch redone one order
// at a time (which would mean the batched statements failed).
func TestGroupCommitBatches(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		t.Parallel() // own database; sqlite and postgres overlap
		st := openMigrated(t, url)
		ctx := context.Background()
		const n = 120
		var wg sync.WaitGroup
		orders := make([]order.Order, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, ev := newOrder(t, i, "")
				errs[i] = st.CreateOrder(ctx, &o, ev, []string{"路灯", fmt.Sprintf("batchtok%d", i)},
					store.AuditEntry{At: time.Now(), Actor: "operator", Action: "view_caller", Target: "order:{id}", Detail: "create"})
				orders[i] = o
			}()
		}
		wg.Wait()
		var numbers []string
		for i, err := range errs {
			if err != nil {
				t.Fatalf("create %d: %v", i, err)
			}
			numbers = append(numbers, orders[i].Number)
		}
		slices.Sort(numbers)
		day := numbers[0][:8]
		for i, num := range numbers {
			if want := fmt.Sprintf("%s%05d", day, i+1); num != want {
				t.Fatalf("numbers not consecutive from 1: #%d is %s, want %s", i, num, want)
			}
		}
		if got := st.BatchFallbacks(); got != 0 {
			t.Errorf("%d batches of valid orders fell back to one order at a time", got)
		}
		checked, brk, err := st.VerifyChains(ctx)
		if err != nil || brk != nil || checked != n {
			t.Fatalf("verify: %d chains, break %+v, err %v", checked, brk, err)
		}
		for _, i := range []int{0, 57, n - 1} {
			got, err := st.GetOrder(ctx, orders[i].ID)
			if err != nil || got.Number != orders[i].Number || got.Title != orders[i].Title {
				t.Fatalf("order %d read back as %+v, %v", i, got, err)
			}
			evs, err := st.Events(ctx, orders[i].ID)
			if err != nil || len(evs) != 1 || evs[0].Action != "create" {
				t.Fatalf("order %d events %+v, %v", i, evs, err)
			}
			list, _, err := st.ListOrders(ctx, store.Filter{Tokens: []string{fmt.Sprintf("batchtok%d", i)}, Limit: 10, Now: time.Now()})
			if err != nil || len(list) != 1 || list[0].ID != orders[i].ID {
				t.Fatalf("search for order %d's token: %d results, %v", i, len(list), err)
			}
		}
	})
}

// TestGroupCommitBadOrderFailsAlone puts an order that the database refuses
// (a platform id already stored) among good ones: it alone fails, as a
// conflict, and the day's numbers stay without a gap.
func TestGroupCommitBadOrderFailsAlone(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		t.Parallel() // own database; sqlite and postgres overlap
		st := openMigrated(t, url)
		ctx := context.Background()
		first, ev := newOrder(t, 0, "CP-1")
		if err := st.CreateOrder(ctx, &first, ev, nil); err != nil {
			t.Fatal(err)
		}
		const n = 40
		var wg sync.WaitGroup
		errs := make([]error, n)
		numbers := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ext := ""
				if i == n/2 {
					ext = "CP-1" // the same platform order again
				}
				o, ev := newOrder(t, i+1, ext)
				errs[i] = st.CreateOrder(ctx, &o, ev, nil)
				numbers[i] = o.Number
			}()
		}
		wg.Wait()
		var got []string
		for i, err := range errs {
			switch {
			case i == n/2 && !apperr.Is(err, apperr.Conflict):
				t.Errorf("the repeated platform id: want a conflict, got %v", err)
			case i != n/2 && err != nil:
				t.Errorf("good order %d failed beside the bad one: %v", i, err)
			case i != n/2:
				got = append(got, numbers[i])
			}
		}
		slices.Sort(got)
		day := first.Number[:8]
		for i, num := range got {
			if want := fmt.Sprintf("%s%05d", day, i+2); num != want {
				t.Fatalf("numbers after a refused order: #%d is %s, want %s (a gap or a repeat)", i, num, want)
			}
		}
	})
}
