package intel_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/app/apptest"
	"hotline/internal/intel"
	"hotline/internal/order"
	"hotline/internal/service"
	"hotline/internal/testenv"
)

func startDemo(t *testing.T, db string, in *intel.Intel) *app.Main {
	t.Helper()
	m, err := app.New(context.Background(), app.Config{Addr: "127.0.0.1:0", DB: db, Demo: true, Intel: in, Sweep: time.Hour, PasswordParams: apptest.Passwords})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Store.Close() })
	return m
}

var (
	opr    = order.Actor{Username: "operator", Role: order.RoleOperator, Unit: "center"}
	disp   = order.Actor{Username: "dispatcher", Role: order.RoleDispatcher, Unit: "center"}
	leader = order.Actor{Username: "leader", Role: order.RoleLeader, Unit: "center"}
	admin  = order.Actor{Username: "admin", Role: order.RoleAdmin, Unit: "center"}
)

// TestIntakeIntelligence: in the running service, a new order gets a
// suggested category and unit (from the catalogue's keywords until models
// are trained), the similar open orders, past cases and hotspots.
func TestIntakeIntelligence(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		t.Parallel() // own app and database; sqlite and postgres overlap
		m := startDemo(t, db, intel.New())
		ctx := context.Background()
		v, err := m.Svc.CreateOrder(ctx, opr, order.NewOrder{Type: order.Complaint, Source: order.SourceHotline,
			Title: "三江小区旁工地夜间施工噪音", Description: "工地晚上还在打桩施工，噪音很大，吵得睡不着。"})
		if err != nil {
			t.Fatal(err)
		}
		if v.Suggestions.Category == nil || v.Suggestions.Category.Code != "environment.noise" {
			t.Fatalf("category suggestion: %+v", v.Suggestions.Category)
		}
		if v.Suggestions.Unit == nil || v.Suggestions.Unit.Code != "cityops" {
			t.Fatalf("unit suggestion: %+v", v.Suggestions.Unit)
		}
		found := false
		for _, s := range v.Similar {
			found = found || s.Title == "夜间施工噪音扰民"
		}
		if !found {
			t.Fatalf("the demo's open noise complaint is not among the similar orders: %+v", v.Similar)
		}
		// Unrelated text: no confident suggestion, no similar orders.
		u := m.Svc.Suggest("咨询", "请问办理居住证需要什么材料")
		if u.Category != nil {
			t.Fatalf("a guess for an unrelated text: %+v", u.Category)
		}
		// Past cases of an open order: the closed demo orders with replies.
		if _, err := m.Svc.PastCases(ctx, opr, v.ID, 5); err != nil {
			t.Fatal(err)
		}
		// Hotspots: the two noise orders (and the merged one) form a cluster.
		hs, err := m.Svc.Hotspots(ctx, leader, 10)
		if err != nil {
			t.Fatal(err)
		}
		hot := false
		for _, h := range hs {
			for _, id := range h.Members {
				hot = hot || id == v.ID
			}
		}
		if !hot {
			t.Fatalf("the new noise order is in no hotspot: %+v", hs)
		}
		if _, err := m.Svc.Hotspots(ctx, order.Actor{Username: "binyang", Role: order.RoleHandler, Unit: "binyang"}, 10); err == nil {
			t.Fatal("a handler may not list hotspots")
		}
		// Too little history to train: skipped, not an error.
		res, err := m.Svc.Retrain(ctx, admin)
		if err != nil || len(res.Models) != 0 || res.Skipped == "" {
			t.Fatalf("retrain on the demo: %+v %v", res, err)
		}
		if _, err := m.Svc.Retrain(ctx, disp); err == nil {
			t.Fatal("only an admin retrains")
		}
	})
}

// TestLearnsFromHistory: closed orders with their final category and unit
// train the suggestion models, which are stored as versions with their
// held-out accuracy and then drive suggestions.
func TestLearnsFromHistory(t *testing.T) {
	testenv.SkipUnderRace(t, "training on the labelled messages")
	dir := testenv.DataDir(t)
	f, err := os.Open(filepath.Join(dir, "teddy2020c", "messages_labeled_train.csv"))
	if err != nil {
		t.Skipf("labelled messages missing: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	m := startDemo(t, testenv.SQLiteURL(t), intel.New())
	ctx := context.Background()
	codes := map[string]string{}
	units := []string{"cityops", "housing", "greening", "safety", "civil", "binyang", "yuehe"}
	var heldTitle, heldDesc, heldCode string
	type built struct {
		o  order.Order
		ev order.Event
	}
	var history []built
	for i, r := range rows[1:] {
		label := r[5]
		if _, ok := codes[label]; !ok {
			codes[label] = fmt.Sprintf("subject.s%d", len(codes))
		}
		code := codes[label]
		if i%10 == 9 {
			heldTitle, heldDesc, heldCode = r[2], r[4], code
			continue
		}
		o, ev, err := order.NewOrder{Type: order.Complaint, Source: order.SourceWeb, Title: truncate(r[2], 200), Description: truncate(r[4], 5000)}.
			Build(opr, order.CreateEnv{Now: time.Now()})
		if err != nil {
			continue
		}
		o.Status, o.Category, o.Unit = order.Closed, code, units[int(code[len(code)-1]-'0')%len(units)]
		history = append(history, built{o, ev})
	}
	// Eight writers at once, as a busy hotline writes: the store's group
	// commit puts their creates in shared transactions. One by one, each
	// of the ~8,000 creates waited for its own fsync, and the test spent
	// 80% of its wall time there (issue 13); the training is what it tests.
	n := len(history)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				if err := m.Store.CreateOrder(ctx, &history[i].o, history[i].ev, nil); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	// Another instance's intelligence, loaded before the training.
	other := intel.New()
	if err := other.Load(ctx, m.Store, nil); err != nil {
		t.Fatal(err)
	}
	res, err := m.Svc.Retrain(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Models) != 2 {
		t.Fatalf("trained %d models from %d orders: %s", len(res.Models), n, res.Skipped)
	}
	for _, mv := range res.Models {
		if mv.Accuracy == nil || *mv.Accuracy < 0.75 {
			t.Fatalf("%s model held-out accuracy %v", mv.Kind, mv.Accuracy)
		}
		t.Logf("%s model: %d examples, %d held out, accuracy %.3f (%s)", mv.Kind, mv.Examples, mv.HeldOut, *mv.Accuracy, mv.Algorithm)
	}
	versions, err := m.Svc.Models(ctx, leader)
	if err != nil || len(versions) != 2 {
		t.Fatalf("model versions: %v %v", versions, err)
	}
	// A fresh intelligence on the same database loads the stored models.
	fresh := intel.New()
	if err := fresh.Load(ctx, m.Store, nil); err != nil {
		t.Fatal(err)
	}
	s := fresh.Suggest(heldTitle, heldDesc)
	if s.Category == nil {
		t.Fatal("no suggestion from the loaded model")
	}
	t.Logf("held-out message: suggested %s (%.2f), true %s", s.Category.Code, s.Category.Confidence, heldCode)
	// The other instance takes the new models when its service reloads the
	// settings (the saved model moved the settings version; issue 12).
	if err := other.LoadCatalogue(ctx, m.Store); err != nil {
		t.Fatal(err)
	}
	if o := other.Suggest(heldTitle, heldDesc); o.Category == nil || o.Category.Code != s.Category.Code {
		t.Fatalf("another instance after reloading suggests %+v, want the retrained model's %s", o.Category, s.Category.Code)
	}
	var _ service.Suggestions = s
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
