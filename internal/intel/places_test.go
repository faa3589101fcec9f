package intel_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"hotline/internal/intel"
	"hotline/internal/order"
	"hotline/internal/testenv"
)

// TestPlacesLearntFromPastOrders: the places named in the center's own
// orders join the hotspot clusterer's gazetteer when the intelligence
// retrains (and on start), beside the directory's compounds; a caller's
// name never becomes a place, even one the name rules would not catch
// (明明花园 from a caller called 明明). Both databases.
func TestPlacesLearntFromPastOrders(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		t.Parallel() // own app and database; sqlite and postgres overlap
		in := intel.New()
		m := startDemo(t, db, in)
		ctx := context.Background()
		if !slices.Contains(in.Places().Names(), "三江小区") {
			t.Fatalf("the directory's compounds are not in the gazetteer: %v", in.Places().Names())
		}
		create := func(title, desc, addr, caller string) {
			t.Helper()
			if _, err := m.Svc.CreateOrder(ctx, opr, order.NewOrder{Type: order.Complaint, Source: order.SourceHotline,
				Title: title, Description: desc, Address: addr, Caller: &order.Caller{Name: caller, Phone: "13900008888"}}); err != nil {
				t.Fatal(err)
			}
		}
		create("门面烧烤油烟大", "临街烧烤店油烟直排", "劳动东路魅力之城小区", "张先生")
		create("魅力之城小区夜宵摊太吵", "凌晨还在营业", "", "李女士")
		create("明明花园门口垃圾没人收", "明明花园门口的垃圾三天没人收", "", "明明")
		create("明明花园门口垃圾又堆满了", "明明花园门口垃圾桶满了", "", "明明")
		in.Flush()
		if slices.Contains(in.Places().Names(), "魅力之城小区") {
			t.Fatal("a place was learnt before any retrain")
		}
		if _, err := m.Svc.Retrain(ctx, admin); err != nil {
			t.Fatal(err)
		}
		names := in.Places().Names()
		if !slices.Contains(names, "魅力之城小区") || !slices.Contains(names, "三江小区") {
			t.Fatalf("after the retrain the gazetteer lacks 魅力之城小区 (two orders) or 三江小区: %d names", len(names))
		}
		for _, n := range names {
			if strings.Contains(n, "明明") {
				t.Fatalf("a caller's name became a place: %q", n)
			}
		}
	})
}
