// Package patrol is the volunteers and patrols module (community.md §2):
// volunteers and their teams, patrol shifts and their rota, check-in and
// check-out, the patrol log with findings that become work orders, and the
// views over them (who is on duty, coverage, hours).
//
// It is pure of SQL: the service decides who may do what (through access)
// and validates; Store (patroldb) reads and writes; OrderCreator (the orders'
// service) creates an order in the same transaction as a finding.
//
// A shift's status is computed when it is read, never stored: cancelled when
// cancelled; on_duty while someone checked in has not checked out; done once
// everyone checked in has checked out; missed when nobody checked in by its
// end; planned before that. Nothing has to sweep shifts into "missed", so
// any number of instances agree without coordination and a late check-in
// record (entered by a worker afterwards) turns missed into done by itself.
package patrol

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/seal"
)

// Shift statuses (community.md §2), plus cancelled for a shift taken off the
// rota with PATCH (kept, so that the rota's history stays readable).
const (
	Planned   = "planned"
	OnDuty    = "on_duty"
	Done      = "done"
	Missed    = "missed"
	Cancelled = "cancelled"
)

// CheckInEarly is how long before its start a shift may be checked into.
const CheckInEarly = 30 * time.Minute

// Team is a volunteer team (志愿者队伍) of one residential area.
type Team struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Area      string    `json:"area"`
	CreatedAt time.Time `json:"created_at"`
}

