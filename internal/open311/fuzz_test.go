package open311

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/place"
)

// fakeCatalogue is a small catalogue with every datatype.
type fakeCatalogue struct{}

func (fakeCatalogue) Service(code string) (org.Category, bool) {
	switch code {
	case "facilities.manhole":
		return org.Category{Code: code, Name: "窨井盖", Parent: "facilities", Active: true, Attributes: json.RawMessage(`[
		 {"code":"cover_state","datatype":"singlevaluelist","required":true,"description":"井盖状态","values":[{"key":"missing","name":"缺失"},{"key":1,"name":"破损"}]},
		 {"code":"hazards","datatype":"multivaluelist","values":[{"key":"traffic","name":"车辆"}]},
		 {"code":"depth","datatype":"number"},{"code":"seen_at","datatype":"datetime"},{"code":"info","datatype":"text"}]`)}, true
	case "sanitation.bulky":
		return org.Category{Code: code, Name: "大件垃圾", Active: true, Attributes: json.RawMessage(`[]`)}, true
	case "community.praise":
		return org.Category{Code: code, Name: "表扬", Active: true}, true
	}
	return org.Category{}, false
}

func (fakeCatalogue) Compound(code string) (place.OrderCompound, bool) {
	if code == "sanjiang" {
		return place.OrderCompound{Code: code, Name: "三江小区"}, true
	}
	return place.OrderCompound{}, false
}

// la311Seeds turns real rows of the LA 311 export (read at test time,
// never copied into the repository) into POST bodies.
func la311Seeds(tb testing.TB, n int) []string {
	dir := os.Getenv("HOTLINE_DATA")
	if dir == "" {
		wd, _ := os.Getwd()
		for i := 0; i < 6 && dir == ""; i++ {
			if _, err := os.Stat(filepath.Join(wd, "shared", "data")); err == nil {
				dir = filepath.Join(wd, "shared", "data")
			}
			wd = filepath.Dir(wd)
		}
	}
	f, err := os.Open(filepath.Join(dir, "us311", "la311_requests_train.csv"))
	if err != nil {
		tb.Logf("LA 311 data not found (%v); fuzzing from the hand-written seeds only", err)
		return nil
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	codes := []string{"sanitation.bulky", "facilities.manhole", "community.praise"}
	var out []string
	for len(out) < n {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			continue
		}
		v := url.Values{"service_code": {codes[len(out)%len(codes)]}, "description": {rec[col["requesttype"]] + " " + rec[col["actiontaken"]]},
			"address_string": {rec[col["address"]]}, "lat": {rec[col["latitude"]]}, "long": {rec[col["longitude"]]},
			"device_id": {rec[col["mobileos"]]}, "account_id": {rec[col["srnumber"]]}, "attribute[cover_state]": {"missing"}}
		if rec[col["anonymous"]] == "N" {
			v.Set("first_name", rec[col["owner"]])
		}
		out = append(out, v.Encode())
	}
	return out
}

// FuzzParseRequest: the POST requests form parser never panics, every
// refusal is a 400 with a description (a 404 for an unknown service_code), and whatever it accepts is an
// order the domain accepts too.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		"service_code=facilities.manhole&lat=31.17&long=121.44&attribute[cover_state]=missing",
		"service_code=facilities.manhole&address_id=sanjiang/29%E5%8F%B7%E6%A5%BC&attribute[cover_state]=1&attribute[hazards][]=traffic",
		"service_code=sanitation.bulky&address_string=x&description=%3Cb%3E&lat=&long=",
		"service_code=community.praise&address_string=y&first_name=%E5%B0%8F%E6%98%8E&last_name=%E7%8E%8B&phone=13912345678",
		"attribute[depth]=NaN&attribute[seen_at]=2026-01-01T00:00:00Z&attribute[=1",
	} {
		f.Add(s)
	}
	for _, s := range la311Seeds(f, 200) {
		f.Add(s)
	}
	env := order.CreateEnv{Now: time.Now(), CategoryKnown: func(c string) bool { _, ok := (fakeCatalogue{}).Service(c); return ok },
		CompoundKnown: func(c string) bool { _, ok := (fakeCatalogue{}).Compound(c); return ok }}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return // the handler answers 400 "malformed form body"
		}
		p, errs := ParseRequest(form, fakeCatalogue{})
		for _, e := range errs {
			notFound := e.Code == 404 && strings.HasPrefix(e.Description, "service_code ") && strings.HasSuffix(e.Description, " provided was not found")
			if (e.Code != 400 && !notFound) || e.Description == "" {
				t.Fatalf("bad error %+v", e)
			}
		}
		if len(errs) > 0 {
			return
		}
		if _, _, err := p.Order.Build(order.Actor{Username: "open311", Role: order.RoleOperator}, env); err != nil {
			t.Fatalf("accepted %q but the domain refuses it: %v", body, err)
		}
	})
}
