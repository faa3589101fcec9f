package seal

import (
	"fmt"
	"log/slog"
)

// Masked is what a Secret shows of itself everywhere but Reveal.
const Masked = "***"

// Secret is a personal value in memory (an ID number, a phone, a note).
// Printing it, logging it with slog, or marshalling it to JSON or text shows
// "***", so that a struct carrying it can be logged or dumped by accident
// without leaking anything; Reveal is the one deliberate way to the value.
type Secret string

// Reveal returns the value itself. Call it only where the value is meant to
// leave: sealing it, comparing it, or an audited reveal.
func (s Secret) Reveal() string { return string(s) }

// String masks the value (fmt's %v, %s, %q).
func (s Secret) String() string { return Masked }

// GoString masks the value (fmt's %#v).
func (s Secret) GoString() string { return `seal.Secret("` + Masked + `")` }

// Format masks the value under every fmt verb, including %x and %d.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, Masked)
}

// LogValue masks the value in slog records.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Masked) }

// MarshalJSON masks the value in JSON; an API that must show it (masked per
// role, or revealed) puts a plain string in its response instead.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Masked + `"`), nil }

// MarshalText masks the value for text encoders (XML, slog's text keys…).
func (s Secret) MarshalText() ([]byte, error) { return []byte(Masked), nil }

// UnmarshalText takes the value as given, so a Secret decodes from a JSON
// request body or a form like a plain string.
func (s *Secret) UnmarshalText(b []byte) error { *s = Secret(b); return nil }
