package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"hotline/internal/apperr"
)

// Text that is not valid UTF-8, or that holds a NUL byte, is refused at the
// door: PostgreSQL cannot store either in a text column (SQLSTATE 22021,
// which used to surface as a 500 there while SQLite stored the bytes), and
// encoding/json would otherwise replace invalid bytes with U+FFFD without a
// word. One rule, checked in one place for every input a request carries:
// CheckInput (the path, the query, form bodies) wraps the whole mux, and
// DecodeJSON checks JSON bodies, so no handler, service or store repeats it.

// BadText is the problem reported for a refused input, in `fields`.
const BadText = "must be valid UTF-8 text without NUL bytes"

// MaxFormBody bounds the form body CheckInput reads to check it. It is the
// largest any form door accepts (the portal's report with a 5 MB photo);
// every door still applies its own, smaller limit after this one.
const MaxFormBody = 8 << 20

// ValidText reports whether s is valid UTF-8 without NUL bytes.
func ValidText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// Door answers a refused input in its own protocol's shape for the paths
// under Prefix (Open311's error list, say); other paths get the API's.
type Door struct {
	Prefix string
	Write  func(w http.ResponseWriter, r *http.Request, err error)
}

// CheckInput refuses, before any handler runs, a request whose path, query,
// X-Hotline-… headers or form body hold a NUL byte or invalid UTF-8: a path is a 404 (no
// resource can have such a name), a query parameter or form field a 400
// naming it. Form bodies (URL-encoded and multipart) are read into memory
// up to MaxFormBody to be checked and then handed on unchanged; file parts
// of a multipart form are binary and left to their readers.
func CheckInput(log *slog.Logger, next http.Handler, doors ...Door) http.Handler {
	fail := func(w http.ResponseWriter, r *http.Request, err error) {
		for _, d := range doors {
			if strings.HasPrefix(r.URL.Path, d.Prefix) {
				d.Write(w, r, err)
				return
			}
		}
		WriteError(w, r, log, err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ValidText(r.URL.Path) {
			fail(w, r, apperr.New(apperr.NotFound, "no such path"))
			return
		}
		if err := checkQuery(r.URL.RawQuery); err != nil {
			fail(w, r, err)
			return
		}
		if err := checkHeaders(r.Header); err != nil {
			fail(w, r, err)
			return
		}
		if err := checkFormBody(r); err != nil {
			fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkHeaders checks the project's own headers (X-Hotline-…, such as the
// feed's platform name), whose values are looked up in the database. Other
// headers are not stored, and HTTP allows them bytes that are not UTF-8.
func checkHeaders(h http.Header) error {
	for k, vs := range h {
		if !strings.HasPrefix(k, "X-Hotline-") {
			continue
		}
		for _, v := range vs {
			if !ValidText(v) {
				return apperr.Field(k, BadText)
			}
		}
	}
	return nil
}

// checkQuery checks every name and value of a URL-encoded text. A text
// that does not parse is left to the handler, which knows what it expects;
// what parsed of it is still checked.
func checkQuery(raw string) error {
	if raw == "" {
		return nil
	}
	vals, _ := url.ParseQuery(raw)
	f := apperr.Fields{}
	for k, vs := range vals {
		if !ValidText(k) {
			f.Add("query", "a parameter name "+BadText)
			continue
		}
		for _, v := range vs {
			if !ValidText(v) {
				f.Add(k, BadText)
			}
		}
	}
	return f.Err()
}

// checkFormBody checks a URL-encoded or multipart body and puts the bytes
// back for the handler.
func checkFormBody(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (ct != "application/x-www-form-urlencoded" && ct != "multipart/form-data") {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxFormBody+1))
	if err != nil {
		return BodyErr(err)
	}
	if len(body) > MaxFormBody {
		return apperr.New(apperr.TooLarge, "request body over %d bytes", MaxFormBody)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if ct == "application/x-www-form-urlencoded" {
		return checkQuery(string(body))
	}
	if params["boundary"] == "" {
		return nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	f := apperr.Fields{}
	for {
		p, err := mr.NextPart()
		if err != nil {
			break // the end, or a malformed form the handler will refuse
		}
		name := p.FormName()
		switch {
		case !ValidText(name):
			f.Add("body", "a field name "+BadText)
		case p.FileName() != "":
			if !ValidText(p.FileName()) {
				f.Add(name, "the file name "+BadText)
			}
		default:
			v, err := io.ReadAll(p)
			if err == nil && !ValidText(string(v)) {
				f.Add(name, BadText)
			}
		}
		p.Close()
	}
	return f.Err()
}

// CheckJSONText checks every key and string of a JSON document for NUL
// bytes (written \u0000) and invalid UTF-8 (raw bytes, or a lone surrogate
// escape such as \ud800, both of which encoding/json turns into U+FFFD
// without a word), and names the first field at fault by its dotted path
// ("caller.name"). Where a document turns out malformed before any bad
// text, it passes: the decoder that follows reports its syntax.
func CheckJSONText(raw []byte) error {
	// Fast path, one pass over the bytes: valid UTF-8 whose \u escapes
	// are neither \u0000 nor a lone surrogate cannot hide either (a raw NUL
	// byte in a string is a JSON syntax error). Only a document that fails
	// it is walked token by token, to name the field.
	if utf8.Valid(raw) && escapesOK(raw) {
		return nil
	}
	w := jsonWalker{raw: raw, dec: json.NewDecoder(bytes.NewReader(raw))}
	w.dec.UseNumber()
	err := w.value("body", 0)
	if errors.Is(err, errMalformed) {
		return nil
	}
	return err
}

var errMalformed = errors.New("malformed JSON")

// escapesOK reports whether no \u escape in a JSON text is a NUL or a
// surrogate without its pair. Backslashes occur only inside strings, so a
// linear scan sees every escape; in a malformed text it may be wrong,
// which the walk and the decoder then sort out.
func escapesOK(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if i+1 < len(raw) && raw[i+1] != 'u' {
			i++ // \", \\, \n…: skip the escaped character
			continue
		}
		r, ok := hex4(raw, i+2)
		switch {
		case !ok:
			return false // let the walk or the decoder judge it
		case r == 0:
			return false
		case r >= 0xD800 && r < 0xDC00:
			lo, ok := hex4(raw, i+8)
			if !ok || i+7 >= len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' || lo < 0xDC00 || lo > 0xDFFF {
				return false
			}
			i += 11
		case r >= 0xDC00 && r <= 0xDFFF:
			return false
		default:
			i += 5
		}
	}
	return true
}

// hex4 reads the four hex digits of a \u escape at raw[at:].
func hex4(raw []byte, at int) (rune, bool) {
	if at+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// maxDepth is encoding/json's own nesting limit; deeper is malformed.
const maxDepth = 10000

type jsonWalker struct {
	raw []byte
	dec *json.Decoder
}

// token reads the next token and the raw bytes it was read from.
func (w *jsonWalker) token() (json.Token, []byte, error) {
	from := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		return nil, nil, errMalformed
	}
	return tok, w.raw[from:w.dec.InputOffset()], nil
}

// value walks one value named path.
func (w *jsonWalker) value(path string, depth int) error {
	if depth > maxDepth {
		return errMalformed
	}
	tok, seg, err := w.token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case string:
		if !textOK(t, seg) {
			return apperr.Field(path, BadText)
		}
	case json.Delim:
		object := t == '{'
		for w.dec.More() {
			child := path
			if object {
				k, seg, err := w.token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				if !textOK(key, seg) {
					return apperr.Field(path, "a key "+BadText)
				}
				if path != "body" {
					child = path + "." + key
				} else {
					child = key
				}
			}
			if err := w.value(child, depth+1); err != nil {
				return err
			}
		}
		if _, _, err := w.token(); err != nil { // the closing delimiter
			return err
		}
	}
	return nil
}

// textOK reports whether a decoded string is good text, given the raw
// bytes its token was read from: a U+FFFD the raw bytes do not spell
// (literally or as \ufffd) is one encoding/json made up for an invalid
// sequence.
func textOK(s string, raw []byte) bool {
	if strings.IndexByte(s, 0) >= 0 {
		return false
	}
	if !strings.ContainsRune(s, utf8.RuneError) {
		return true
	}
	if !utf8.Valid(raw) {
		return false
	}
	spelt := bytes.Count(raw, []byte("\uFFFD")) + bytes.Count(bytes.ToLower(raw), []byte(`\ufffd`))
	return strings.Count(s, "\uFFFD") <= spelt
}
