package httpx

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hotline/internal/apperr"
)

// TestCheckJSONText: NUL bytes and invalid UTF-8 anywhere in a JSON
// document are refused and named by their path; good text, a U+FFFD the
// client wrote, and malformed JSON (left to the decoder) pass.
func TestCheckJSONText(t *testing.T) {
	bad := map[string]string{
		`{"title":"a\u0000b"}`:                      "title",
		"{\"title\":\"a\xffb\"}":                    "title",
		`{"caller":{"name":"\ud800"}}`:              "caller.name",
		`{"caller":{"phone":"1","name":"x\uDFFF"}}`: "caller.name",
		`{"tags":["ok","\u0000"]}`:                  "tags",
		`{"a\u0000":1}`:                             "body",
		`["\u0000"]`:                                "body",
		`"\u0000"`:                                  "body",
		"{\"x\":{\"y\":[{\"z\":\"\xc3\"}]}}":        "x.y.z",
		`{"ok":"\ufffd","bad":"\ud83d"}`:            "bad",
	}
	for doc, field := range bad {
		err := CheckJSONText([]byte(doc))
		e := apperr.As(err)
		if err == nil || e.Code != apperr.Invalid || e.Fields[field] == "" {
			t.Errorf("%q: %v, want invalid %q", doc, err, field)
		}
	}
	for _, doc := range []string{`{"title":"路灯坏了"}`, `{"t":"\u4e2d\ufffd` + "\uFFFD" + `"}`, `{"e":"\ud83d\ude00"}`, `{"lit":"\\u0000 \\ud800"}`, `{"q":"\"\\\u4e2d"}`, `{"n":1e400}`, `{"broken":`, ``} {
		if err := CheckJSONText([]byte(doc)); err != nil {
			t.Errorf("%q refused: %v", doc, err)
		}
	}
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	if err := CheckJSONText([]byte(`{"\u4e2d":` + deep + `}`)); err != nil {
		t.Errorf("deep nesting: %v", err)
	}
}

// TestDecodeJSONRefusesBadText: the decoder every JSON door uses refuses
// what CheckJSONText refuses, instead of storing a U+FFFD.
func TestDecodeJSONRefusesBadText(t *testing.T) {
	var v struct{ Title string }
	err := DecodeJSON(strings.NewReader("{\"Title\":\"\xff\"}"), &v)
	if apperr.As(err).Fields["Title"] == "" {
		t.Fatalf("invalid UTF-8 decoded: %v %q", err, v.Title)
	}
	if err := DecodeJSON(strings.NewReader(`{"Title":"\ufffd"}`), &v); err != nil || v.Title != "\uFFFD" {
		t.Fatalf("a written U+FFFD: %v %q", err, v.Title)
	}
}

