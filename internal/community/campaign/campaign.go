// Package campaign is community.md §5: door-to-door campaigns (入户登记,
// e.g. the census). A campaign has a form of typed fields, a scope of
// compounds and buildings (→ their households), collectors by building and
// a status (draft, open, closed). Collectors record each household with an
// outcome and the form's answers, often from a phone that was offline:
// submissions are idempotent by their submission_id, validated against the
// form (on the phone and again here), and sealed at rest. The latest
// outcome of a household counts.
//
// This package holds the types, the validation and the service (who may do
// what, via access). It does no I/O: its storage is the Store interface
// (campaigndb), its answers are sealed through Sealer (internal/seal).
package campaign

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
	"hotline/internal/community/listing"
)

// FieldType is a form field's type (community.md §5, word for word).
type FieldType string

// Field types.
const (
	Text   FieldType = "text"
	Number FieldType = "number"
	Date   FieldType = "date"
	Choice FieldType = "choice"
	Multi  FieldType = "multi"
	Bool   FieldType = "bool"
)

// FieldTypes lists every field type.
var FieldTypes = []FieldType{Text, Number, Date, Choice, Multi, Bool}

// Field is one question of a form.
type Field struct {
	Code     string    `json:"code"`
	Label    string    `json:"label"`
	Type     FieldType `json:"type"`
	Required bool      `json:"required"`
	Choices  []string  `json:"choices,omitempty"`
}

// Form is a campaign's questions.
type Form struct {
	Fields []Field `json:"fields"`
}

// Status of a campaign.
type Status string

// Campaign statuses.
const (
	Draft  Status = "draft"
	Open   Status = "open"
	Closed Status = "closed"
)

// Outcome of a visit.
type Outcome string

// Outcomes.
const (
	Done    Outcome = "done"
	Refused Outcome = "refused"
	Absent  Outcome = "absent"
	// NotVisited is how progress counts a household without a submission.
	NotVisited Outcome = "not_visited"
)

// Scope is where a campaign goes: every household of the compounds' buildings
// and of the buildings named.
type Scope struct {
	Compounds []string `json:"compounds"`
	Buildings []string `json:"buildings"`
}

// Collector is a user who visits the households of some buildings.
type Collector struct {
	User      string   `json:"user"`
	Buildings []string `json:"buildings"`
}

// Campaign is the contract's campaign, plus its area and size.
type Campaign struct {
	ID         string      `json:"id"`
	Area       string      `json:"area"`
	Name       string      `json:"name"`
	Form       Form        `json:"form"`
	Scope      Scope       `json:"scope"`
	Collectors []Collector `json:"collectors"`
	Status     Status      `json:"status"`
	Starts     string      `json:"starts"`
	Ends       string      `json:"ends"`
	Households int         `json:"households"`
	CreatedBy  string      `json:"created_by"`
	UpdatedAt  time.Time   `json:"updated_at"`
	Version    int64       `json:"version"`
}

// Input is the body of POST /api/v1/campaigns and PATCH (where every
// field is optional and version is required).
type Input struct {
	Name       *string      `json:"name"`
	Form       *Form        `json:"form"`
	Scope      *Scope       `json:"scope"`
	Collectors *[]Collector `json:"collectors"`
	Starts     *string      `json:"starts"`
	Ends       *string      `json:"ends"`
	Version    int64        `json:"version"`
}

const dateLayout = "2006-01-02"

