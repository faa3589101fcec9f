package open311

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/place"
)

// Datatypes of GeoReport v2 attributes.
var Datatypes = []string{"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}

// catAttribute is an attribute as the category catalogue stores it (admins
// write it as JSON); it is lenient about how keys are written.
type catAttribute struct {
	Variable            *bool          `json:"variable"`
	Code                string         `json:"code"`
	Datatype            string         `json:"datatype"`
	Required            bool           `json:"required"`
	DatatypeDescription string         `json:"datatype_description"`
	Order               int            `json:"order"`
	Description         string         `json:"description"`
	Values              []catAttrValue `json:"values"`
}

type catAttrValue struct {
	Key  any    `json:"key"`
	Name string `json:"name"`
}

// Attributes returns a category's attributes as Open311 attributes, in
// their order. A catalogue entry that cannot be read gives none (and the
// admin page validates what it stores).
func Attributes(c org.Category) []Attribute {
	var raw []catAttribute
	if len(c.Attributes) == 0 || json.Unmarshal(c.Attributes, &raw) != nil {
		return []Attribute{}
	}
	out := make([]Attribute, 0, len(raw))
	for i, a := range raw {
		if a.Code == "" {
			continue
		}
		at := Attribute{Variable: a.Variable == nil || *a.Variable, Code: a.Code, Datatype: a.Datatype, Required: a.Required,
			DatatypeDescription: opt(a.DatatypeDescription), Order: a.Order, Description: a.Description, Values: []Value{}}
		if !slices.Contains(Datatypes, at.Datatype) {
			at.Datatype = "string"
		}
		if at.Order == 0 {
			at.Order = i + 1
		}
		for _, v := range a.Values {
			at.Values = append(at.Values, Value{Key: fmt.Sprint(v.Key), Name: v.Name})
		}
		out = append(out, at)
	}
	slices.SortStableFunc(out, func(a, b Attribute) int { return a.Order - b.Order })
	return out
}

// Catalogue answers what the parser needs to know about services.
type Catalogue interface {
	// Service returns the category of a service code, if it is an active leaf.
	Service(code string) (org.Category, bool)
	// Compound reports whether an address_id names a compound.
	Compound(code string) (place.OrderCompound, bool)
}

// Limits of POST requests.
const (
	MaxDescription = 4000 // characters (the specification's limit)
	MaxName        = 50
	MaxShort       = 100 // device_id, account_id
	MaxURL         = 1000
	MaxAddress     = 500
	MaxAttrValue   = 1000
)

// htmlRe finds markup: a tag, a comment or a character reference.
var htmlRe = regexp.MustCompile(`<\s*[a-zA-Z!/?]|&[a-zA-Z]+;|&#[0-9xX]`)

// attrKeyRe is attribute[CODE] or attribute[CODE][].
var attrKeyRe = regexp.MustCompile(`^attribute\[([^\[\]]{1,64})\](\[\])?$`)

// NotFound returns the 404 errors of a list (an unknown service_code):
// when there is one, the request names no resource of ours, and the answer
// is a 404 with those errors alone, the other problems of the form unsaid.
func NotFound(list []Error) []Error {
	var out []Error
	for _, e := range list {
		if e.Code == 404 {
			out = append(out, e)
		}
	}
	return out
}

// Parsed is a POST requests form turned into a new order and the public
// side the order keeps.
type Parsed struct {
	Order order.NewOrder
	Meta  order.PublicMeta
}

// errs collects Open311 errors (all of them, not the first).
type errs []Error

func (e *errs) bad(format string, args ...any) {
	*e = append(*e, Error{Code: 400, Description: fmt.Sprintf(format, args...)})
}

// ParseRequest validates the form of POST requests (api_key aside) and
// returns the order to create. Every problem is returned, each a 400, in
// the order of the form's parts: service, location, description, caller,
// attributes. An empty parameter is the same as an absent one.
func ParseRequest(form url.Values, cat Catalogue) (Parsed, []Error) {
	r := formReader{form: form}
	c, known := r.service(cat)
	loc := r.location(cat)
	desc := r.description()
	who := r.caller()
	var defs []Attribute
	if known {
		defs = Attributes(c)
	}
	attrs := r.attributes(c, known, defs)
	if len(r.e) > 0 {
		return Parsed{}, r.e
	}
	return build(c, loc, desc, who, attrs)
}

// formReader reads the form's parameters and collects every problem.
type formReader struct {
	form url.Values
	e    errs
}

// get is a parameter, trimmed; text that is not valid UTF-8 (or holds
// NUL) is a problem and reads as absent.
func (r *formReader) get(k string) string {
	v := strings.TrimSpace(r.form.Get(k))
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		r.e.bad("%s is not valid UTF-8 text", k)
		return ""
	}
	return v
}