// TestLocalPath: only a same-origin path is a redirect target.
func TestLocalPath(t *testing.T) {
	for _, s := range []string{"/", "/orders/12?return=%2Fqueue", "/search?q=%E8%B7%AF%E7%81%AF#top", "/queue?tab=new"} {
		if got := LocalPath(s, "-"); got != s {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", "//evil.example/x", "/\t/evil.example/x", "/\\evil.example", "/a\\b", "https://evil.example/", "evil.example",
		"/\n/evil.example", "/\r\nSet-Cookie:x", "/ /evil", "/\u00a0/evil", "/\u2028x", "/\x00", "/\xff", "javascript:alert(1)", "/%0a", " /x"} {
		if s == "/%0a" { // an escaped newline stays a harmless path segment
			if LocalPath(s, "-") != s {
				t.Errorf("%q refused", s)
			}
			continue
		}
		if got := LocalPath(s, "-"); got != "-" {
			t.Errorf("%q accepted", s)
		}
	}
}

// BenchmarkDecodeJSON: what the text check adds to decoding an order's
// body, beside DecodeJSON as it was before it (plain: the baseline), for a body of raw UTF-8 (the fast path) and one written with
// \u escapes (the walk).
func BenchmarkDecodeJSON(b *testing.B) {
	type caller struct{ Name, Phone string }
	type order struct {
		Type, Source, Title, Description, Address, Building string
		Caller                                              caller
	}
	raw := `{"type":"complaint","source":"hotline","title":"小区门口路灯坏了","description":"` + strings.Repeat("三江小区29号楼旁工地夜间施工噪音扰民，", 20) +
		`","address":"宾阳路100弄","building":"29号楼","caller":{"name":"陈先生","phone":"13800001234"}}`
	escaped, _ := json.Marshal(map[string]any{"type": "complaint", "title": "小区门口路灯坏了", "description": strings.Repeat("三江小区29号楼旁工地夜间施工噪音扰民，", 20)})
	escaped = bytes.ReplaceAll(escaped, []byte("小区"), []byte(`\u5c0f\u533a`))
	for _, c := range []struct {
		name string
		body []byte
	}{{"utf8", []byte(raw)}, {"escaped", escaped}} {
		b.Run(c.name+"/plain", func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				// DecodeJSON as it was before the check: stream, then
				// look for data after the object.
				var o order
				dec := json.NewDecoder(bytes.NewReader(c.body))
				if err := dec.Decode(&o); err != nil {
					b.Fatal(err)
				}
				if _, err := dec.Token(); err == nil {
					b.Fatal("extra data")
				}
			}
		})
		b.Run(c.name+"/checked", func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				var o order
				if err := DecodeJSON(bytes.NewReader(c.body), &o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCheckInput: the middleware refuses bad text in the path (404), the
// query, the project's headers and form fields (400 naming them), leaves
// file parts and other headers alone, and hands a good form body on whole.
func TestCheckInput(t *testing.T) {
	var got string
	h := CheckInput(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseMultipartForm(1 << 20)
		got = r.FormValue("a")
	}))
	do := func(r *http.Request) (int, string) {
		rec := httptest.NewRecorder()
		got = ""
		h.ServeHTTP(rec, r)
		return rec.Code, rec.Body.String()
	}
	r := httptest.NewRequest("GET", "/x", nil)
	r.URL.Path = "/tokens/\x00.json"
	if st, _ := do(r); st != 404 {
		t.Errorf("NUL in the path: %d", st)
	}
	if st, body := do(httptest.NewRequest("GET", "/x?unit=%00&ok=1", nil)); st != 400 || !strings.Contains(body, `"unit"`) {
		t.Errorf("NUL in the query: %d %s", st, body)
	}
	r = httptest.NewRequest("POST", "/x", nil)
	r.Header.Set("X-Hotline-Platform", "sh\xff")
	r.Header.Set("User-Agent", "agent\xff")
	if st, body := do(r); st != 400 || !strings.Contains(body, "X-Hotline-Platform") {
		t.Errorf("bad platform header: %d %s", st, body)
	}
	r = httptest.NewRequest("POST", "/x", strings.NewReader("a=%E4%B8%AD&b=%C3"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if st, body := do(r); st != 400 || !strings.Contains(body, `"b"`) || got != "" {
		t.Errorf("bad form field: %d %s (handler saw %q)", st, body, got)
	}
	r = httptest.NewRequest("POST", "/x", strings.NewReader("a=%E4%B8%AD&b=ok"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("User-Agent", "agent\xff")
	if st, _ := do(r); st != 200 || got != "中" {
		t.Errorf("good form: %d, handler saw %q", st, got)
	}
	mp := "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"p.png\"\r\n\r\n\x00\xff\r\n--B--\r\n"
	r = httptest.NewRequest("POST", "/x", strings.NewReader(mp))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	if st, _ := do(r); st != 200 || got != "x" {
		t.Errorf("multipart with a binary file: %d, handler saw %q", st, got)
	}
	r = httptest.NewRequest("POST", "/x", strings.NewReader(strings.Replace(mp, "\r\n\r\nx\r\n", "\r\n\r\nx\x00\r\n", 1)))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	if st, body := do(r); st != 400 || !strings.Contains(body, `"a"`) {
		t.Errorf("multipart with NUL in a field: %d %s", st, body)
	}
}
