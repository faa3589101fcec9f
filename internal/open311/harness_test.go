package open311_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/app/apptest"
	"hotline/internal/testenv"
)

// server is the real hotline server on 127.0.0.1:0 with the demo loaded.
type server struct {
	t    *testing.T
	base string
	m    *app.Main
	key  string
}

func start(t *testing.T, dbURL string) *server {
	t.Helper()
	m := apptest.Start(t, app.Config{DB: dbURL, Demo: true, Sweep: time.Hour})
	key, err := m.Svc.CreateAPIKey(context.Background(), "test client")
	if err != nil {
		t.Fatal(err)
	}
	return &server{t: t, base: apptest.Base(m), m: m, key: key}
}

func each(t *testing.T, fn func(t *testing.T, s *server)) {
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) { fn(t, start(t, db)) })
}

type answer struct {
	status int
	ctype  string
	body   []byte
}

func (s *server) get(path string) answer {
	s.t.Helper()
	resp, err := http.Get(s.base + path)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	return read(s.t, resp)
}

func (s *server) post(path string, form url.Values) answer {
	s.t.Helper()
	resp, err := http.Post(s.base+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatalf("POST %s: %v", path, err)
	}
	return read(s.t, resp)
}

func read(t *testing.T, resp *http.Response) answer {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		t.Fatalf("%s: server error %d: %s", resp.Request.URL, resp.StatusCode, b)
	}
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), b}
}

// staff logs in to the JSON API and returns a function for calls.
func (s *server) staff(user string) func(method, path string, body any) map[string]any {
	s.t.Helper()
	login := func(method, path, token string, body any) map[string]any {
		js, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, s.base+path, bytes.NewReader(js))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			s.t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode >= 300 {
			s.t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
		}
		return out
	}
	tok := login("POST", "/api/v1/session", "", map[string]string{"username": user, "password": "demo12345"})["token"].(string)
	return func(method, path string, body any) map[string]any { return login(method, path, tok, body) }
}

// act takes a workflow action as a staff user, with the current version.
func act(call func(string, string, any) map[string]any, id, action string, body map[string]any) map[string]any {
	o := call("GET", "/api/v1/orders/"+id, nil)
	if body == nil {
		body = map[string]any{}
	}
	body["version"] = o["version"]
	return call("POST", "/api/v1/orders/"+id+"/"+action, body)
}

// --- a faithful client: the specification's element names and nothing else ---

