package textproc

import (
	"strings"
)

// Placeholders that replace personal data. They are plain ASCII words in
// brackets so that they survive segmentation as one recognisable token
// ("phone", "idcard", …) instead of disappearing: "please call [PHONE]" is
// still a useful signal for a classifier, the number itself never is.
const (
	PhonePlaceholder    = "[PHONE]"
	IDCardPlaceholder   = "[IDCARD]"
	EmailPlaceholder    = "[EMAIL]"
	BankCardPlaceholder = "[BANKCARD]"
)

// Redact masks personal data in text before it reaches a model, a cluster
// label or a log line: mainland mobile numbers (1[3-9] + 9 digits, also
// written +86 138 1234 5678 or 138-1234-5678), landlines with an area code
// (0731-84512345, (010)12345678) and bare 7–8 digit landlines right after a
// word like 电话, 18-digit resident ID numbers (with a valid birth date),
// 16–19 digit bank card numbers that pass the Luhn check, and e-mail
// addresses. Everything else, including dates, order numbers and the hotline
// number 12345, is left alone.
func Redact(text string) string {
	if !strings.ContainsAny(text, "0123456789@０１２３４５６７８９") {
		return text
	}
	text = redactEmails(text)
	return redactNumbers(text)
}

// numGroup is a run of digits (ASCII or full width) in the text.
type numGroup struct {
	start, end int    // byte offsets in the text
	digits     string // ASCII digits
}

func digitAt(s string, i int) (d byte, size int) {
	if c := s[i]; c >= '0' && c <= '9' {
		return c, 1
	}
	// Full-width digits ０-９ are U+FF10..U+FF19: EF BC 90..99.
	if i+2 < len(s) && s[i] == 0xEF && s[i+1] == 0xBC && s[i+2] >= 0x90 && s[i+2] <= 0x99 {
		return '0' + (s[i+2] - 0x90), 3
	}
	return 0, 0
}

func scanGroups(s string) []numGroup {
	var gs []numGroup
	for i := 0; i < len(s); {
		if _, n := digitAt(s, i); n == 0 {
			i++
			continue
		}
		g := numGroup{start: i}
		var b []byte
		for i < len(s) {
			d, n := digitAt(s, i)
			if n == 0 {
				break
			}
			b = append(b, d)
			i += n
		}
		g.end, g.digits = i, string(b)
		gs = append(gs, g)
	}
	return gs
}

// joinable reports whether the bytes between two digit groups are a
// separator people put inside phone numbers: one space, hyphen or a pair of
// brackets around an area code. (U+00A0 shows up in text pasted from web
// pages.)
func joinable(sep string) bool {
	switch sep {
	case " ", "\u00a0", "-", "–", "－", ")", "）", ") ", ")-", "）-":
		return true
	}
	return false
}

func redactNumbers(s string) string {
	gs := scanGroups(s)
	if len(gs) == 0 {
		return s
	}
	var out strings.Builder
	last := 0
	for i := 0; i < len(gs); {
		// Try the longest run of joinable groups first (up to 4: +86 138
		// 1234 5678), then shorter ones.
		matched := false
		for j := min(i+3, len(gs)-1); j >= i; j-- {
			ok := true
			var digits strings.Builder
			for k := i; k <= j; k++ {
				if k > i && !joinable(s[gs[k-1].end:gs[k].start]) {
					ok = false
					break
				}
				digits.WriteString(gs[k].digits)
			}
			if !ok {
				continue
			}
			start, end := gs[i].start, gs[j].end
			kind := classifyNumber(s, start, end, digits.String(), j > i)
			if kind == "" {
				continue
			}
			// A "+" or "(" directly before belongs to the number.
			if start > 0 && (s[start-1] == '+' || s[start-1] == '(') {
				start--
			}
			if start < last {
				start = last
			}
			out.WriteString(s[last:start])
			out.WriteString(kind)
			last = end
			if kind == IDCardPlaceholder && end < len(s) && (s[end] == 'X' || s[end] == 'x') {
				last++
			}
			i = j + 1
			matched = true
			break
		}
		if !matched {
			i++
		}
	}
	out.WriteString(s[last:])
	return out.String()
}

// classifyNumber decides what the digits between start and end are, or ""
// if they are nothing personal. joined says whether separators were inside.
func classifyNumber(s string, start, end int, d string, joined bool) string {
	n := len(d)
	switch {
	case n == 11 && isMobile(d):
		return PhonePlaceholder
	case n == 13 && strings.HasPrefix(d, "86") && isMobile(d[2:]):
		return PhonePlaceholder
	case n == 17 && !joined && end < len(s) && (s[end] == 'X' || s[end] == 'x') && isIDCard(d+"X"):
		return IDCardPlaceholder
	case n == 18 && !joined && isIDCard(d):
		return IDCardPlaceholder
	case n >= 16 && n <= 19 && !joined && luhn(d):
		return BankCardPlaceholder
	case n >= 10 && n <= 12 && d[0] == '0' && d[1] != '0':
		// Area code (3–4 digits, leading 0) + 7–8 digit subscriber number,
		// written together or with a separator.
		return PhonePlaceholder
	case (n == 7 || n == 8) && !joined && d[0] >= '2' && phoneContext(s[:start]):
		return PhonePlaceholder
	}
	return ""
}

func isMobile(d string) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}

// isIDCard checks an 18-character resident ID: a region code not starting
// with 0, a plausible birth date, and digits or a final X. The checksum is
// deliberately not required: people mistype it, and a mistyped ID number is
// still personal data.
func isIDCard(d string) bool {
	if len(d) != 18 || d[0] == '0' {
		return false
	}
	for i := 0; i < 17; i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	if c := d[17]; !(c >= '0' && c <= '9') && c != 'X' && c != 'x' {
		return false
	}
	year := d[6:10]
	month := (d[10]-'0')*10 + d[11] - '0'
	day := (d[12]-'0')*10 + d[13] - '0'
	return (strings.HasPrefix(year, "19") || strings.HasPrefix(year, "20")) &&
		month >= 1 && month <= 12 && day >= 1 && day <= 31
}

func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// phoneContext reports whether the text just before a bare 7–8 digit number
// names it as a telephone number (电话, 座机, 联系方式, tel …), because
// without an area code such a number could as well be an amount or a code.
func phoneContext(before string) bool {
	// Look back at most 8 runes.
	tail := before
	for i, n := len(before), 0; i > 0 && n < 8; n++ {
		i--
		for i > 0 && before[i]&0xC0 == 0x80 {
			i--
		}
		tail = before[i:]
	}
	tail = strings.ToLower(tail)
	for _, w := range []string{"电话", "座机", "固话", "联系方式", "手机", "tel", "phone", "热线"} {
		if strings.Contains(tail, w) {
			return true
		}
	}
	return false
}

func isEmailLocal(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isEmailDomain(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

func redactEmails(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	var out strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '@' || i < last {
			continue
		}
		l := i
		for l > last && isEmailLocal(s[l-1]) {
			l--
		}
		r := i + 1
		for r < len(s) && isEmailDomain(s[r]) {
			r++
		}
		// Trailing dots belong to the sentence, not the address.
		for r > i+1 && s[r-1] == '.' {
			r--
		}
		domain := s[i+1 : r]
		dot := strings.LastIndexByte(domain, '.')
		if l == i || dot <= 0 || len(domain)-dot-1 < 2 {
			continue
		}
		out.WriteString(s[last:l])
		out.WriteString(EmailPlaceholder)
		last = r
		i = r - 1
	}
	if last == 0 {
		return s
	}
	out.WriteString(s[last:])
	return out.String()
}
