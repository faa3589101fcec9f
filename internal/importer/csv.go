package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/service"
)

// csvSource reads a CSV file with a header row and turns each record into
// a row with a format's mapping.
type csvSource struct {
	r      *csv.Reader
	cols   map[string]int
	header int
	mapRow func(rec record) (service.ImportRow, error)
}

// record is one CSV record with access by column name.
type record struct {
	line   int
	fields []string
	cols   map[string]int
}

func (r record) get(name string) string {
	if i, ok := r.cols[name]; ok && i < len(r.fields) {
		return strings.TrimSpace(r.fields[i])
	}
	return ""
}

func newCSVSource(in io.Reader, format string, required []string, mapRow func(rec record) (service.ImportRow, error)) (*csvSource, error) {
	br := bufio.NewReaderSize(in, 1<<20)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	r := csv.NewReader(br)
	r.ReuseRecord = false
	head, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the file is empty (a header row is required)", format)
		}
		return nil, fmt.Errorf("%s: cannot read the header row: %w", format, err)
	}
	cols := map[string]int{}
	for i, h := range head {
		cols[strings.ToLower(strings.TrimSpace(h))] = i
	}
	var missing []string
	for _, c := range required {
		if _, ok := cols[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("not a %s file: the header has no column %s", format, strings.Join(missing, ", "))
	}
	return &csvSource{r: r, cols: cols, header: len(head), mapRow: mapRow}, nil
}

func (s *csvSource) Next() (service.ImportRow, error) {
	fields, err := s.r.Read()
	line := 0
	var pe *csv.ParseError
	switch {
	case errors.Is(err, io.EOF):
		return service.ImportRow{}, io.EOF
	case errors.As(err, &pe):
		line = pe.StartLine
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return service.ImportRow{}, &RowError{Line: line, Err: fmt.Errorf("%d fields, the header has %d", len(fields), s.header)}
		}
		return service.ImportRow{}, &RowError{Line: line, Err: fmt.Errorf("malformed CSV: %v", pe.Err)}
	case err != nil:
		return service.ImportRow{}, err
	}
	line, _ = s.r.FieldPos(0)
	for _, f := range fields {
		if !utf8.ValidString(f) {
			return service.ImportRow{}, &RowError{Line: line, Err: errors.New("not UTF-8 text")}
		}
	}
	row, err := s.mapRow(record{line: line, fields: fields, cols: s.cols})
	if err != nil {
		return service.ImportRow{}, &RowError{Line: line, Err: err}
	}
	row.Line = line
	return row, nil
}

// timeLayouts are the date formats of the exports: the shared data's
// "YYYY-MM-DD HH:MM:SS", the Socrata download format, and ISO 8601.
var timeLayouts = []string{"2006-01-02 15:04:05", "01/02/2006 03:04:05 PM", "2006-01-02T15:04:05.000", "2006-01-02T15:04:05", "2006-01-02"}

// parseTime reads a local time of the export's city (RFC 3339 carries its own offset).
func parseTime(field, v string, loc *time.Location) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		t = t.UTC()
		return &t, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, apperr.Field(field, fmt.Sprintf("not a time: %q", clip(v, 40)))
}

// parseLatLng reads a coordinate pair; both empty (or both 0, the exports'
// "unknown") is no location.
func parseLatLng(lat, lng string) (*float64, *float64, error) {
	if lat == "" && lng == "" {
		return nil, nil, nil
	}
	la, err1 := strconv.ParseFloat(lat, 64)
	ln, err2 := strconv.ParseFloat(lng, 64)
	switch {
	case err1 != nil || math.IsNaN(la) || la < -90 || la > 90:
		return nil, nil, apperr.Field("latitude", fmt.Sprintf("not a latitude: %q", clip(lat, 30)))
	case err2 != nil || math.IsNaN(ln) || ln < -180 || ln > 180:
		return nil, nil, apperr.Field("longitude", fmt.Sprintf("not a longitude: %q", clip(lng, 30)))
	case la == 0 && ln == 0:
		return nil, nil, nil
	}
	return &la, &ln, nil
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// joinNonEmpty joins the non-empty parts.
func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// typeOf maps a 311 request type to ours by keywords (docs/import.md).
func typeOf(kind string) order.Type {
	k := strings.ToLower(kind)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(k, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("information", "question", "inquiry", "consult"):
		return order.Consultation
	case has("feedback", "suggestion", "compliment"):
		if has("compliment") {
			return order.Praise
		}
		return order.Suggestion
	case has("illegal", "graffiti", "encampment", "violation", "unlicensed", "fraud"):
		return order.Report
	case has("pickup", "pick up", "removal", "collection", "bulky", "appliance", "e-waste", "electronic waste", "request", "assistance", "help"):
		return order.Help
	}
	return order.Complaint
}

// sourceOf maps a 311 intake channel to our sources: a call is the
// hotline, an app, a web form or an e-mail is web.
func sourceOf(channel string) order.Source {
	c := strings.ToLower(channel)
	for _, w := range []string{"online", "mobile", "app", "web", "self service", "email", "e-mail"} {
		if strings.Contains(c, w) {
			return order.SourceWeb
		}
	}
	return order.SourceHotline
}

// titleText clips a title to the domain's limit.
func titleText(s string) string { return clip(strings.Join(strings.Fields(s), " "), order.MaxTitle-1) }