// Validate checks the fields present in the input. creating requires name,
// form and scope.
func (in *Input) Validate(creating bool) error {
	f := apperr.Fields{}
	if creating {
		for field, missing := range map[string]bool{"name": in.Name == nil, "form": in.Form == nil, "scope": in.Scope == nil} {
			if missing {
				f.Add(field, "required")
			}
		}
	} else if in.Version <= 0 {
		f.Add("version", "required: the version you read")
	}
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		listing.CheckText(f, "name", *in.Name, 100, true)
	}
	if in.Form != nil {
		in.Form.validate(f)
	}
	if in.Scope != nil {
		in.Scope.Compounds, in.Scope.Buildings = listing.Clean(in.Scope.Compounds), listing.Clean(in.Scope.Buildings)
		if len(in.Scope.Compounds)+len(in.Scope.Buildings) == 0 {
			f.Add("scope", "at least one compound or building")
		}
		if len(in.Scope.Compounds) > 100 || len(in.Scope.Buildings) > 5000 {
			f.Add("scope", "too many places")
		}
	}
	if in.Collectors != nil {
		seen := map[string]bool{}
		for i, c := range *in.Collectors {
			c.User = strings.TrimSpace(c.User)
			c.Buildings = listing.Clean(c.Buildings)
			key := fmt.Sprintf("collectors[%d]", i)
			if c.User == "" || len(c.User) > 64 {
				f.Add(key+".user", "required")
			} else if seen[c.User] {
				f.Add(key+".user", "listed twice")
			}
			seen[c.User] = true
			if len(c.Buildings) == 0 {
				f.Add(key+".buildings", "at least one building")
			}
			(*in.Collectors)[i] = c
		}
		if len(*in.Collectors) > 500 {
			f.Add("collectors", "at most 500")
		}
	}
	for field, v := range map[string]*string{"starts": in.Starts, "ends": in.Ends} {
		if v != nil && *v != "" {
			if _, err := time.Parse(dateLayout, *v); err != nil {
				f.Add(field, "a date YYYY-MM-DD")
			}
		}
	}
	if in.Starts != nil && in.Ends != nil && *in.Starts != "" && *in.Ends != "" && *in.Ends < *in.Starts {
		f.Add("ends", "before starts")
	}
	return f.Err()
}

func (fm *Form) validate(f apperr.Fields) {
	if len(fm.Fields) == 0 {
		f.Add("form.fields", "at least one field")
	}
	if len(fm.Fields) > 200 {
		f.Add("form.fields", "at most 200")
	}
	codes := map[string]bool{}
	for i, fd := range fm.Fields {
		key := fmt.Sprintf("form.fields[%d]", i)
		fd.Code, fd.Label = strings.TrimSpace(fd.Code), strings.TrimSpace(fd.Label)
		if !validCode(fd.Code) {
			f.Add(key+".code", "letters, digits and _ only, at most 64")
		} else if codes[fd.Code] {
			f.Add(key+".code", "used twice")
		}
		codes[fd.Code] = true
		listing.CheckText(f, key+".label", fd.Label, 200, true)
		if !slices.Contains(FieldTypes, fd.Type) {
			f.AddProblem(key+".type", apperr.OneOf("text", "number", "date", "choice", "multi", "bool"))
		}
		fd.Choices = listing.Clean(fd.Choices)
		switch {
		case fd.Type == Choice || fd.Type == Multi:
			if len(fd.Choices) == 0 {
				f.Add(key+".choices", "a choice field needs choices")
			}
			for _, c := range fd.Choices {
				listing.CheckText(f, key+".choices", c, 100, true)
			}
		case len(fd.Choices) > 0:
			f.Add(key+".choices", "only choice and multi fields have choices")
		}
		fm.Fields[i] = fd
	}
}

func validCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Submission is one visit's record.
type Submission struct {
	SubmissionID string                     `json:"submission_id"`
	Household    string                     `json:"household"`
	Outcome      Outcome                    `json:"outcome"`
	Answers      map[string]json.RawMessage `json:"answers"`
	CollectedAt  *time.Time                 `json:"collected_at"`
	// Set by the server.
	Building   string    `json:"building,omitempty"`
	Collector  string    `json:"collector,omitempty"`
	ReceivedAt time.Time `json:"received_at,omitzero"`
}

