package order

import "strings"

// SeesCallerInFull reports whether a role sees callers' phones and names
// unmasked (product.md: operator, dispatcher and admin). Each such view is
// audited by the service.
func SeesCallerInFull(r Role) bool {
	return r == RoleOperator || r == RoleDispatcher || r == RoleAdmin
}

// CallerView is the caller as one actor may see it. Hidden is true when the
// caller asked for confidentiality and the actor is a handler: nothing of the
// caller is shown at all.
type CallerView struct {
	Caller
	Hidden   bool
	Unmasked bool
}

// CallerFor returns the caller masked for the actor.
func CallerFor(c Caller, a Actor) CallerView {
	switch {
	case SeesCallerInFull(a.Role):
		return CallerView{Caller: c, Unmasked: c.Phone != "" || c.Name != ""}
	case c.Confidential && a.Role == RoleHandler:
		return CallerView{Caller: Caller{Confidential: true, Anonymous: c.Anonymous}, Hidden: true}
	}
	return CallerView{Caller: Caller{Name: MaskName(c.Name), Phone: MaskPhone(c.Phone), Confidential: c.Confidential, Anonymous: c.Anonymous}}
}

// MaskPhone keeps the first three and last four digits of a number long
// enough to have them (138****5678); shorter numbers keep only the last two.
func MaskPhone(p string) string {
	r := []rune(p)
	switch {
	case len(r) == 0:
		return ""
	case len(r) >= 11:
		return string(r[:3]) + "****" + string(r[len(r)-4:])
	case len(r) > 4:
		return strings.Repeat("*", len(r)-2) + string(r[len(r)-2:])
	}
	return "****"
}

// MaskName keeps the family name (the first character): 张** for 张三丰.
func MaskName(n string) string {
	r := []rune(n)
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	}
	return string(r[:1]) + strings.Repeat("*", len(r)-1)
}

// MaskIDNumber keeps the first three and last four characters of a resident
// identity number (310***********1234 for the 18-character GB 11643 number,
// 310********1234 for an old 15-digit one): enough for a committee worker to
// tell two people apart on a list, too little to use the number. Anything
// shorter than eight characters is masked whole. Residents' phones use
// MaskPhone, the same rule as callers'.
func MaskIDNumber(id string) string {
	r := []rune(id)
	switch {
	case len(r) == 0:
		return ""
	case len(r) < 8:
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}
