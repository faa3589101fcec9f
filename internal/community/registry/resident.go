// Package registry is the residents' registry (实有人口, community.md §1):
// who lives in which household, who needs care, and the rules around their
// personal data. It holds the domain (residents, their validation, care
// tags, masking) and the service (who may do what, through access); it is
// pure of SQL and declares the stores it needs (registrydb, placedb
// implement them).
//
// The schema's intent (registrydb's migrations):
//   - a resident row carries its area, compound and building copied from its
//     household, so the lists committees use most (an area, a building, a
//     care tag in a building) are one index range each, without joins, at a
//     million residents;
//   - care tags are a bitmask (CareTag bits) with a partial index over the
//     residents that have any, so "every elderly person living alone in the
//     low-lying buildings" reads only the few cared-for rows;
//   - id_number, phone and notes are sealed (internal/seal, AES-256-GCM with
//     the row id and the column as associated data, so a ciphertext moved to
//     another row or field does not open); id_number and phone also get a
//     blind index (a keyed hash) for exact lookup, and their masked form
//     (310***********1234, 138****5678: what every screen shows anyway) so
//     lists never decrypt anything; key_id says under which key a row was
//     sealed, so re-encryption after a rotation finds the old rows by index;
//   - residents are never deleted: moving out or death is a status.
package registry

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/place"
)

// Status is where a resident stands.
type Status string

// Statuses (community.md §1). Residents are never deleted.
const (
	Active   Status = "active"
	MovedOut Status = "moved_out"
	Deceased Status = "deceased"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == Active || s == MovedOut || s == Deceased }

// CareTag is a reason a resident needs the committee's care.
type CareTag string

// Care tags (community.md §1), each one bit of the stored mask.
const (
	ElderlyAlone     CareTag = "elderly_alone"     // 独居老人
	Elderly80Plus    CareTag = "elderly_80plus"    // 80岁以上
	Disabled         CareTag = "disabled"          // 残疾
	LowIncome        CareTag = "low_income"        // 低保/低收入
	MobilityImpaired CareTag = "mobility_impaired" // 行动不便
	ChildLeftBehind  CareTag = "child_left_behind" // 留守儿童
)

// CareTags lists every tag in bit order: tag i is bit 1<<i. The order is
// stored; append only.
var CareTags = []CareTag{ElderlyAlone, Elderly80Plus, Disabled, LowIncome, MobilityImpaired, ChildLeftBehind}

// TagNames are the Chinese names of the tags (the first is the one shown;
// the others are variants committees write in spreadsheets).
var TagNames = map[CareTag][]string{
	ElderlyAlone:     {"独居老人", "独居"},
	Elderly80Plus:    {"80岁以上", "高龄", "八十岁以上", "80岁以上老人", "高龄老人"},
	Disabled:         {"残疾", "残疾人", "残障"},
	LowIncome:        {"低保", "低收入", "低保户", "低收入户"},
	MobilityImpaired: {"行动不便"},
	ChildLeftBehind:  {"留守儿童"},
}

// Bit is the tag's bit in the stored mask, 0 for an unknown tag.
func (t CareTag) Bit() int64 {
	for i, x := range CareTags {
		if x == t {
			return 1 << i
		}
	}
	return 0
}

// TagMask is the stored mask of tags (unknown tags contribute nothing).
func TagMask(tags []CareTag) int64 {
	var m int64
	for _, t := range tags {
		m |= t.Bit()
	}
	return m
}

// TagsOf is the tags of a stored mask, in CareTags order.
func TagsOf(mask int64) []CareTag {
	out := []CareTag{}
	for i, t := range CareTags {
		if mask&(1<<i) != 0 {
			out = append(out, t)
		}
	}
	return out
}

// TagFromChinese maps a tag as written in a spreadsheet (Chinese or the
// code itself) to the tag.
func TagFromChinese(s string) (CareTag, bool) {
	s = strings.TrimSpace(s)
	for _, t := range CareTags {
		if string(t) == s {
			return t, true
		}
		for _, n := range TagNames[t] {
			if n == s {
				return t, true
			}
		}
	}
	return "", false
}

// Relations to the head of the household.
var Relations = []string{"head", "spouse", "child", "parent", "other"}

// Residences: 户籍 registered, 常住 resident, 流动 floating.
var Residences = []string{"registered", "resident", "floating"}