// schema lists, for each element, the children the specification allows.
var schema = map[string][]string{
	"discovery":          {"changeset", "contact", "key_service", "endpoints"},
	"endpoints":          {"endpoint"},
	"endpoint":           {"specification", "url", "changeset", "type", "formats"},
	"formats":            {"format"},
	"services":           {"service"},
	"service":            {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"},
	"service_definition": {"service_code", "attributes"},
	"attributes":         {"attribute"},
	"attribute":          {"variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"},
	"values":             {"value"},
	"value":              {"key", "name"},
	"service_requests":   {"request"},
	"request": {"service_request_id", "token", "status", "status_notes", "service_name", "service_code", "description",
		"agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address",
		"address_id", "zipcode", "lat", "long", "media_url", "account_id", "extended_attributes", "notes"},
	"extended_attributes": {"channel", "duplicate", "parent_service_request_id"},
	"notes":               {"note"},
	"note":                {"datetime", "type", "summary", "description"},
	"errors":              {"error"},
	"error":               {"code", "description"},
}

// checkXML is what a strict GeoReport client does before it trusts a
// document: the declaration with UTF-8, the content type, no namespace,
// the expected root, and only the specification's elements where they
// belong. Then it decodes v with encoding/xml's strict parser.
func checkXML(t *testing.T, a answer, root string, v any) {
	t.Helper()
	if a.ctype != "text/xml; charset=utf-8" {
		t.Fatalf("content type %q", a.ctype)
	}
	if !bytes.HasPrefix(a.body, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Fatalf("no XML declaration: %.80s", a.body)
	}
	dec := xml.NewDecoder(bytes.NewReader(a.body))
	dec.Strict = true
	var stack []string
	seenRoot := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("malformed XML: %v\n%s", err, a.body)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if el.Name.Space != "" || len(el.Attr) > 0 {
				t.Fatalf("element %v has a namespace or attributes", el.Name)
			}
			if len(stack) == 0 {
				if seenRoot || el.Name.Local != root {
					t.Fatalf("root %q, want %q", el.Name.Local, root)
				}
				seenRoot = true
			} else {
				parent := stack[len(stack)-1]
				ok := false
				for _, c := range schema[parent] {
					ok = ok || c == el.Name.Local
				}
				if !ok {
					t.Fatalf("<%s> is not allowed in <%s>", el.Name.Local, parent)
				}
			}
			stack = append(stack, el.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if v != nil {
		if err := xml.Unmarshal(a.body, v); err != nil {
			t.Fatalf("decode: %v", err)
		}
	}
}

// checkJSON decodes a JSON answer refusing fields the specification does
// not name.
func checkJSON(t *testing.T, a answer, v any) {
	t.Helper()
	if a.ctype != "application/json; charset=utf-8" {
		t.Fatalf("content type %q", a.ctype)
	}
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

// The client's own structs, written from the specification's text.
type (
	xDiscovery struct {
		XMLName    xml.Name `xml:"discovery"`
		Changeset  string   `xml:"changeset"`
		Contact    string   `xml:"contact"`
		KeyService string   `xml:"key_service"`
		Endpoints  []struct {
			Specification string   `xml:"specification"`
			URL           string   `xml:"url"`
			Changeset     string   `xml:"changeset"`
			Type          string   `xml:"type"`
			Formats       []string `xml:"formats>format"`
		} `xml:"endpoints>endpoint"`
	}
	jDiscovery struct {
		Changeset  string `json:"changeset"`
		Contact    string `json:"contact"`
		KeyService string `json:"key_service"`
		Endpoints  []struct {
			Specification string   `json:"specification"`
			URL           string   `json:"url"`
			Changeset     string   `json:"changeset"`
			Type          string   `json:"type"`
			Formats       []string `json:"formats"`
		} `json:"endpoints"`
	}
	xService struct {
		ServiceCode string `xml:"service_code" json:"service_code"`
		ServiceName string `xml:"service_name" json:"service_name"`
		Description string `xml:"description" json:"description"`
		Metadata    bool   `xml:"metadata" json:"metadata"`
		Type        string `xml:"type" json:"type"`
		Keywords    string `xml:"keywords" json:"keywords"`
		Group       string `xml:"group" json:"group"`
	}
	xServices struct {
		XMLName  xml.Name   `xml:"services"`
		Services []xService `xml:"service"`
	}
	xAttribute struct {
		Variable            bool   `xml:"variable" json:"variable"`
		Code                string `xml:"code" json:"code"`
		Datatype            string `xml:"datatype" json:"datatype"`
		Required            bool   `xml:"required" json:"required"`
		DatatypeDescription string `xml:"datatype_description" json:"datatype_description"`
		Order               int    `xml:"order" json:"order"`
		Description         string `xml:"description" json:"description"`
		Values              []struct {
			Key  string `xml:"key" json:"key"`
			Name string `xml:"name" json:"name"`
		} `xml:"values>value" json:"values"`
	}
	xDefinition struct {
		XMLName     xml.Name     `xml:"service_definition" json:"-"`
		ServiceCode string       `xml:"service_code" json:"service_code"`
		Attributes  []xAttribute `xml:"attributes>attribute" json:"attributes"`
	}
	xRequest struct {
		ServiceRequestID   string   `xml:"service_request_id" json:"service_request_id"`
		Status             string   `xml:"status" json:"status"`
		StatusNotes        *string  `xml:"status_notes" json:"status_notes"`
		ServiceName        string   `xml:"service_name" json:"service_name"`
		ServiceCode        string   `xml:"service_code" json:"service_code"`
		Description        string   `xml:"description" json:"description"`
		AgencyResponsible  string   `xml:"agency_responsible" json:"agency_responsible"`
		ServiceNotice      string   `xml:"service_notice" json:"service_notice"`
		RequestedDatetime  string   `xml:"requested_datetime" json:"requested_datetime"`
		UpdatedDatetime    string   `xml:"updated_datetime" json:"updated_datetime"`
		ExpectedDatetime   *string  `xml:"expected_datetime" json:"expected_datetime"`
		Address            string   `xml:"address" json:"address"`
		AddressID          *string  `xml:"address_id" json:"address_id"`
		Zipcode            *string  `xml:"zipcode" json:"zipcode"`
		Lat                *float64 `xml:"lat" json:"lat"`
		Long               *float64 `xml:"long" json:"long"`
		MediaURL           *string  `xml:"media_url" json:"media_url"`
		ExtendedAttributes *struct {
			Channel                string  `xml:"channel" json:"channel"`
			Duplicate              bool    `xml:"duplicate" json:"duplicate"`
			ParentServiceRequestID *string `xml:"parent_service_request_id" json:"parent_service_request_id"`
		} `xml:"extended_attributes" json:"extended_attributes"`
		Notes []struct {
			Datetime    string `xml:"datetime" json:"datetime"`
			Type        string `xml:"type" json:"type"`
			Summary     string `xml:"summary" json:"summary"`
			Description string `xml:"description" json:"description"`
		} `xml:"notes>note" json:"notes"`
	}
	xRequests struct {
		XMLName  xml.Name   `xml:"service_requests"`
		Requests []xRequest `xml:"request"`
	}
	xCreated struct {
		ServiceRequestID string  `xml:"service_request_id" json:"service_request_id"`
		Token            string  `xml:"token" json:"token"`
		ServiceNotice    string  `xml:"service_notice" json:"service_notice"`
		AccountID        *string `xml:"account_id" json:"account_id"`
	}
	xCreatedList struct {
		XMLName  xml.Name   `xml:"service_requests"`
		Requests []xCreated `xml:"request"`
	}
	xError struct {
		Code        int    `xml:"code" json:"code"`
		Description string `xml:"description" json:"description"`
	}
	xErrors struct {
		XMLName xml.Name `xml:"errors"`
		Errors  []xError `xml:"error"`
	}
)

// wantErrors checks an error answer in either format: the status, the
// error list shape, and that some description mentions want.
func wantErrors(t *testing.T, a answer, status int, f, want string) []xError {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	var list []xError
	if f == "json" {
		checkJSON(t, a, &list)
	} else {
		var x xErrors
		checkXML(t, a, "errors", &x)
		list = x.Errors
	}
	if len(list) == 0 {
		t.Fatalf("empty error list: %s", a.body)
	}
	found := false
	for _, e := range list {
		if e.Code != status || e.Description == "" {
			t.Fatalf("error entry %+v, want code %d with a description", e, status)
		}
		found = found || strings.Contains(e.Description, want)
	}
	if !found {
		t.Fatalf("no error mentions %q: %s", want, a.body)
	}
	return list
}

func checkTime(t *testing.T, what, v string) {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, v)
	if err != nil || !(strings.HasSuffix(v, "Z") || strings.Contains(v[10:], "+") || strings.Contains(v[10:], "-")) {
		t.Fatalf("%s %q is not ISO 8601 with a timezone", what, v)
	}
	if tm.IsZero() {
		t.Fatalf("%s is zero", what)
	}
}
