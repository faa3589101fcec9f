package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"hotline/internal/testenv"
)

// PlaceOrders reads SQLite's rows packed per day (joined with US and RS);
// it must give exactly the rows read one by one, also when a text holds a
// separator (that day is then read row by row).
func TestPlaceOrdersPackedEqualsRows(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ctx := context.Background()
		s := openForTest(t, dbURL, true)
		base := time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC) // midnight in Shanghai
		addrs := []string{"宾阳路12号", "", "龙华路 3 号", "bad\x1eaddress", "bad\x1faddress", "x\x1e1\x1f2\x1f3\x1f4\x1fy"}
		phones := []string{"13812345678", "", "138-1234-5678", "139\x1f000", "13900001001"}
		for i := 0; i < 60; i++ {
			compound := ""
			if i%3 == 0 {
				compound = "sanjiang"
			}
			addr := addrs[i%len(addrs)]
			if i >= 30 { // the second half of the days: clean texts only
				addr = fmt.Sprintf("宾阳路%d号", i%7)
			}
			phone := phones[i%len(phones)]
			if i >= 30 {
				phone = "13812345678"
			}
			at := base.Add(time.Duration(i) * 2 * time.Hour)
			if _, err := s.w.ExecContext(ctx, `INSERT INTO orders (number, type, source, urgency, status, title, description, round, version,
				created_at, updated_at, compound, address, caller_phone, unit) VALUES ($1, 'complaint', 'hotline', 'normal', 'accepted', 't', 'd', 1, 1, $2, $2, $3, $4, $5, $6)`,
				fmt.Sprintf("20260302%05d", i), micros(at), compound, addr, phone, []string{"binyang", "longhua"}[i%2]); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range []DashFilter{
			{From: base, To: base.Add(6 * 24 * time.Hour)},
			{From: base.Add(5 * time.Hour), To: base.Add(77 * time.Hour)},
			{From: base, To: base.Add(6 * 24 * time.Hour), Unit: "binyang"},
			{From: base.Add(100 * 24 * time.Hour), To: base.Add(101 * 24 * time.Hour)},
		} {
			read := func(get func(context.Context, DashFilter, func(int64, string, string, string, time.Time)) error) []string {
				var out []string
				if err := get(ctx, f, func(id int64, compound, address, phone string, at time.Time) {
					out = append(out, fmt.Sprintf("%d|%q|%q|%q|%d", id, compound, address, phone, at.UnixMicro()))
				}); err != nil {
					t.Fatal(err)
				}
				slices.Sort(out)
				return out
			}
			got, want := read(s.PlaceOrders), read(s.placeOrderRows)
			if !slices.Equal(got, want) {
				t.Errorf("%+v:\npacked %q\nrows   %q", f, got, want)
			}
		}
	})
}

func TestUnpackPlaceRowsRefusesAmbiguity(t *testing.T) {
	fn := func(int64, string, string, string, time.Time) { t.Error("fn called for a refused packing") }
	for _, c := range []struct {
		n      int
		packed string
	}{
		{1, ""}, {0, "1\x1f2\x1f3\x1f4\x1f5"}, {2, "1\x1f2\x1fp\x1fc\x1fa"}, {1, "1\x1f2\x1fp\x1fc\x1fa\x1fb"},
		{1, "x\x1f2\x1fp\x1fc\x1fa"}, {2, "1\x1f2\x1fp\x1fc\x1fa\x1e1\x1f2\x1fp\x1fc"},
	} {
		if unpackPlaceRows(c.n, c.packed, fn) {
			t.Errorf("unpackPlaceRows(%d, %q) accepted", c.n, c.packed)
		}
	}
}
