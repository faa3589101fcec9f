package communitytest

// Junk is a set of request bodies that are wrong in every way a client can
// send: not JSON, the wrong shape, wrong types, huge or broken text. A
// module's routes must answer each with a 4xx, never a 500, on both
// databases.
var Junk = []any{
	"", "{", "[]", "null", `"x"`, "{}{}", `{"version":"1"}`, `{"version":1e400}`,
	Obj{"text": "a\x00b", "topic": "a\x00b", "name": "a\x00b", "minutes": "a\x00b"},
	Obj{"kind": 7, "compound": []int{1}, "starts_at": "yesterday", "orders": "1", "participants": Obj{}},
	Obj{"compounds": []string{"sanjiang"}, "from": "2026-01-01", "to": "2099-01-01", "team": "1", "windows": []string{"x"}},
	Obj{"date": "2026-02-30", "start": "25:00", "end": "00:61", "volunteers": []string{"-1", "abc", "99999999999999999999"}},
	Obj{"time": "not a time", "position": Obj{"lat": "n", "lng": 1e308}},
	Obj{"photo": "data:image/png;base64,@@@", "building": string(make([]byte, 100)), "create_order": "yes"},
	Obj{"swap": Obj{"from": 1}, "volunteers": 3, "cancel": "no", "version": -1},
	Obj{"due": "2026-13-45", "owner": "", "text": ""},
	Obj{"unavailable": []string{"someday"}, "skills": []int{1}, "phone": "☎"},
}
