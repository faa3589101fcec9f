package httpx

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// LocalPath returns s when it is a path on this server that is safe to
// send a browser to (a redirect after login or after an action, a "back"
// link), and fallback otherwise. Browsers forgive a lot in a Location:
// they drop tabs and newlines ("/\t/evil.example" is "//evil.example"),
// read a backslash as a slash ("/\evil.example") and follow a
// scheme-relative "//host". So s must parse as a URL with no scheme, no
// host and no user, start with exactly one slash, and hold no backslash,
// no control or space character and no invalid UTF-8 anywhere; nothing is
// repaired, a doubtful target is simply not followed.
func LocalPath(s, fallback string) string {
	if s == "" || len(s) > 2000 || !utf8.ValidString(s) || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
		return fallback
	}
	for _, r := range s {
		if r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) || r == utf8.RuneError {
			return fallback
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return fallback
	}
	return s
}