// Volunteer is a patrol volunteer. Phone is personal data: sealed at rest,
// shown masked.
type Volunteer struct {
	ID          string
	Name        string
	Phone       seal.Secret
	PartyMember bool
	Skills      []string
	Team        string
	Area        string
	Resident    *string // the registry's resident id
	User        *string // a volunteer login's username
	Unavailable []string
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// VolunteerInput is the body of POST and PATCH /api/v1/volunteers. Pointer
// fields are "not given" when nil (PATCH changes only what is given);
// Resident and User take "" to unlink.
type VolunteerInput struct {
	Name        *string      `json:"name"`
	Phone       *seal.Secret `json:"phone"`
	PartyMember *bool        `json:"party_member"`
	Skills      *[]string    `json:"skills"`
	Team        *string      `json:"team"`
	Area        *string      `json:"area"`
	Resident    *string      `json:"resident"`
	User        *string      `json:"user"`
	Unavailable *[]string    `json:"unavailable"`
	Version     *int64       `json:"version"`
}

var (
	mobileRe   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	landlineRe = regexp.MustCompile(`^0[1-9][0-9]{1,2}-?[0-9]{7,8}$`)
	dateRe     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	weekdays   = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
)

// ValidPhone reports whether p is a mainland mobile or landline number
// (spaces and hyphens between groups allowed).
func ValidPhone(p string) bool {
	c := strings.ReplaceAll(strings.ReplaceAll(p, " ", ""), "+86", "")
	return mobileRe.MatchString(c) || landlineRe.MatchString(c)
}

func checkText(f apperr.Fields, field, v string, required bool, max int) {
	switch {
	case required && strings.TrimSpace(v) == "":
		f.Add(field, "required")
	case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
		f.Add(field, "must be valid UTF-8 text without NUL characters")
	case utf8.RuneCountInString(v) > max:
		f.Add(field, "too long")
	}
}

// Apply validates in and applies it to v (a new volunteer when v.ID is "").
// Team and user existence are checked by the service against the store.
func (in VolunteerInput) Apply(v Volunteer) (Volunteer, error) {
	f := apperr.Fields{}
	isNew := v.ID == ""
	if in.Name != nil {
		v.Name = strings.TrimSpace(*in.Name)
		checkText(f, "name", v.Name, true, 50)
	} else if isNew {
		f.Add("name", "required")
	}
	if in.Phone != nil {
		p := strings.TrimSpace(in.Phone.Reveal())
		if p != "" && !ValidPhone(p) {
			f.Add("phone", "not a mainland mobile or landline number")
		}
		v.Phone = seal.Secret(p)
	}
	if in.PartyMember != nil {
		v.PartyMember = *in.PartyMember
	}
	if in.Skills != nil {
		v.Skills = []string{}
		for _, s := range *in.Skills {
			s = strings.TrimSpace(s)
			checkText(f, "skills", s, true, 30)
			v.Skills = append(v.Skills, s)
		}
		if len(v.Skills) > 20 {
			f.Add("skills", "at most 20")
		}
	}
	if in.Team != nil {
		v.Team = strings.TrimSpace(*in.Team)
	}
	if in.Area != nil {
		v.Area = strings.TrimSpace(*in.Area)
	}
	if in.Resident != nil {
		r := strings.TrimSpace(*in.Resident)
		checkText(f, "resident", r, false, 64)
		v.Resident = nilIfEmpty(r)
	}
	if in.User != nil {
		u := strings.TrimSpace(*in.User)
		checkText(f, "user", u, false, 64)
		v.User = nilIfEmpty(u)
	}
	if in.Unavailable != nil {
		v.Unavailable = []string{}
		for _, d := range *in.Unavailable {
			d = strings.ToLower(strings.TrimSpace(d))
			if !slices.Contains(weekdays, d) {
				if _, err := ParseDate(d); err != nil {
					f.Add("unavailable", "each entry is a date YYYY-MM-DD or a weekday sun..sat")
				}
			}
			v.Unavailable = append(v.Unavailable, d)
		}
		if len(v.Unavailable) > 400 {
			f.Add("unavailable", "at most 400 entries")
		}
	}
	if v.Skills == nil {
		v.Skills = []string{}
	}
	if v.Unavailable == nil {
		v.Unavailable = []string{}
	}
	return v, f.Err()
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// AvailableOn reports whether the volunteer may be planned on a date
// (YYYY-MM-DD): not listed by date or by weekday as unavailable.
func (v Volunteer) AvailableOn(date string) bool {
	d, err := ParseDate(date)
	if err != nil {
		return false
	}
	wd := weekdays[d.Weekday()]
	for _, u := range v.Unavailable {
		if u == date || u == wd {
			return false
		}
	}
	return true
}

// ParseDate reads a YYYY-MM-DD date as midnight in Asia/Shanghai.
func ParseDate(s string) (time.Time, error) {
	if !dateRe.MatchString(s) {
		return time.Time{}, apperr.Field("date", "must be YYYY-MM-DD")
	}
	t, err := time.ParseInLocation("2006-01-02", s, calendar.Shanghai)
	if err != nil {
		return time.Time{}, apperr.Field("date", "not a calendar date")
	}
	return t, nil
}

// Window is a daily time span in Asia/Shanghai, HH:MM to HH:MM, in minutes
// after midnight; End > Start (patrols do not cross midnight).
type Window struct{ Start, End int }

// ParseHM reads HH:MM as minutes after midnight.
func ParseHM(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	for _, c := range []byte{s[0], s[1], s[3], s[4]} {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// HM writes minutes after midnight as HH:MM.
func HM(min int) string {
	return string([]byte{byte('0' + min/600), byte('0' + min/60%10), ':', byte('0' + min%60/10), byte('0' + min%10)})
}

// ParseWindow reads "08:00-10:00".
func ParseWindow(s string) (Window, bool) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Window{}, false
	}
	st, ok1 := ParseHM(strings.TrimSpace(a))
	en, ok2 := ParseHM(strings.TrimSpace(b))
	if !ok1 || !ok2 || en <= st {
		return Window{}, false
	}
	return Window{st, en}, true
}

func (w Window) String() string { return HM(w.Start) + "-" + HM(w.End) }

// Minutes is the window's length.
func (w Window) Minutes() int { return w.End - w.Start }

// Span returns the window on a date as absolute times.
func (w Window) Span(date time.Time) (time.Time, time.Time) {
	return date.Add(time.Duration(w.Start) * time.Minute).UTC(), date.Add(time.Duration(w.End) * time.Minute).UTC()
}

// Position is where a check-in or check-out happened.
type Position struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// Valid reports whether the position is on the globe.
func (p *Position) Valid() bool {
	return p == nil || (p.Lat >= -90 && p.Lat <= 90 && p.Lng >= -180 && p.Lng <= 180 && p.Lat == p.Lat && p.Lng == p.Lng)
}

// Attendance is one volunteer on one shift.
type Attendance struct {
	Volunteer   string     `json:"volunteer"`
	Name        string     `json:"name"`
	CheckIn     *time.Time `json:"check_in"`
	CheckOut    *time.Time `json:"check_out"`
	InPosition  *Position  `json:"check_in_position,omitempty"`
	OutPosition *Position  `json:"check_out_position,omitempty"`
}

// Shift is one patrol shift of a compound.
type Shift struct {
	ID         string
	Area       string
	Compound   string
	Date       string
	Start, End string
	StartsAt   time.Time
	EndsAt     time.Time
	Cancelled  bool
	Attendance []Attendance
	Version    int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Status is the shift's status at now (see the package comment).
func (s *Shift) Status(now time.Time) string {
	if s.Cancelled {
		return Cancelled
	}
	in, open := 0, 0
	for _, a := range s.Attendance {
		if a.CheckIn != nil {
			in++
			if a.CheckOut == nil {
				open++
			}
		}
	}
	switch {
	case open > 0:
		return OnDuty
	case in > 0:
		return Done
	case !now.Before(s.EndsAt):
		return Missed
	}
	return Planned
}

// Closed reports whether the shift takes no more log entries: done,
// missed or cancelled.
func (s *Shift) Closed(now time.Time) bool {
	st := s.Status(now)
	return st == Done || st == Missed || st == Cancelled
}

// VolunteerIDs lists the shift's volunteers.
func (s *Shift) VolunteerIDs() []string {
	out := make([]string, len(s.Attendance))
	for i, a := range s.Attendance {
		out[i] = a.Volunteer
	}
	return out
}

// Has reports whether a volunteer is on the shift.
func (s *Shift) Has(vid string) bool { return slices.Contains(s.VolunteerIDs(), vid) }

// Finding is an entry of the patrol log.
type Finding struct {
	ID          string    `json:"id"`
	Shift       string    `json:"shift"`
	Volunteer   *string   `json:"volunteer"`
	Actor       string    `json:"actor"`
	Text        string    `json:"text"`
	Building    *string   `json:"building"`
	HasPhoto    bool      `json:"photo"`
	Order       *string   `json:"order"`
	OrderNumber *string   `json:"order_number"`
	EntryID     *string   `json:"entry_id"`
	CreatedAt   time.Time `json:"created_at"`
	PhotoType   string    `json:"-"`
	Photo       []byte    `json:"-"`
	// Replayed is set when the entry_id was already stored: the answer is
	// the first send's finding, and nothing was written.
	Replayed bool `json:"-"`
}

// ErrEntryTaken is what the store answers when a finding's entry_id is
// already stored for its shift (a concurrent second send of the same
// entry): the service then answers with the stored one.
var ErrEntryTaken = errors.New("patrol: entry_id already stored")

var entryRe = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// ValidEntryID reports whether id can be a phone-made entry id: 8 to 64
// letters, digits, '-' or '_' (a UUID, or the hex the queue makes without
// crypto.randomUUID).
func ValidEntryID(id string) bool { return entryRe.MatchString(id) }

func shanghai() *time.Location { return calendar.Shanghai }
