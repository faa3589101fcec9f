package open311

import (
	"net/url"
	"slices"
	"testing"

	"hotline/internal/order"
)

// TestParseRequestPartsInOrder: a form wrong in every part gets every
// problem back, in the order of the form's parts (service, location,
// description, caller, attributes), so splitting the parser into its parts
// neither drops a problem nor reorders the list a client reads.
func TestParseRequestPartsInOrder(t *testing.T) {
	t.Parallel()
	form := url.Values{
		"service_code":           {"facilities.manhole"},
		"lat":                    {"91"},
		"long":                   {"121.5"},
		"address_id":             {"nowhere"},
		"description":            {"<b>井盖</b>"},
		"phone":                  {"call me"},
		"email":                  {"not-an-address"},
		"media_url":              {"ftp://example.com/a.jpg"},
		"attribute[depth]":       {"deep"},
		"attribute[unknown]":     {"x"},
		"attributes":             {"y"},
		"attribute[cover_state]": {"gone"},
	}
	_, errs := ParseRequest(form, fakeCatalogue{})
	var got []string
	for _, e := range errs {
		if e.Code != 400 {
			t.Errorf("%q: code %d, want 400", e.Description, e.Code)
		}
		got = append(got, e.Description)
	}
	want := []string{
		"lat is out of range (-90 to 90, WGS84 degrees)",
		`address_id "nowhere" is not a known address (a compound code, optionally /building)`,
		"description must be plain text, not HTML",
		"phone is not a phone number",
		"email is not an e-mail address",
		"media_url must be an http or https URL of at most 1000 characters",
		`"attributes" is not an attribute parameter: use attribute[CODE] or attribute[CODE][]`,
		"attribute[unknown] is not an attribute of service facilities.manhole",
		`attribute[cover_state] "gone" is not one of its values`,
		"attribute[depth] must be a number",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n got %q\nwant %q", got, want)
	}

	// An unknown service: a 404 first, and the other parts still checked.
	_, errs = ParseRequest(url.Values{"service_code": {"no.such"}}, fakeCatalogue{})
	if len(errs) != 2 || errs[0].Code != 404 || errs[1].Description != "a location is required: lat and long, address_string or address_id" {
		t.Errorf("unknown service: %+v", errs)
	}
}

// TestParseRequestBuild: a valid form becomes the order and its public
// side, each part landing where it belongs.
func TestParseRequestBuild(t *testing.T) {
	t.Parallel()
	form := url.Values{
		"service_code":           {"facilities.manhole"},
		"address_id":             {"sanjiang/29"},
		"address_string":         {"三江路 29 号"},
		"description":            {"  井盖\n缺了  "},
		"first_name":             {"小明"},
		"last_name":              {"王"},
		"phone":                  {"13800001234"},
		"device_id":              {"ios"},
		"account_id":             {"a-1"},
		"media_url":              {"https://example.com/a.jpg"},
		"attribute[cover_state]": {"1"},
		"attribute[hazards][]":   {"traffic"},
	}
	p, errs := ParseRequest(form, fakeCatalogue{})
	if errs != nil {
		t.Fatal(errs)
	}
	o := p.Order
	if o.Type != order.Complaint || o.Source != order.SourceOpen311 || o.Category != "facilities.manhole" {
		t.Errorf("type %s source %s category %s", o.Type, o.Source, o.Category)
	}
	if o.Title != "窨井盖：井盖 缺了" {
		t.Errorf("title %q", o.Title)
	}
	if want := "井盖\n缺了\n\n井盖状态：破损\nhazards：车辆\n图片 Photo: https://example.com/a.jpg"; o.Description != want {
		t.Errorf("description %q, want %q", o.Description, want)
	}
	if o.Compound != "sanjiang" || o.Building != "29" || o.Address != "三江路 29 号" || o.Lat != nil {
		t.Errorf("place %q %q %q %v", o.Compound, o.Building, o.Address, o.Lat)
	}
	if o.Caller == nil || o.Caller.Name != "王小明" || o.Caller.Phone != "13800001234" {
		t.Errorf("caller %+v", o.Caller)
	}
	m := p.Meta
	if m.AccountID != "a-1" || m.DeviceID != "ios" || m.MediaURL != "https://example.com/a.jpg" ||
		!slices.Equal(m.Attributes["cover_state"], []string{"1"}) || !slices.Equal(m.Attributes["hazards"], []string{"traffic"}) || len(m.Attributes) != 2 {
		t.Errorf("meta %+v", m)
	}

	// lat and long, a praise service, a Latin name, no description.
	p, errs = ParseRequest(url.Values{"service_code": {"community.praise"}, "lat": {"31.2"}, "long": {"121.5"},
		"first_name": {"Ann"}, "last_name": {"Lee"}}, fakeCatalogue{})
	if errs != nil {
		t.Fatal(errs)
	}
	if o := p.Order; o.Type != order.Praise || o.Title != "表扬" || o.Description != "表扬" || o.Lat == nil || *o.Lat != 31.2 || *o.Lng != 121.5 || o.Caller.Name != "Ann Lee" {
		t.Errorf("praise order %+v", o)
	}
}
