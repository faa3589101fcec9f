package open311

import (
	"net/url"
	"testing"
)

// BenchmarkParseRequest parses a typical POST requests form (a service
// with attributes, an address, a caller) and one wrong in every part.
func BenchmarkParseRequest(b *testing.B) {
	good := url.Values{"service_code": {"facilities.manhole"}, "address_id": {"sanjiang/29"}, "address_string": {"三江路 29 号"},
		"description": {"井盖缺了，晚上很危险，请尽快处理"}, "first_name": {"小明"}, "last_name": {"王"}, "phone": {"13800001234"},
		"media_url": {"https://example.com/a.jpg"}, "attribute[cover_state]": {"1"}, "attribute[hazards][]": {"traffic"}}
	bad := url.Values{"service_code": {"facilities.manhole"}, "lat": {"91"}, "long": {"121.5"}, "address_id": {"nowhere"},
		"description": {"<b>井盖</b>"}, "phone": {"call me"}, "email": {"x"}, "attribute[depth]": {"deep"}, "attribute[unknown]": {"x"}}
	b.Run("valid", func(b *testing.B) {
		for b.Loop() {
			if _, errs := ParseRequest(good, fakeCatalogue{}); errs != nil {
				b.Fatal(errs)
			}
		}
	})
	b.Run("invalid", func(b *testing.B) {
		for b.Loop() {
			if _, errs := ParseRequest(bad, fakeCatalogue{}); len(errs) == 0 {
				b.Fatal("no errors")
			}
		}
	})
}