// Validate checks a submission against the form: every answer is a field
// of the form with a value of its type; a done visit answers every required
// field; a refused or absent visit may answer nothing or some fields.
func (s *Submission) Validate(form Form, now time.Time) error {
	f := apperr.Fields{}
	s.SubmissionID = strings.TrimSpace(s.SubmissionID)
	listing.CheckText(f, "submission_id", s.SubmissionID, 64, true)
	s.Household = strings.TrimSpace(s.Household)
	if !listing.IsID(s.Household) {
		f.Add("household", "must be a household id")
	}
	switch s.Outcome {
	case Done, Refused, Absent:
	default:
		f.AddProblem("outcome", apperr.OneOf("done", "refused", "absent"))
	}
	if s.CollectedAt != nil && s.CollectedAt.After(now.Add(5*time.Minute)) {
		f.Add("collected_at", "in the future (check the phone's clock)")
	}
	byCode := map[string]Field{}
	for _, fd := range form.Fields {
		byCode[fd.Code] = fd
	}
	for code, raw := range s.Answers {
		fd, ok := byCode[code]
		if !ok {
			f.Add("answers."+code, "not a field of this form")
			continue
		}
		if problem := checkAnswer(fd, raw); problem != "" {
			f.Add("answers."+code, problem)
		}
	}
	if s.Outcome == Done {
		for _, fd := range form.Fields {
			if raw, ok := s.Answers[fd.Code]; fd.Required && (!ok || isEmpty(raw)) {
				f.Add("answers."+fd.Code, "required")
			}
		}
	}
	return f.Err()
}

func isEmpty(raw json.RawMessage) bool {
	t := strings.TrimSpace(string(raw))
	return t == "null" || t == `""` || t == "[]"
}

// checkAnswer says what is wrong with an answer, "" when nothing.
func checkAnswer(fd Field, raw json.RawMessage) string {
	if isEmpty(raw) {
		return ""
	}
	switch fd.Type {
	case Text:
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return "must be text"
		}
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > 2000 || strings.ContainsRune(v, 0) {
			return "too long or not valid text"
		}
	case Number:
		var v float64
		if json.Unmarshal(raw, &v) != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return "must be a number"
		}
	case Date:
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return "must be a date YYYY-MM-DD"
		}
		if _, err := time.Parse(dateLayout, v); err != nil {
			return "must be a date YYYY-MM-DD"
		}
	case Choice:
		var v string
		if json.Unmarshal(raw, &v) != nil || !slices.Contains(fd.Choices, v) {
			return "must be one of the field's choices"
		}
	case Multi:
		var v []string
		if json.Unmarshal(raw, &v) != nil {
			return "must be a list of the field's choices"
		}
		seen := map[string]bool{}
		for _, c := range v {
			if !slices.Contains(fd.Choices, c) || seen[c] {
				return "must be a list of the field's choices, each once"
			}
			seen[c] = true
		}
	case Bool:
		var v bool
		if json.Unmarshal(raw, &v) != nil {
			return "must be true or false"
		}
	}
	return ""
}

// Counts is a progress line.
type Counts struct {
	Households int `json:"households"`
	Done       int `json:"done"`
	Refused    int `json:"refused"`
	Absent     int `json:"absent"`
	NotVisited int `json:"not_visited"`
}

// Add counts n households with an outcome.
func (c *Counts) Add(o Outcome, n int) {
	c.Households += n
	switch o {
	case Done:
		c.Done += n
	case Refused:
		c.Refused += n
	case Absent:
		c.Absent += n
	default:
		c.NotVisited += n
	}
}

// Progress is GET /api/v1/campaigns/{id}/progress.
type Progress struct {
	Total       Counts            `json:"total"`
	ByBuilding  map[string]Counts `json:"by_building"`
	ByCollector map[string]Counts `json:"by_collector"`
}

// HouseholdVisit is a household of a campaign with its latest outcome.
type HouseholdVisit struct {
	Household   string     `json:"household"`
	Building    string     `json:"building"`
	UnitNo      string     `json:"unit_no"`
	Room        string     `json:"room"`
	Outcome     Outcome    `json:"outcome"`
	CollectedAt *time.Time `json:"collected_at"`
	Collector   string     `json:"collector"`
}
