package importer_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hotline/internal/importer"
	"hotline/internal/testenv"
)

// realRows returns the header and the first n records (as raw text) of a
// shared data file, for fuzz seeds; nothing when the data is absent.
func realRows(f *testing.F, file string, n int) []string {
	dir := os.Getenv("HOTLINE_DATA")
	if dir == "" {
		defer func() { recover() }()
		dir = testenv.DataDir(f)
	}
	data, err := os.ReadFile(filepath.Join(dir, "us311", file))
	if err != nil {
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var lines []string
	for sc.Scan() && len(lines) <= n {
		lines = append(lines, sc.Text())
	}
	return lines
}

// drain reads a whole source and checks the invariants every parser keeps:
// no panic, it ends, bad rows carry a line inside the file, good rows have
// an id and a creation time.
func drain(t *testing.T, format string, data []byte) {
	src, err := importer.NewSource(format, bytes.NewReader(data))
	if err != nil {
		return // a bad header or file is refused as a whole
	}
	lines := bytes.Count(data, []byte{'\n'}) + 1
	for i := 0; i < 1_000_000; i++ {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		var re *importer.RowError
		if errors.As(err, &re) {
			if re.Line < 1 || re.Line > lines {
				t.Fatalf("%s: bad row at line %d of %d", format, re.Line, lines)
			}
			continue
		}
		if err != nil {
			return // a fatal syntax error ends the file
		}
		if row.Order.ExternalID == "" || row.CreatedAt.IsZero() || row.Line < 1 || row.Line > lines {
			t.Fatalf("%s: row without id, time or line: %+v", format, row)
		}
	}
	t.Fatalf("%s: the source never ended", format)
}

func fuzzCSV(f *testing.F, format, file string) {
	rows := realRows(f, file, 30)
	if len(rows) > 1 {
		for i := 1; i < len(rows); i += 3 {
			f.Add([]byte(rows[0] + "\n" + strings.Join(rows[i:min(i+3, len(rows))], "\n") + "\n"))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { drain(t, format, data) })
}

func FuzzNYC311(f *testing.F) { fuzzCSV(f, "nyc311", "nyc311_requests_train.csv") }

func FuzzLA311(f *testing.F) { fuzzCSV(f, "la311", "la311_requests_train.csv") }

func FuzzOrdersCSV(f *testing.F) {
	f.Add([]byte(strings.Join(importer.OrdersCSVHeader, ",") + "\n2026112900001,,complaint,hotline,normal,closed,,,路灯不亮,小区门口路灯坏了,宾阳路 1 号,,,31.2,121.5,张三,13800001234,false,false,2026-11-29T01:00:00Z,2026-11-29T02:00:00Z,,,2026-11-29T02:00:00Z,satisfied,true\n"))
	f.Add([]byte("type,source,title,description,created_at\npraise,web,\"表扬\n居委会\",谢谢,2026-01-01 08:00:00\n"))
	f.Fuzz(func(t *testing.T, data []byte) { drain(t, "orders-csv", data) })
}

// FuzzOpen311JSON is seeded with real NYC rows turned into GeoReport v2
// service requests.
func FuzzOpen311JSON(f *testing.F) {
	rows := realRows(f, "nyc311_requests_train.csv", 10)
	var reqs []map[string]any
	for i, line := range rows {
		if i == 0 {
			continue
		}
		p := strings.Split(line, ",")
		if len(p) < 21 {
			continue
		}
		reqs = append(reqs, map[string]any{"service_request_id": p[0], "status": strings.ToLower(p[12]), "service_name": p[5],
			"description": p[6], "requested_datetime": strings.Replace(p[1], " ", "T", 1) + "-05:00", "address": p[9], "lat": p[19], "long": p[20]})
	}
	if js, err := json.MarshalIndent(reqs, "", "  "); err == nil && len(reqs) > 0 {
		f.Add(js)
	}
	f.Add([]byte(`{"service_requests": [{"service_request_id": 7, "requested_datetime": "2026-11-29T09:00:00+08:00", "status": "closed", "lat": 31.2, "long": 121.5}]}`))
	f.Add([]byte(`[{"service_request_id": "x"}, 5, {"service_request_id": "y", "requested_datetime": "2026-11-29T09:00:00Z"}]`))
	f.Fuzz(func(t *testing.T, data []byte) { drain(t, "open311json", data) })
}

func TestOpen311JSONLines(t *testing.T) {
	t.Parallel()
	data := "[\n  {\"service_request_id\": \"a\", \"requested_datetime\": \"2026-11-29T09:00:00Z\", \"service_name\": \"Pothole\"},\n  {\"service_request_id\": \"b\",\n   \"requested_datetime\": \"not a time\"},\n  {\"service_request_id\": \"c\", \"requested_datetime\": \"2026-11-29T10:00:00Z\", \"status\": \"closed\", \"lat\": \"40.1\", \"long\": -73.9}\n]\n"
	src, err := importer.NewSource("open311json", strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *importer.RowError
		if errors.As(err, &re) {
			got = append(got, "bad@"+itoa(re.Line))
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, row.Order.ExternalID+"@"+itoa(row.Line)+":"+string(row.Status))
	}
	if want := "open311:a@2:received bad@3 open311:c@5:closed"; strings.Join(got, " ") != want {
		t.Fatalf("got %q, want %q", strings.Join(got, " "), want)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