// service is the category the service_code names; known is false when
// there is none.
func (r *formReader) service(cat Catalogue) (c org.Category, known bool) {
	code := r.get("service_code")
	c, known = cat.Service(code)
	switch {
	case code == "":
		r.e.bad("service_code is required")
	case !known:
		// GeoReport v2: "404 - service_code provided was not found". The
		// handler answers 404 with this error alone (see NotFound).
		r.e = append(r.e, Error{Code: 404, Description: fmt.Sprintf("service_code %q provided was not found", clip(code, 64))})
	}
	return c, known
}

// location is where the request is: lat+long, address_string or
// address_id (a compound code, optionally /building).
type location struct {
	lat, long          *float64
	addr               string
	compound, building string
}

// location reads lat+long, address_string and address_id; at least one
// of them is required.
func (r *formReader) location(cat Catalogue) location {
	var loc location
	latS, longS := r.get("lat"), r.get("long")
	loc.addr = r.get("address_string")
	addrID := r.get("address_id")
	if latS != "" || longS != "" {
		la, errLat := parseCoord(latS, 90)
		lo, errLong := parseCoord(longS, 180)
		switch {
		case latS == "" || longS == "":
			r.e.bad("lat and long must be given together")
		case errLat != "":
			r.e.bad("lat %s", errLat)
		case errLong != "":
			r.e.bad("long %s", errLong)
		default:
			loc.lat, loc.long = &la, &lo
		}
	}
	if utf8.RuneCountInString(loc.addr) > MaxAddress {
		r.e.bad("address_string is too long: at most %d characters", MaxAddress)
	}
	if addrID != "" {
		cp, b, _ := strings.Cut(addrID, "/")
		if comp, ok := cat.Compound(cp); !ok {
			r.e.bad("address_id %q is not a known address (a compound code, optionally /building)", clip(addrID, 64))
		} else {
			loc.compound, loc.building = comp.Code, strings.TrimSpace(b)
			if utf8.RuneCountInString(loc.building) > 50 {
				r.e.bad("address_id: building is too long")
			}
		}
	}
	if loc.lat == nil && loc.addr == "" && addrID == "" && latS == "" && longS == "" {
		r.e.bad("a location is required: lat and long, address_string or address_id")
	}
	return loc
}

// description is the citizen's text: plain, at most MaxDescription.
func (r *formReader) description() string {
	desc := r.get("description")
	if n := utf8.RuneCountInString(desc); n > MaxDescription {
		r.e.bad("description is too long: %d characters, at most %d", n, MaxDescription)
	}
	if htmlRe.MatchString(desc) {
		r.e.bad("description must be plain text, not HTML")
	}
	return desc
}

// caller is who sent the request and from what: the caller's name and
// phone become the order's caller, the rest is kept beside the order.
type caller struct {
	name, phone            string
	device, account, media string
}

// caller reads first_name, last_name, phone, email, device_id, account_id
// and media_url. The e-mail is checked but not kept: the order has no
// place for it.
func (r *formReader) caller() caller {
	var who caller
	first, last := r.get("first_name"), r.get("last_name")
	who.name = strings.TrimSpace(last + first) // Chinese order: family name first
	if first != "" && last != "" && !isHan(last+first) {
		who.name = first + " " + last
	}
	if utf8.RuneCountInString(who.name) > MaxName || htmlRe.MatchString(who.name) {
		r.e.bad("first_name and last_name: plain text, at most %d characters together", MaxName)
	}
	who.phone = r.get("phone")
	if who.phone != "" && !phoneRe.MatchString(who.phone) {
		r.e.bad("phone is not a phone number")
	}
	if email := r.get("email"); email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
			r.e.bad("email is not an e-mail address")
		}
	}
	who.device, who.account = r.get("device_id"), r.get("account_id")
	if len(who.device) > MaxShort || len(who.account) > MaxShort {
		r.e.bad("device_id and account_id: at most %d characters", MaxShort)
	}
	who.media = r.get("media_url")
	if who.media != "" {
		u, err := url.Parse(who.media)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(who.media) > MaxURL {
			r.e.bad("media_url must be an http or https URL of at most %d characters", MaxURL)
		}
	}
	return who
}

// attrValues are the attributes given: the values by code (kept with the
// order's public side) and one line per attribute for the order's text.
type attrValues struct {
	values map[string][]string
	lines  []string
}

// attributes reads attribute[CODE]=v and attribute[CODE][]=v (lists) and
// checks them against the service's definitions defs. Of an unknown
// service only the parameters' form is checked.
func (r *formReader) attributes(c org.Category, known bool, defs []Attribute) attrValues {
	out := attrValues{values: map[string][]string{}}
	given := r.givenAttributes()
	if !known {
		return out
	}
	for code := range given {
		if !slices.ContainsFunc(defs, func(a Attribute) bool { return a.Code == code }) {
			r.e.bad("attribute[%s] is not an attribute of service %s", clip(code, 64), c.Code)
		}
	}
	for _, a := range defs {
		vals := given[a.Code]
		if len(vals) == 0 {
			if a.Required && a.Variable {
				r.e.bad("attribute[%s] is required: %s", a.Code, a.Description)
			}
			continue
		}
		if a.Datatype != "multivaluelist" && len(vals) > 1 {
			r.e.bad("attribute[%s] takes one value", a.Code)
			continue
		}
		shown := make([]string, 0, len(vals))
		for _, v := range vals {
			if msg := checkValue(a, v); msg != "" {
				r.e.bad("attribute[%s] %s", a.Code, msg)
				continue
			}
			shown = append(shown, valueName(a, v))
		}
		out.values[a.Code] = vals
		label := a.Description
		if label == "" {
			label = a.Code
		}
		out.lines = append(out.lines, label+"："+strings.Join(shown, "、"))
	}
	return out
}

