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
// returns the order to create. Every problem is returned, each a 400. An
// empty parameter is the same as an absent one.
func ParseRequest(form url.Values, cat Catalogue) (Parsed, []Error) {
	var e errs
	get := func(k string) string {
		v := strings.TrimSpace(form.Get(k))
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			e.bad("%s is not valid UTF-8 text", k)
			return ""
		}
		return v
	}
	var p Parsed
	p.Meta.Attributes = map[string][]string{}

	code := get("service_code")
	c, known := cat.Service(code)
	switch {
	case code == "":
		e.bad("service_code is required")
	case !known:
		// GeoReport v2: "404 - service_code provided was not found". The
		// handler answers 404 with this error alone (see NotFound).
		e = append(e, Error{Code: 404, Description: fmt.Sprintf("service_code %q provided was not found", clip(code, 64))})
	}

	// Location: lat+long, address_string or address_id (at least one).
	latS, longS, addr, addrID := get("lat"), get("long"), get("address_string"), get("address_id")
	var lat, long *float64
	if latS != "" || longS != "" {
		la, errLat := parseCoord(latS, 90)
		lo, errLong := parseCoord(longS, 180)
		switch {
		case latS == "" || longS == "":
			e.bad("lat and long must be given together")
		case errLat != "":
			e.bad("lat %s", errLat)
		case errLong != "":
			e.bad("long %s", errLong)
		default:
			lat, long = &la, &lo
		}
	}
	if utf8.RuneCountInString(addr) > MaxAddress {
		e.bad("address_string is too long: at most %d characters", MaxAddress)
	}
	var compound, building string
	if addrID != "" {
		cp, b, _ := strings.Cut(addrID, "/")
		if comp, ok := cat.Compound(cp); !ok {
			e.bad("address_id %q is not a known address (a compound code, optionally /building)", clip(addrID, 64))
		} else {
			compound, building = comp.Code, strings.TrimSpace(b)
			if utf8.RuneCountInString(building) > 50 {
				e.bad("address_id: building is too long")
			}
		}
	}
	if lat == nil && addr == "" && addrID == "" && latS == "" && longS == "" {
		e.bad("a location is required: lat and long, address_string or address_id")
	}

	desc := get("description")
	if n := utf8.RuneCountInString(desc); n > MaxDescription {
		e.bad("description is too long: %d characters, at most %d", n, MaxDescription)
	}
	if htmlRe.MatchString(desc) {
		e.bad("description must be plain text, not HTML")
	}

	first, last := get("first_name"), get("last_name")
	name := strings.TrimSpace(last + first) // Chinese order: family name first
	if first != "" && last != "" && !isHan(last+first) {
		name = first + " " + last
	}
	if utf8.RuneCountInString(name) > MaxName || htmlRe.MatchString(name) {
		e.bad("first_name and last_name: plain text, at most %d characters together", MaxName)
	}
	phone := get("phone")
	if phone != "" && !phoneRe.MatchString(phone) {
		e.bad("phone is not a phone number")
	}
	if email := get("email"); email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
			e.bad("email is not an e-mail address")
		}
	}
	device, account := get("device_id"), get("account_id")
	if len(device) > MaxShort || len(account) > MaxShort {
		e.bad("device_id and account_id: at most %d characters", MaxShort)
	}
	media := get("media_url")
	if media != "" {
		u, err := url.Parse(media)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(media) > MaxURL {
			e.bad("media_url must be an http or https URL of at most %d characters", MaxURL)
		}
	}

	// Attributes: attribute[CODE]=v, attribute[CODE][]=v for lists.
	var defs []Attribute
	if known {
		defs = Attributes(c)
	}
	given := map[string][]string{}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !strings.HasPrefix(k, "attribute") {
			continue
		}
		m := attrKeyRe.FindStringSubmatch(k)
		if m == nil {
			e.bad("%q is not an attribute parameter: use attribute[CODE] or attribute[CODE][]", clip(k, 80))
			continue
		}
		for _, v := range form[k] {
			v = strings.TrimSpace(v)
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				e.bad("attribute[%s] is not valid UTF-8 text", clip(m[1], 64))
				continue
			}
			if v != "" {
				given[m[1]] = append(given[m[1]], v)
			}
		}
	}
	var attrLines []string
	if known {
		for code := range given {
			if !slices.ContainsFunc(defs, func(a Attribute) bool { return a.Code == code }) {
				e.bad("attribute[%s] is not an attribute of service %s", clip(code, 64), c.Code)
			}
		}
		for _, a := range defs {
			vals := given[a.Code]
			if len(vals) == 0 {
				if a.Required && a.Variable {
					e.bad("attribute[%s] is required: %s", a.Code, a.Description)
				}
				continue
			}
			if a.Datatype != "multivaluelist" && len(vals) > 1 {
				e.bad("attribute[%s] takes one value", a.Code)
				continue
			}
			shown := make([]string, 0, len(vals))
			for _, v := range vals {
				if msg := checkValue(a, v); msg != "" {
					e.bad("attribute[%s] %s", a.Code, msg)
					continue
				}
				shown = append(shown, valueName(a, v))
			}
			p.Meta.Attributes[a.Code] = vals
			label := a.Description
			if label == "" {
				label = a.Code
			}
			attrLines = append(attrLines, label+"："+strings.Join(shown, "、"))
		}
	}
	if len(e) > 0 {
		return Parsed{}, e
	}

	// The order: a problem report in the service's category.
	typ := order.Complaint
	if c.Code == "community.praise" || strings.HasSuffix(c.Code, ".praise") {
		typ = order.Praise
	}
	body := desc
	if body == "" {
		body = c.Name
	}
	if len(attrLines) > 0 {
		body += "\n\n" + strings.Join(attrLines, "\n")
	}
	if media != "" {
		body += "\n图片 Photo: " + media
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
		Category: category, Address: addr, Compound: compound, Building: building, Lat: lat, Lng: long}
	if name != "" || phone != "" {
		in.Caller = &order.Caller{Name: name, Phone: phone}
	}
	p.Order = in
	p.Meta.AccountID, p.Meta.DeviceID, p.Meta.MediaURL = account, device, media
	return p, nil
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
