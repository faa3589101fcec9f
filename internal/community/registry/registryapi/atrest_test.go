package registryapi_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"hotline/internal/sqldb"
	"hotline/internal/testenv"
)

// TestNoPersonalFieldInTheClear registers residents through the server,
// then reads what the database keeps (the SQLite file and its WAL, every
// row of every table on PostgreSQL) and the server's log, and finds none of
// their ID numbers, phones or notes, in any of the forms they were typed.
func TestNoPersonalFieldInTheClear(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL)
		hh := s.household("ruiyuan-1", "601")
		var secrets []string
		for i := range 5 {
			idn := fakeID("19330609", 300+i)
			phone := fmt.Sprintf("1377%07d", 4242000+i)
			notes := fmt.Sprintf("心脏病史，钥匙在邻居%d家", i)
			s.must(201, "binyang", "POST", "/api/v1/residents", obj{"household": hh, "name": "保密测试", "id_number": idn,
				"phone": phone[:3] + " " + phone[3:7] + " " + phone[7:], "notes": notes})
			secrets = append(secrets, idn, phone, notes, idn[6:14]+idn[14:17], phone[3:])
		}
		// Every way the server touches them: lookups, edits, reveals, a bad
		// request that echoes nothing back.
		r := s.must(200, "binyang", "GET", "/api/v1/residents?q="+secrets[0], nil)["residents"].([]any)[0].(map[string]any)
		s.must(200, "binyang", "POST", "/api/v1/residents/"+r["id"].(string)+"/reveal", obj{"field": "phone", "reason": "回访"})
		s.must(200, "binyang", "PATCH", "/api/v1/residents/"+r["id"].(string), obj{"version": r["version"], "notes": secrets[2] + "。已更新"})
		s.must(400, "binyang", "POST", "/api/v1/residents", obj{"household": hh, "name": "x", "id_number": secrets[0][:17] + "0", "phone": secrets[1]})

		var haystacks [][]byte
		if strings.HasPrefix(dbURL, "sqlite:") {
			path := strings.TrimPrefix(dbURL, "sqlite:")
			for _, f := range []string{path, path + "-wal"} {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatalf("read %s: %v", f, err)
				}
				if len(b) == 0 {
					t.Fatalf("%s is empty: nothing would be found", f)
				}
				haystacks = append(haystacks, b)
			}
		} else {
			haystacks = append(haystacks, pgDump(t, s.m.Store.DB()))
		}
		haystacks = append(haystacks, []byte(s.logs.String()))
		for _, h := range haystacks {
			for _, v := range secrets {
				if bytes.Contains(h, []byte(v)) {
					t.Errorf("%q found in the clear", v)
				}
			}
		}
		// The test can fail: the residents' names are stored in the clear
		// (they are not sealed) and must be found.
		if !bytes.Contains(bytes.Join(haystacks[:len(haystacks)-1], nil), []byte("保密测试")) {
			t.Fatal("the search sees nothing: the names should be there")
		}
	})
}

// pgDump is every row of every table of the public schema as text.
func pgDump(t *testing.T, db *sqldb.DB) []byte {
	ctx := context.Background()
	tables, err := sqldb.Collect(ctx, db.R, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`, nil,
		func(sc sqldb.Scanner) (string, error) {
			var s string
			return s, sc.Scan(&s)
		})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, tb := range tables {
		rows, err := sqldb.Collect(ctx, db.R, `SELECT t::text FROM "`+tb+`" t`, nil, func(sc sqldb.Scanner) (string, error) {
			var s string
			return s, sc.Scan(&s)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out.WriteString(r)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}
