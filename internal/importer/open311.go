package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/service"
)

func init() { formats["open311json"] = openOpen311 }

// MaxJSON is the largest open311json file read (it is read whole).
const MaxJSON = 1 << 30

// open311Source reads a GeoReport v2 "GET requests.json" answer: an array
// of service requests (or an object with a "requests" or "service_requests"
// array). A malformed element is a bad row; broken JSON syntax stops.
type open311Source struct {
	data  []byte
	lines []int // offsets of '\n'
	dec   *json.Decoder
	done  bool
}

func openOpen311(r io.Reader) (Source, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxJSON+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxJSON {
		return nil, fmt.Errorf("open311json: the file is over %d bytes", MaxJSON)
	}
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	s := &open311Source{data: data}
	for i, b := range data {
		if b == '\n' {
			s.lines = append(s.lines, i)
		}
	}
	s.dec = json.NewDecoder(bytes.NewReader(data))
	s.dec.UseNumber()
	tok, err := s.dec.Token()
	if err != nil {
		return nil, fmt.Errorf("open311json: %s", s.syntax(err))
	}
	switch tok {
	case json.Delim('['):
	case json.Delim('{'):
		// {"requests": [...]} or {"service_requests": [...]}: find the array.
		for {
			k, err := s.dec.Token()
			if err != nil {
				return nil, fmt.Errorf("open311json: %s", s.syntax(err))
			}
			if k == json.Delim('}') {
				return nil, errors.New("open311json: no array of requests in the object")
			}
			if k == "requests" || k == "service_requests" {
				if t, err := s.dec.Token(); err != nil || t != json.Delim('[') {
					return nil, fmt.Errorf("open311json: %q must be an array", k)
				}
				break
			}
			var skip json.RawMessage
			if err := s.dec.Decode(&skip); err != nil {
				return nil, fmt.Errorf("open311json: %s", s.syntax(err))
			}
		}
	default:
		return nil, errors.New("open311json: the file must hold an array of service requests")
	}
	return s, nil
}

// lineAt is the 1-based line of a byte offset.
func (s *open311Source) lineAt(off int64) int {
	return sort.SearchInts(s.lines, int(off)) + 1
}

func (s *open311Source) syntax(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("malformed JSON at line %d: %v", s.lineAt(se.Offset), err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "malformed JSON: unexpected end"
	}
	return "malformed JSON: " + err.Error()
}

// georeport is a service request of GeoReport v2.
type georeport struct {
	ID                any    `json:"service_request_id"`
	Status            string `json:"status"`
	StatusNotes       string `json:"status_notes"`
	ServiceName       string `json:"service_name"`
	ServiceCode       any    `json:"service_code"`
	Description       string `json:"description"`
	AgencyResponsible string `json:"agency_responsible"`
	RequestedDatetime string `json:"requested_datetime"`
	UpdatedDatetime   string `json:"updated_datetime"`
	Address           string `json:"address"`
	Zipcode           any    `json:"zipcode"`
	Lat               any    `json:"lat"`
	Long              any    `json:"long"`
}

func (s *open311Source) Next() (service.ImportRow, error) {
	if s.done || !s.dec.More() {
		if !s.done {
			s.done = true
			if _, err := s.dec.Token(); err != nil { // the closing ]
				return service.ImportRow{}, fmt.Errorf("open311json: %s", s.syntax(err))
			}
		}
		return service.ImportRow{}, io.EOF
	}
	// InputOffset is the end of the previous token; the element starts at
	// the next non-space, non-comma byte.
	off := s.dec.InputOffset()
	for off < int64(len(s.data)) && strings.IndexByte(" \t\r\n,", s.data[off]) >= 0 {
		off++
	}
	line := s.lineAt(off)
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		s.done = true
		return service.ImportRow{}, fmt.Errorf("open311json: %s", s.syntax(err))
	}
	row, err := mapGeoReport(raw)
	if err != nil {
		return service.ImportRow{}, &RowError{Line: line, Err: err}
	}
	row.Line = line
	return row, nil
}

func mapGeoReport(raw json.RawMessage) (service.ImportRow, error) {
	var g georeport
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&g); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return service.ImportRow{}, apperr.Field(ute.Field, "wrong type")
		}
		return service.ImportRow{}, apperr.Field("request", "must be an object")
	}
	id := scalar(g.ID)
	if id == "" || len(id) > 40 {
		return service.ImportRow{}, apperr.Field("service_request_id", "required, at most 40 characters")
	}
	if g.RequestedDatetime == "" {
		return service.ImportRow{}, apperr.Field("requested_datetime", "required")
	}
	created, err := time.Parse(time.RFC3339, g.RequestedDatetime)
	if err != nil {
		return service.ImportRow{}, apperr.Field("requested_datetime", "not an RFC 3339 time")
	}
	lat, lng, err := parseLatLng(scalar(g.Lat), scalar(g.Long))
	if err != nil {
		return service.ImportRow{}, err
	}
	name := joinNonEmpty("", g.ServiceName)
	if name == "" {
		name = joinNonEmpty("", scalar(g.ServiceCode))
	}
	if name == "" {
		name = "Open311 request"
	}
	desc := strings.TrimSpace(g.Description)
	text := joinNonEmpty(". ", desc, label("Agency", g.AgencyResponsible), label("Status notes", g.StatusNotes))
	if text == "" {
		text = name
	}
	row := service.ImportRow{Format: "open311json", CreatedAt: created.UTC(), Status: order.Received,
		Order: order.NewOrder{Type: typeOf(name), Source: order.SourceOpen311, Urgency: order.Normal,
			Title: titleText(name), Description: text, Address: clip(joinNonEmpty(", ", g.Address, scalar(g.Zipcode)), 500),
			Lat: lat, Lng: lng, ExternalID: "open311:" + id}}
	switch strings.ToLower(g.Status) {
	case "", "open":
	case "closed":
		closed := created.UTC()
		if g.UpdatedDatetime != "" {
			t, err := time.Parse(time.RFC3339, g.UpdatedDatetime)
			if err != nil {
				return row, apperr.Field("updated_datetime", "not an RFC 3339 time")
			}
			if t.After(closed) {
				closed = t.UTC()
			}
		}
		row.Status, row.ClosedAt = order.Closed, &closed
	default:
		return row, apperr.Field("status", "must be open or closed")
	}
	return row, nil
}

// scalar is a JSON string or number as text ("" for null or anything else).
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}
