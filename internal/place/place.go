// Package place is the map of where people live, shared by work orders and
// the residents' registry (community.md §1): a residential area (居民区, one
// committee unit) holds compounds (小区), a compound holds buildings (楼/幢),
// a building holds households (户). It is pure: types, codes and validation;
// the SQL is in placedb.
//
// Compounds and buildings predate the registry (orders name them), so they
// keep their tables; a building gains a server-wide code derived from its
// compound and number ("sanjiang-29" for 三江 29号楼) so that a household,
// a patrol finding or an emergency can name it with one string, and its
// number stays its name ("29号楼"). Households are new: a unit (单元) and a
// room under a building, with a kind.
package place

import (
	"strings"
	"unicode/utf8"

	"hotline/internal/apperr"
)

// Compound is a residential compound (小区) of an area.
type Compound struct {
	Code    string   `json:"code"`
	Name    string   `json:"name"`
	Area    string   `json:"area"`
	GeoJSON string   `json:"geojson,omitempty"`
	Lat     *float64 `json:"lat,omitempty"`
	Lng     *float64 `json:"lng,omitempty"`
}

// Point is a WGS-84 position.
type Point struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// Building is a building (楼/幢) of a compound. Code is unique across the
// server; Name is how committees write it ("29号楼").
type Building struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Compound string `json:"compound"`
	Area     string `json:"area"`
	Floors   int    `json:"floors"`
	LowLying bool   `json:"low_lying"`
	Point    *Point `json:"point,omitempty"`
}

// BuildingCode is the code a building gets from its compound and number:
// the number without the words committees put around it (号楼, 号, 幢, 栋,
// 楼), so 29号楼 of sanjiang is "sanjiang-29". The storage computes the same
// expression (a generated column), so rows written by older code get it too.
func BuildingCode(compound, number string) string {
	n := number
	for _, w := range []string{"号楼", "号", "幢", "栋", "楼"} {
		n = strings.ReplaceAll(n, w, "")
	}
	return compound + "-" + n
}

// BuildingEdit is what PUT /api/v1/buildings/{code} changes.
type BuildingEdit struct {
	Floors   *int   `json:"floors"`
	LowLying *bool  `json:"low_lying"`
	Point    *Point `json:"point"`
}

// Validate checks an edit.
func (e BuildingEdit) Validate() error {
	f := apperr.Fields{}
	if e.Floors != nil && (*e.Floors < 0 || *e.Floors > 200) {
		f.Add("floors", "must be between 0 and 200")
	}
	if e.Point != nil {
		checkPoint(f, "point", *e.Point)
	}
	return f.Err()
}

func checkPoint(f apperr.Fields, field string, p Point) {
	if p.Lat < -90 || p.Lat > 90 || p.Lng < -180 || p.Lng > 180 {
		f.Add(field, "lat must be within ±90 and lng within ±180")
	}
}

// HouseholdKind is what a household is.
type HouseholdKind string

// Household kinds (community.md §1).
const (
	Residential HouseholdKind = "residential"
	Collective  HouseholdKind = "collective" // 集体户
	Shop        HouseholdKind = "shop"
	Vacant      HouseholdKind = "vacant"
)

// HouseholdKinds lists every kind.
var HouseholdKinds = []HouseholdKind{Residential, Collective, Shop, Vacant}

// Valid reports whether k is a known kind.
func (k HouseholdKind) Valid() bool {
	for _, x := range HouseholdKinds {
		if k == x {
			return true
		}
	}
	return false
}

// Household is a dwelling (户) of a building. The id is a string in JSON
// like every community id.
type Household struct {
	ID       string        `json:"id"`
	Building string        `json:"building"`
	UnitNo   string        `json:"unit_no"`
	Room     string        `json:"room"`
	Kind     HouseholdKind `json:"kind"`
	Compound string        `json:"compound"`
	Area     string        `json:"area"`
	Version  int64         `json:"version"`
}

// NewHousehold is the body of POST /api/v1/households.
type NewHousehold struct {
	Building string        `json:"building"`
	UnitNo   string        `json:"unit_no"`
	Room     string        `json:"room"`
	Kind     HouseholdKind `json:"kind"`
}

// Normalize trims the text fields and defaults the kind to residential.
func (n *NewHousehold) Normalize() {
	n.Building = strings.TrimSpace(n.Building)
	n.UnitNo = strings.TrimSpace(n.UnitNo)
	n.Room = strings.TrimSpace(n.Room)
	if n.Kind == "" {
		n.Kind = Residential
	}
}

// Validate checks a new household (after Normalize).
func (n NewHousehold) Validate() error {
	f := apperr.Fields{}
	if n.Building == "" {
		f.Add("building", "required: the building's code")
	}
	checkText(f, "unit_no", n.UnitNo, 16, false)
	checkText(f, "room", n.Room, 32, true)
	if !n.Kind.Valid() {
		f.Add("kind", "must be residential, collective, shop or vacant")
	}
	return f.Err()
}

// HouseholdEdit changes a household's unit, room and kind (the building
// stays: a household in another building is another household). Version
// is the one the editor read; a stale one is a conflict.
type HouseholdEdit struct {
	Version int64
	UnitNo  string
	Room    string
	Kind    HouseholdKind
}

// Validate normalizes and checks an edit with NewHousehold's rules.
func (e *HouseholdEdit) Validate() error {
	n := NewHousehold{Building: "-", UnitNo: e.UnitNo, Room: e.Room, Kind: e.Kind}
	n.Normalize()
	e.UnitNo, e.Room, e.Kind = n.UnitNo, n.Room, n.Kind
	return n.Validate()
}

// checkText checks a short text field: valid UTF-8, no control characters,
// at most max characters, present when required.
func checkText(f apperr.Fields, field, s string, max int, required bool) {
	switch {
	case required && s == "":
		f.Add(field, "required")
	case !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		f.Add(field, "must be plain text")
	case utf8.RuneCountInString(s) > max:
		f.Add(field, "too long")
	}
}

// CheckText is checkText for other packages' short text fields.
func CheckText(f apperr.Fields, field, s string, max int, required bool) {
	checkText(f, field, s, max, required)
}

// HouseholdFilter narrows a household list: Area "" is every area; AfterID
// is the cursor (households come in id order).
type HouseholdFilter struct {
	Area     string
	Compound string
	Building string
	AfterID  int64
	Limit    int
}
