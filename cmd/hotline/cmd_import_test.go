package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hotline/internal/testenv"
)

const nycSample = `unique_key,created_date,closed_date,agency,agency_name,complaint_type,descriptor,location_type,incident_zip,incident_address,street_name,city,status,due_date,resolution_description,resolution_action_updated_date,community_board,borough,open_data_channel_type,latitude,longitude
1001,2024-05-10 15:05:29,2024-05-20 14:10:17,DOT,Department of Transportation,Street Light Condition,Street Light Out,Street,10461,1633 CROSBY AVENUE,CROSBY AVENUE,BRONX,Closed,,"Fixed.
The lamp was replaced.",,10 BRONX,BRONX,PHONE,40.84,-73.83
1002,yesterday,,NYPD,New York City Police Department,Noise - Residential,Loud Music/Party,Residential Building/House,10466,745 NEREID AVENUE,NEREID AVENUE,BRONX,Open,,,,12 BRONX,BRONX,ONLINE,40.89,-73.85
1003,2024-05-11 09:00:00,,NYPD,New York City Police Department,Illegal Parking,Blocked Hydrant,Street,10466,1 MAIN ST,MAIN ST,BRONX,Open,,,,12 BRONX,BRONX,MOBILE,,
1004,2024-05-11 09:00:00,,NYPD,too,few,fields
1005,2024-05-12 10:00:00,,DSNY,Sanitation,Dirty Conditions,Trash,Street,10001,5 AVE,AVE,NEW YORK,Open,,,,1 MANHATTAN,MANHATTAN,PHONE,95,-73
`

func TestImportCommand(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		file := filepath.Join(t.TempDir(), "nyc.csv")
		os.WriteFile(file, []byte(nycSample), 0o600)
		code, out, errs := runCmd(t, "", "import", "--db", db, "--format", "nyc311", file)
		if code != 0 || !strings.Contains(out, "imported 2, skipped 3") {
			t.Fatalf("import: %d %q %q", code, out, errs)
		}
		// The bad rows, by the line their record starts on (row 1001 spans lines 2-3).
		for _, want := range []string{"line 4: invalid created_date", "line 6: 7 fields, the header has 21", "line 7: invalid latitude"} {
			if !strings.Contains(errs, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errs)
			}
		}
		if strings.Contains(errs, "\r") {
			t.Errorf("a progress bar was drawn on a non-terminal: %q", errs)
		}
		// Again: nothing new, every good row already present.
		if code, out, errs := runCmd(t, "", "import", "--db", db, "--format", "nyc311", file); code != 0 || !strings.Contains(out, "imported 0, skipped 5 (2 already present, 3 bad)") {
			t.Fatalf("re-import: %d %q %q", code, out, errs)
		}
		if code, out, _ := runCmd(t, "", "verify", "--db", db); code != 0 || !strings.Contains(out, "ok: 2 orders") {
			t.Fatalf("verify: %d %s", code, out)
		}
		// The FILE may also come first; a wrong format or file is a usage error.
		if code, _, errs := runCmd(t, "", "import", file, "--db", db, "--format", "la311"); code != 2 || !strings.Contains(errs, "not a la311 file") {
			t.Fatalf("wrong format: %d %s", code, errs)
		}
		if code, _, _ := runCmd(t, "", "import", "--db", db, "--format", "csv", file); code != 2 {
			t.Fatalf("unknown format: %d", code)
		}
		if code, _, _ := runCmd(t, "", "import", "--db", db, "--format", "nyc311"); code != 2 {
			t.Fatalf("no file: %d", code)
		}
	})
}

func TestFeedCommand(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		// Platform secrets are sealed with the data key, and add-platform
		// never makes one: without the server's key it refuses.
		if code, _, errs := runCmd(t, "0123456789abcdef-secret\n", "feed", "add-platform", "--db", db, "--name", "shanghai", "--secret-stdin"); code != 1 || !strings.Contains(errs, "data key") {
			t.Fatalf("add-platform without a data key: %d %s", code, errs)
		}
		keyFile := filepath.Join(t.TempDir(), "data.key")
		if code, _, errs := runCmd(t, "", "keys", "generate", "--out", keyFile); code != 0 {
			t.Fatalf("keys generate: %d %s", code, errs)
		}
		feedCommandChecks(t, db, func(t *testing.T, stdin string, args ...string) (int, string, string) {
			if len(args) > 1 && args[1] == "add-platform" {
				args = append(args, "--data-key-file", keyFile)
			}
			return runCmd(t, stdin, args...)
		})
	})
}

// feedCommandChecks adds, refuses and lists platforms with `hotline feed`.
func feedCommandChecks(t *testing.T, db string, runCmd func(t *testing.T, stdin string, args ...string) (int, string, string)) {
	if code, out, errs := runCmd(t, "0123456789abcdef-secret\n", "feed", "add-platform", "--db", db, "--name", "shanghai", "--secret-stdin", "--deliver-url", "https://city.example/status"); code != 0 || !strings.Contains(out, "platform shanghai saved") {
		t.Fatalf("add-platform: %d %s %s", code, out, errs)
	}
	if code, _, _ := runCmd(t, "short\n", "feed", "add-platform", "--db", db, "--name", "x", "--secret-stdin"); code != 2 {
		t.Fatalf("short secret: %d", code)
	}
	if code, _, errs := runCmd(t, "0123456789abcdef-secret\n", "feed", "add-platform", "--db", db, "--name", "Bad Name", "--secret-stdin", "--deliver-url", "ftp://x"); code != 1 || !strings.Contains(errs, "deliver_url") {
		t.Fatalf("bad platform: %d %s", code, errs)
	}
	if code, out, _ := runCmd(t, "", "feed", "list", "--db", db); code != 0 || !strings.Contains(out, "shanghai\tactive\thttps://city.example/status") || !strings.Contains(out, "outbox: 0 pending") {
		t.Fatalf("list: %d %s", code, out)
	}
}
