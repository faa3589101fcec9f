package registryapi_test

import (
	"net/url"
	"strings"
	"testing"

	"hotline/internal/testenv"
)

// TestHostileInputNever500: odd bytes in every parameter, path and body
// field are 4xx on both databases (the harness fails on any 5xx).
func TestHostileInputNever500(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL)
		hh := s.household("sanjiang-29", "901")
		id := s.resident(hh, 900, nil)["id"].(string)
		odd := []string{"\xff\xfe", "a\x00b", strings.Repeat("楼", 5000), "'; DROP TABLE residents; --", "%", "-1", "99999999999999999999"}
		for _, v := range odd {
			e := url.QueryEscape(v)
			for _, u := range []string{"admin", "leader", "binyang", "dispatcher"} {
				for _, p := range []string{"/api/v1/residents?area=" + e, "/api/v1/residents?compound=" + e, "/api/v1/residents?building=" + e,
					"/api/v1/residents?household=" + e, "/api/v1/residents?q=" + e, "/api/v1/residents?cursor=" + e, "/api/v1/residents?tag=" + e,
					"/api/v1/households?area=" + e, "/api/v1/households?building=" + e, "/api/v1/households?compound=" + e,
					"/api/v1/registry/summary?area=" + e, "/api/v1/compounds/" + url.PathEscape(v) + "/buildings", "/api/v1/residents/" + url.PathEscape(v),
					"/api/v1/registry/export?area=" + e + "&building=" + e} {
					s.do(u, "GET", p, nil)
				}
			}
			s.do("binyang", "PUT", "/api/v1/buildings/"+url.PathEscape(v), obj{"floors": 3})
			s.do("admin", "POST", "/api/v1/households", obj{"building": v, "room": v, "unit_no": v})
			s.do("admin", "POST", "/api/v1/households", obj{"building": "sanjiang-29", "room": v, "unit_no": v})
			s.do("binyang", "POST", "/api/v1/residents", obj{"household": v, "name": v, "id_number": v, "phone": v, "notes": v, "gender": "f"})
			s.do("binyang", "POST", "/api/v1/residents", obj{"household": hh, "name": v, "gender": "f", "notes": v})
			s.do("binyang", "PATCH", "/api/v1/residents/"+id, obj{"version": 1, "name": v, "household": v})
			s.do("binyang", "POST", "/api/v1/residents/"+id+"/reveal", obj{"field": v, "reason": v})
			s.do("binyang", "POST", "/api/v1/residents/"+id+"/move_out", obj{"status": v})
			s.do("binyang", "POST", "/api/v1/registry/import?name=x.csv", "小区,楼号,室号,姓名\n"+strings.ReplaceAll(v, ",", "")+",29,1,"+v+"\n")
		}
	})
}
