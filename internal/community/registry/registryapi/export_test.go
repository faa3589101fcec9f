package registryapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/xuri/excelize/v2"

	"hotline/internal/testenv"
)

// get fetches a raw answer as user.
func (s *server) get(user, path string) (int, []byte) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.tokens[user])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (s *server) auditCount(action string) int {
	var n int
	s.m.Store.DB().R.QueryRowContext(context.Background(), `SELECT count(*) FROM audit_log WHERE action = $1`, action).Scan(&n)
	return n
}

// TestExportAndImportOverHTTP: the Excel export is masked for everyone, in
// full only for an admin with a reason (audited); the unmasked export,
// uploaded back, changes nothing; an upload with a bad row is a 400 naming
// the line.
func TestExportAndImportOverHTTP(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL)
		hh := s.household("sanjiang-30", "501")
		s.resident(hh, 11, nil)
		s.resident(hh, 12, map[string]any{"care_tags": []string{"disabled"}, "relation": "spouse"})
		idn := fakeID("19400315", 11)

		st, masked := s.get("binyang", "/api/v1/registry/export?area=binyang")
		if st != 200 || bytes.Contains(masked, []byte(idn)) {
			t.Fatalf("masked export: %d", st)
		}
		rows := sheet(t, masked)
		if len(rows) != 3 || rows[0][7] != "身份证号" || rows[1][7] != "999***********"+idn[14:] || rows[1][12] != "***" || rows[2][11] != "残疾" {
			t.Fatalf("masked rows: %v", rows)
		}
		for _, c := range []struct {
			user, q string
			want    int
		}{
			{"binyang", "unmasked=true&reason=x", 403},
			{"leader", "unmasked=true&reason=x", 403},
			{"admin", "unmasked=true", 400},
			{"dispatcher", "", 403},
			{"volunteer", "", 403},
			{"yuehe_w", "area=binyang", 403},
		} {
			before := s.auditCount("registry.export")
			if st, b := s.get(c.user, "/api/v1/registry/export?"+c.q); st != c.want {
				t.Errorf("export as %s ?%s: %d %s", c.user, c.q, st, b)
			}
			if s.auditCount("registry.export") != before {
				t.Errorf("a refused export was audited as done")
			}
		}
		st, full := s.get("admin", "/api/v1/registry/export?area=binyang&unmasked=true&reason=%E5%8C%BA%E6%B0%91%E6%94%BF%E6%A0%B8%E5%AF%B9")
		if st != 200 {
			t.Fatalf("unmasked export: %d %s", st, full)
		}
		rows = sheet(t, full)
		if rows[1][7] != idn || rows[1][8] != "13900000011" || rows[1][12] != "需要每周探访" {
			t.Fatalf("unmasked rows: %v", rows[1])
		}
		var detail string
		s.m.Store.DB().R.QueryRow(`SELECT detail FROM audit_log WHERE action = 'registry.export' AND actor = 'admin'`).Scan(&detail)
		if detail != "unmasked rows=2 reason=区民政核对" {
			t.Fatalf("audit: %q", detail)
		}
		// The unmasked export imports back unchanged.
		rep := s.upload("binyang", "/api/v1/registry/import?name=x.xlsx", full, 200)
		if rep["unchanged"] != 2.0 || rep["created"] != 0.0 || rep["updated"] != 0.0 {
			t.Fatalf("round trip: %v", rep)
		}
		// A bad row: 400, its line in fields, nothing written.
		bad := "小区,楼号,室号,姓名,身份证号\nsanjiang,30,502,甲," + fakeID("19500101", 1) + "\nsanjiang,30,502,乙,123\n"
		n := s.count("residents")
		e := s.upload("binyang", "/api/v1/registry/import?name=bad.csv", []byte(bad), 400)
		if f := e["error"].(map[string]any)["fields"].(map[string]any); f["line 3"] == nil || len(f) != 1 {
			t.Fatalf("bad upload: %v", e)
		}
		if s.count("residents") != n {
			t.Fatal("a refused import wrote")
		}
		s.upload("volunteer", "/api/v1/registry/import?name=bad.csv", []byte(bad), 403)
		s.upload("yuehe_w", "/api/v1/registry/import?area=binyang&name=bad.csv", []byte(bad), 403)
		s.upload("admin", "/api/v1/registry/import?name=bad.csv", []byte(bad), 400) // an admin names the area
		s.upload("binyang", "/api/v1/registry/import?name=x.xlsx", []byte("PK\x03\x04 not a workbook"), 400)
	})
}

func (s *server) upload(user, path string, body []byte, want int) obj {
	s.t.Helper()
	st, out := s.do(user, "POST", path, string(body))
	if st != want {
		s.t.Fatalf("upload as %s: %d %v, want %d", user, st, out, want)
	}
	return out
}

func sheet(t *testing.T, b []byte) [][]string {
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