// Fields that are sealed at rest and shown only masked or by a reveal.
const (
	FieldIDNumber = "id_number"
	FieldPhone    = "phone"
	FieldNotes    = "notes"
)

// SealedFields lists them.
var SealedFields = []string{FieldIDNumber, FieldPhone, FieldNotes}

// NotesMask is what a list or a page shows for notes that exist.
const NotesMask = "***"

// Resident is a resident as an API shows it: id_number and phone masked,
// notes hidden behind NotesMask. The full values only ever leave the store
// through a reveal (audited) or an admin's export with a reason.
type Resident struct {
	ID        string    `json:"id"`
	Household string    `json:"household"`
	Building  string    `json:"building"`
	Compound  string    `json:"compound"`
	Area      string    `json:"area"`
	Name      string    `json:"name"`
	Gender    string    `json:"gender"`
	BirthDate string    `json:"birth_date"`
	IDNumber  string    `json:"id_number"`
	Phone     string    `json:"phone"`
	Relation  string    `json:"relation"`
	Residence string    `json:"residence"`
	CareTags  []CareTag `json:"care_tags"`
	Notes     string    `json:"notes"`
	Status    Status    `json:"status"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Person is what a resident is made of, in the clear: what a create or an
// import writes. The store seals IDNumber, Phone and Notes.
type Person struct {
	Household int64
	Name      string
	Gender    string
	BirthDate string
	IDNumber  string
	Phone     string
	Relation  string
	Residence string
	Tags      int64
	Notes     string
	Status    Status
}

// NewResident is the body of POST /api/v1/residents.
type NewResident struct {
	Household string    `json:"household"`
	Name      string    `json:"name"`
	Gender    string    `json:"gender"`
	BirthDate string    `json:"birth_date"`
	IDNumber  string    `json:"id_number"`
	Phone     string    `json:"phone"`
	Relation  string    `json:"relation"`
	Residence string    `json:"residence"`
	CareTags  []CareTag `json:"care_tags"`
	Notes     string    `json:"notes"`
	Status    Status    `json:"status"`
}

// Person validates a new resident and returns it normalized: the ID
// number upper-cased, the phone as digits, birth date and gender taken from
// the ID number when not given, relation "other", residence "registered"
// and status "active" by default.
func (n NewResident) Person() (Person, error) {
	f := apperr.Fields{}
	p := Person{Name: strings.TrimSpace(n.Name), Gender: n.Gender, BirthDate: strings.TrimSpace(n.BirthDate),
		Relation: n.Relation, Residence: n.Residence, Notes: n.Notes, Status: n.Status}
	hh, err := strconv.ParseInt(strings.TrimSpace(n.Household), 10, 64)
	if err != nil || hh <= 0 {
		f.Add("household", "required: a household id")
	}
	p.Household = hh
	p.IDNumber, p.Phone = CheckIDNumber(f, n.IDNumber), CheckPhone(f, n.Phone)
	p.Tags = checkTags(f, n.CareTags)
	fill(f, &p)
	return p, f.Err()
}

// fill defaults and checks the plain fields of p, deriving what the ID
// number says (birth date, gender) and checking they agree.
func fill(f apperr.Fields, p *Person) {
	place.CheckText(f, "name", p.Name, 64, true)
	if utf8.RuneCountInString(p.Notes) > 2000 || !utf8.ValidString(p.Notes) || strings.ContainsRune(p.Notes, 0) {
		f.Add("notes", "plain text of at most 2000 characters")
	}
	idBirth, idGender := "", ""
	if p.IDNumber != "" {
		idBirth, idGender = BirthOf(p.IDNumber), GenderOf(p.IDNumber)
	}
	switch {
	case p.BirthDate == "":
		p.BirthDate = idBirth
	case !validDate(p.BirthDate):
		f.Add("birth_date", "a date like 1948-03-07")
	case idBirth != "" && p.BirthDate != idBirth:
		f.Add("birth_date", "does not agree with the ID number's birth date "+idBirth)
	}
	if p.Gender == "" {
		p.Gender = idGender
	}
	if p.Gender != "m" && p.Gender != "f" {
		f.Add("gender", "m or f")
	}
	if p.Relation == "" {
		p.Relation = "other"
	}
	if !oneOf(p.Relation, Relations) {
		f.Add("relation", "one of head, spouse, child, parent, other")
	}
	if p.Residence == "" {
		p.Residence = "registered"
	}
	if !oneOf(p.Residence, Residences) {
		f.Add("residence", "one of registered, resident, floating")
	}
	if p.Status == "" {
		p.Status = Active
	}
	if !p.Status.Valid() {
		f.Add("status", "one of active, moved_out, deceased")
	}
}

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

func checkTags(f apperr.Fields, tags []CareTag) int64 {
	for _, t := range tags {
		if t.Bit() == 0 {
			f.Add("care_tags", "unknown tag "+strconv.Quote(string(t))+"; known: elderly_alone, elderly_80plus, disabled, low_income, mobility_impaired, child_left_behind")
		}
	}
	return TagMask(tags)
}

func validDate(s string) bool {
	t, err := time.Parse("2006-01-02", s)
	return err == nil && t.Year() >= 1880 && !t.After(time.Now().Add(24*time.Hour))
}

// Patch is the body of PATCH /api/v1/residents/{id}: only the fields it
// carries change; version is required. A masked value sent back as it was
// shown (an editor that round-trips the resident) means "unchanged".
type Patch struct {
	Version   *int64     `json:"version"`
	Household *string    `json:"household"`
	Name      *string    `json:"name"`
	Gender    *string    `json:"gender"`
	BirthDate *string    `json:"birth_date"`
	IDNumber  *string    `json:"id_number"`
	Phone     *string    `json:"phone"`
	Relation  *string    `json:"relation"`
	Residence *string    `json:"residence"`
	CareTags  *[]CareTag `json:"care_tags"`
	Notes     *string    `json:"notes"`
	Status    *Status    `json:"status"`
}

// Change is a validated edit for the store: the whole person after the
// edit, and which sealed fields are to be rewritten (the others keep their
// ciphertext).
type Change struct {
	Person
	SetIDNumber, SetPhone, SetNotes bool
}

// Apply merges p into the current resident cur. idNumber opens the stored
// ID number when the check needs it (a new birth date against it).
func (p Patch) Apply(cur Resident, idNumber func() (string, error)) (Change, error) {
	f := apperr.Fields{}
	if p.Version == nil {
		f.Add("version", "required: the version you read")
	}
	c := Change{Person: Person{Name: cur.Name, Gender: cur.Gender, BirthDate: cur.BirthDate, Relation: cur.Relation,
		Residence: cur.Residence, Tags: TagMask(cur.CareTags), Status: cur.Status}}
	c.Household, _ = strconv.ParseInt(cur.Household, 10, 64)
	if p.Household != nil {
		hh, err := strconv.ParseInt(strings.TrimSpace(*p.Household), 10, 64)
		if err != nil || hh <= 0 {
			f.Add("household", "a household id")
		}
		c.Household = hh
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&c.Name, p.Name)
	set(&c.Gender, p.Gender)
	set(&c.BirthDate, p.BirthDate)
	set(&c.Relation, p.Relation)
	set(&c.Residence, p.Residence)
	if p.Status != nil {
		c.Status = *p.Status
	}
	if p.CareTags != nil {
		c.Tags = checkTags(f, *p.CareTags)
	}
	if p.IDNumber != nil && *p.IDNumber != cur.IDNumber {
		c.SetIDNumber = true
		c.IDNumber = CheckIDNumber(f, *p.IDNumber)
	}
	if p.Phone != nil && *p.Phone != cur.Phone {
		c.SetPhone = true
		c.Phone = CheckPhone(f, *p.Phone)
	}
	if p.Notes != nil && !(cur.Notes == NotesMask && *p.Notes == NotesMask) {
		c.SetNotes = true
		c.Notes = *p.Notes
	}
	// The birth date must agree with the ID number the resident will have.
	id := c.IDNumber
	if !c.SetIDNumber && p.BirthDate != nil && cur.IDNumber != "" {
		v, err := idNumber()
		if err != nil {
			return c, err
		}
		id = v
	}
	if c.SetIDNumber && c.IDNumber != "" && p.BirthDate == nil {
		c.BirthDate = "" // taken from the new number
	}
	if p.Gender == nil && c.SetIDNumber && c.IDNumber != "" {
		c.Gender = ""
	}
	saved := c.IDNumber
	c.IDNumber = id
	fill(f, &c.Person)
	c.IDNumber = saved
	return c, f.Err()
}

// MoveOut is the body of POST /api/v1/residents/{id}/move_out: status
// moved_out (default) or deceased; version optional (checked when given).
type MoveOut struct {
	Status  Status `json:"status"`
	Version *int64 `json:"version"`
}

// Reveal is the body of POST /api/v1/residents/{id}/reveal.
type Reveal struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Validate checks a reveal: a sealed field and a reason.
func (r *Reveal) Validate() error {
	f := apperr.Fields{}
	if !oneOf(r.Field, SealedFields) {
		f.Add("field", "one of id_number, phone, notes")
	}
	r.Reason = strings.TrimSpace(r.Reason)
	if r.Reason == "" {
		f.Add("reason", "required: why you need to see it in full")
	} else {
		place.CheckText(f, "reason", r.Reason, 200, true)
	}
	return f.Err()
}

// MaskIDNumber and MaskPhone are the masks every screen shows
// (310***********1234, 138****5678), the same rule as orders' callers.
func MaskIDNumber(id string) string { return order.MaskIDNumber(id) }

// MaskPhone masks a phone number (138****5678).
func MaskPhone(p string) string { return order.MaskPhone(p) }

var (
	idPattern       = regexp.MustCompile(`^[1-9][0-9]{16}[0-9X]$`)
	mobilePattern   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	landlinePattern = regexp.MustCompile(`^(0[1-9][0-9]{1,2}[2-9][0-9]{6,7}|[2-9][0-9]{6,7})$`)
	idWeights       = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
)

// NormalizeIDNumber drops spaces and makes the check character upper case
// (and full-width digits ASCII, as spreadsheets sometimes have them).
func NormalizeIDNumber(s string) string { return normalizeDigits(s, true) }

// NormalizePhone drops spaces, hyphens, brackets and a +86/0086 prefix.
func NormalizePhone(s string) string {
	d := normalizeDigits(s, false)
	for _, p := range []string{"+86", "0086"} {
		if strings.HasPrefix(d, p) && len(d)-len(p) >= 11 {
			d = d[len(p):]
		}
	}
	return d
}

func normalizeDigits(s string, upper bool) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		switch {
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '\t' || r == 0x3000:
			continue
		case upper && r == 'x':
			r = 'X'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ValidIDNumber reports whether id (normalized) is an 18-character
// resident identity number with a correct GB 11643 check character and a
// real birth date.
func ValidIDNumber(id string) bool {
	return idPattern.MatchString(id) && id[17] == checkChar(id) && validDate(BirthOf(id))
}

func checkChar(id string) byte {
	sum := 0
	for i, w := range idWeights {
		sum += int(id[i]-'0') * w
	}
	return "10X98765432"[sum%11]
}

// CheckDigitOf returns the GB 11643 check character for the first 17
// digits (for tests and generators of fake numbers).
func CheckDigitOf(first17 string) byte { return checkChar(first17 + "0") }

// BirthOf is the birth date an ID number carries (YYYY-MM-DD).
func BirthOf(id string) string {
	if len(id) < 14 {
		return ""
	}
	return id[6:10] + "-" + id[10:12] + "-" + id[12:14]
}

// GenderOf is the gender an ID number carries: its 17th digit, odd for men.
func GenderOf(id string) string {
	if len(id) < 17 {
		return ""
	}
	if (id[16]-'0')%2 == 1 {
		return "m"
	}
	return "f"
}

// CheckIDNumber normalizes and checks an ID number ("" is allowed: not
// everyone's is known), recording the problem in f.
func CheckIDNumber(f apperr.Fields, s string) string {
	id := NormalizeIDNumber(s)
	switch {
	case id == "":
	case len(id) != 18 || !idPattern.MatchString(id):
		f.Add("id_number", "18 characters: 17 digits and a digit or X")
	case !validDate(BirthOf(id)):
		f.Add("id_number", "its birth date (characters 7-14) is not a real date")
	case id[17] != checkChar(id):
		f.Add("id_number", "wrong check character (GB 11643); a digit is mistyped")
	}
	return id
}

// CheckPhone normalizes and checks a phone: a mainland mobile (11 digits
// starting 13-19) or a landline with or without its area code.
func CheckPhone(f apperr.Fields, s string) string {
	p := NormalizePhone(s)
	if p != "" && !mobilePattern.MatchString(p) && !landlinePattern.MatchString(p) {
		f.Add("phone", "a mainland mobile (13812345678) or landline (021-55551234) number")
	}
	return p
}
