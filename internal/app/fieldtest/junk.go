package fieldtest

import (
	"net/url"
	"strings"
	"testing"
)

// Odd are values that break every naive parser: bad UTF-8, a NUL, a huge
// string, SQL, a lone percent sign, negative and overflowing numbers.
var Odd = []string{"\xff\xfe", "a\x00b", strings.Repeat("楼", 5000), "'; DROP TABLE emergencies; --", "%", "-1", "0", "99999999999999999999", "1.5", "１"}

// Junk are request bodies wrong in every way a client can send: not JSON,
// the wrong shape, wrong types, broken or huge text, and plausible bodies
// with one bad value for the emergency and campaign routes.
var Junk = []any{
	"", "{", "[]", "null", `"x"`, "{}{}", `{"version":"1"}`, `{"version":1e400}`, "{\"status\":\"safe\",\"op_id\":\"j-raw\",\"note\":\"\xff\"}",
	`{"status":"safe","op_id":"j-nul\u0000"}`, Obj{"status": "exploded", "op_id": "j1"}, Obj{"status": "safe"},
	Obj{"status": "safe", "op_id": strings.Repeat("x", 5000)}, Obj{"status": "safe", "op_id": "j2", "at": "yesterday"},
	Obj{"status": "safe", "op_id": "j3", "at": "2999-01-01T00:00:00Z"}, Obj{"status": "safe", "op_id": "j4", "version": "two"},
	Obj{"status": []string{"safe"}, "op_id": 7, "note": Obj{}}, Obj{"status": "done", "op_id": "j5", "note": strings.Repeat("水", 600)},
	Obj{"kind": 7, "compounds": "sanjiang_t", "level": "red", "name": "x"},
	Obj{"kind": "typhoon", "name": "x", "level": "purple", "compounds": []string{"sanjiang_t"}},
	Obj{"kind": "typhoon", "name": "x", "level": "red", "compounds": []string{"nowhere"}, "buildings": []string{"a\x00b"}},
	Obj{"kind": "flood", "name": "", "level": "red", "compounds": []string{}, "volunteers": []string{"ghost"}, "started_at": "noon"},
	Obj{"what": "", "building": 5, "assignee": []int{1}}, Obj{"what": "x", "building": "nowhere", "assignee": "ghost", "household": "x"},
	Obj{"status": "open", "version": -1}, Obj{"status": "teleported"},
	Obj{"name": "x", "form": Obj{"fields": "x"}}, Obj{"name": "x", "form": Obj{"fields": []Obj{{"code": "", "type": "photo"}}}, "scope": Obj{"compounds": []string{"sanjiang_t"}}},
	Obj{"name": "x", "form": Obj{"fields": []Obj{{"code": "a", "label": "a", "type": "choice", "choices": []string{}}}}, "scope": Obj{"compounds": []string{"sanjiang_t"}}},
	Obj{"name": "x", "starts": "2026-02-30", "ends": "x", "collectors": []Obj{{"user": "volunteer", "buildings": "x"}}},
	Obj{"submission_id": "", "household": "x", "outcome": "done"}, Obj{"submission_id": "j6", "household": "-1", "outcome": "maybe", "answers": []int{1}},
	Obj{"submission_id": "j7", "household": "1", "outcome": "done", "answers": Obj{"people": "three", "housing": 1}, "collected_at": "x"},
	Obj{"reason": 7}, Obj{"reason": ""}, Obj{"reason": strings.Repeat("因", 2000)},
}

// ErrorShape fails the test unless a refusal is the contract's error
// shape: {"error": {"code", "message"}} and, for a 400, the fields at fault.
func ErrorShape(t testing.TB, what string, status int, body Obj) {
	t.Helper()
	if status < 400 {
		return
	}
	e, _ := body["error"].(Obj)
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	if code == "" || msg == "" {
		t.Errorf("%s: %d without the error shape: %v", what, status, body)
		return
	}
	if f, _ := e["fields"].(Obj); status == 400 && len(f) == 0 {
		t.Errorf("%s: 400 without fields: %v", what, body)
	}
}

// Esc is v escaped for a query value and for a path segment.
func Esc(v string) (query, path string) { return url.QueryEscape(v), url.PathEscape(v) }
