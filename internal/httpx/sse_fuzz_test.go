package httpx

import (
	"regexp"
	"strings"
	"testing"
)

var sseLines = regexp.MustCompile(`\r\n|\r|\n`)

// FuzzSSEFrame reads each framed event back as a browser's EventSource
// does (lines end at CR, LF or CRLF; "field: value"): exactly one event,
// with the name, id and data sent (line breaks in data as LF) and no other
// field, whatever the data holds.
func FuzzSSEFrame(f *testing.F) {
	f.Add("board", "42", `{"seq":42,"event":{"name":"台风"}}`)
	f.Add("board", "1", "a\nb")
	f.Add("board", "1", "x\revent: evil\rid: 9")
	f.Add("", "", "\r\n\r\n")
	f.Fuzz(func(t *testing.T, name, id, data string) {
		out, err := frame(name, id, data)
		if err != nil {
			if !strings.ContainsAny(name+id, "\r\n") {
				t.Fatalf("refused name %q id %q: %v", name, id, err)
			}
			return
		}
		if !strings.HasSuffix(out, "\n\n") {
			t.Fatalf("event not ended by a blank line: %q", out)
		}
		var gotName, gotID string
		var dataLines []string
		lines := sseLines.Split(strings.TrimSuffix(out, "\n\n"), -1)
		for _, line := range lines {
			if line == "" {
				t.Fatalf("a blank line inside the event ends it early: %q", out)
			}
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				gotName = value
			case "id":
				gotID = value
			case "data":
				dataLines = append(dataLines, value)
			default:
				t.Fatalf("field %q in %q", field, out)
			}
		}
		want := sseLines.ReplaceAllString(data, "\n")
		if gotName != name || gotID != id || strings.Join(dataLines, "\n") != want {
			t.Fatalf("read back name %q id %q data %q; sent %q %q %q", gotName, gotID, strings.Join(dataLines, "\n"), name, id, data)
		}
	})
}