// givenAttributes collects the form's non-empty attribute values by code,
// the parameters in sorted order (a form's order is not kept by url.Values).
func (r *formReader) givenAttributes() map[string][]string {
	given := map[string][]string{}
	keys := make([]string, 0, len(r.form))
	for k := range r.form {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !strings.HasPrefix(k, "attribute") {
			continue
		}
		m := attrKeyRe.FindStringSubmatch(k)
		if m == nil {
			r.e.bad("%q is not an attribute parameter: use attribute[CODE] or attribute[CODE][]", clip(k, 80))
			continue
		}
		for _, v := range r.form[k] {
			v = strings.TrimSpace(v)
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				r.e.bad("attribute[%s] is not valid UTF-8 text", clip(m[1], 64))
				continue
			}
			if v != "" {
				given[m[1]] = append(given[m[1]], v)
			}
		}
	}
	return given
}

// build makes the order of a valid form: a problem report in the service's
// category, its text the description, the attributes' lines and the photo
// link. The one problem left is that all of it together is too long.
func build(c org.Category, loc location, desc string, who caller, attrs attrValues) (Parsed, []Error) {
	typ := order.Complaint
	if c.Code == "community.praise" || strings.HasSuffix(c.Code, ".praise") {
		typ = order.Praise
	}
	body := desc
	if body == "" {
		body = c.Name
	}
	if len(attrs.lines) > 0 {
		body += "\n\n" + strings.Join(attrs.lines, "\n")
	}
	if who.media != "" {
		body += "\n图片 Photo: " + who.media
	}
	if utf8.RuneCountInString(body) > order.MaxText {
		return Parsed{}, []Error{{Code: 400, Description: fmt.Sprintf("description and attributes together are too long: at most %d characters", order.MaxText)}}
	}
	title := c.Name
	if desc != "" {
		title += "：" + clipRunes(strings.Join(strings.Fields(desc), " "), 30)
	}
	category := c.Code
	if category == CatchAll {
		category = "" // the center classifies it
	}
	in := order.NewOrder{Type: typ, Source: order.SourceOpen311, Title: clipRunes(title, order.MaxTitle), Description: body,
		Category: category, Address: loc.addr, Compound: loc.compound, Building: loc.building, Lat: loc.lat, Lng: loc.long}
	if who.name != "" || who.phone != "" {
		in.Caller = &order.Caller{Name: who.name, Phone: who.phone}
	}
	return Parsed{Order: in, Meta: order.PublicMeta{Attributes: attrs.values,
		AccountID: who.account, DeviceID: who.device, MediaURL: who.media}}, nil
}

// phoneRe is the order package's phone rule.
var phoneRe = regexp.MustCompile(`^\+?[0-9][0-9 \-]{2,22}[0-9]$`)

func parseCoord(s string, limit float64) (float64, string) {
	if s == "" {
		return 0, "is missing"
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, "is not a number"
	}
	if v < -limit || v > limit {
		return 0, fmt.Sprintf("is out of range (-%g to %g, WGS84 degrees)", limit, limit)
	}
	return v, ""
}

func checkValue(a Attribute, v string) string {
	switch a.Datatype {
	case "number":
		if f, err := strconv.ParseFloat(v, 64); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return "must be a number"
		}
	case "datetime":
		if _, err := ParseTime(v); err != nil {
			return "must be an ISO 8601 date-time with a timezone"
		}
	case "singlevaluelist", "multivaluelist":
		if !slices.ContainsFunc(a.Values, func(x Value) bool { return x.Key == v }) {
			return fmt.Sprintf("%q is not one of its values", clip(v, 40))
		}
	case "text":
		if utf8.RuneCountInString(v) > MaxDescription {
			return fmt.Sprintf("is too long: at most %d characters", MaxDescription)
		}
	default:
		if utf8.RuneCountInString(v) > MaxAttrValue {
			return fmt.Sprintf("is too long: at most %d characters", MaxAttrValue)
		}
	}
	if htmlRe.MatchString(v) {
		return "must be plain text, not HTML"
	}
	return ""
}

func valueName(a Attribute, v string) string {
	for _, x := range a.Values {
		if x.Key == v && x.Name != "" {
			return x.Name
		}
	}
	return v
}

// ParseTime reads an ISO 8601 date-time, which must carry a timezone (Z
// or ±hh:mm), as the specification requires.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 date-time with a timezone: %q", clip(s, 40))
}

func isHan(s string) bool {
	for _, r := range s {
		if r < 0x2E80 {
			return false
		}
	}
	return s != ""
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
