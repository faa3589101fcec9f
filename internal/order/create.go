package order

import (
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
)

// NewOrder is what an operator (or a door from outside) submits.
type NewOrder struct {
	Type        Type     `json:"type"`
	Source      Source   `json:"source"`
	Urgency     Urgency  `json:"urgency"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Category    string   `json:"category"`
	Caller      *Caller  `json:"caller"`
	Address     string   `json:"address"`
	Compound    string   `json:"compound"`
	Building    string   `json:"building"`
	Lat         *float64 `json:"lat"`
	Lng         *float64 `json:"lng"`
	ExternalID  string   `json:"-"`
}

// CreateEnv answers the questions a new order asks of the rest of the system.
type CreateEnv struct {
	Now             time.Time
	CategoryKnown   func(code string) bool
	CompoundKnown   func(code string) bool
	SourcesAllowed  []Source // the channels this caller may use; nil = any
	DefaultCategory string
}

var phoneRe = regexp.MustCompile(`^\+?[0-9][0-9 \-]{2,22}[0-9]$`)

// MaxTitle is the longest title in characters.
const MaxTitle = 200

// Build validates a new order and returns it with its first event. Every
// problem is reported at once, per field.
func (in NewOrder) Build(a Actor, env CreateEnv) (Order, Event, error) {
	f := apperr.Fields{}
	if in.Urgency == "" {
		in.Urgency = Normal
	}
	switch {
	case in.Type == "":
		f.Add("type", "required")
	case !oneOf(in.Type, Types):
		f.AddProblem("type", apperr.OneOf("consultation", "help", "complaint", "report", "suggestion", "praise"))
	}
	switch {
	case in.Source == "":
		f.Add("source", "required")
	case !oneOf(in.Source, Sources):
		f.AddProblem("source", apperr.OneOf("hotline", "city_platform", "web", "open311", "patrol", "walk_in"))
	case env.SourcesAllowed != nil && !oneOf(in.Source, env.SourcesAllowed):
		f.Add("source", "not allowed through this entry point")
	}
	if !oneOf(in.Urgency, Urgencies) {
		f.AddProblem("urgency", apperr.OneOf("normal", "urgent", "emergency"))
	}
	in.Title = strings.TrimSpace(in.Title)
	in.Description = strings.TrimSpace(in.Description)
	checkText(f, "title", in.Title, true)
	if utf8.RuneCountInString(in.Title) > MaxTitle {
		f.AddProblem("title", apperr.TooLong(MaxTitle))
	}
	checkText(f, "description", in.Description, true)
	checkText(f, "address", in.Address, false)
	if utf8.RuneCountInString(in.Address) > 500 {
		f.AddProblem("address", apperr.TooLong(500))
	}
	if in.Category != "" && env.CategoryKnown != nil && !env.CategoryKnown(in.Category) {
		f.AddProblem("category", apperr.UnknownCategory(in.Category))
	}
	if in.Compound != "" && env.CompoundKnown != nil && !env.CompoundKnown(in.Compound) {
		f.AddProblem("compound", apperr.UnknownCompound(in.Compound))
	}
	if utf8.RuneCountInString(in.Building) > 50 {
		f.AddProblem("building", apperr.TooLong(50))
	}
	if (in.Lat == nil) != (in.Lng == nil) {
		f.Add("lat", "lat and lng go together")
	}
	if in.Lat != nil && (math.IsNaN(*in.Lat) || *in.Lat < -90 || *in.Lat > 90) {
		f.Add("lat", "must be between -90 and 90")
	}
	if in.Lng != nil && (math.IsNaN(*in.Lng) || *in.Lng < -180 || *in.Lng > 180) {
		f.Add("lng", "must be between -180 and 180")
	}
	var c Caller
	if in.Caller != nil {
		c = *in.Caller
		c.Name = strings.TrimSpace(c.Name)
		c.Phone = strings.TrimSpace(c.Phone)
		if utf8.RuneCountInString(c.Name) > 50 {
			f.AddProblem("caller.name", apperr.TooLong(50))
		}
		if c.Phone != "" && !phoneRe.MatchString(c.Phone) {
			f.Add("caller.phone", "not a phone number")
		}
	}
	if err := f.Err(); err != nil {
		return Order{}, Event{}, err
	}
	now := env.Now.UTC()
	o := Order{
		Type: in.Type, Source: in.Source, Urgency: in.Urgency, Status: Received,
		Title: in.Title, Description: in.Description, Category: in.Category,
		Caller: c, Address: strings.TrimSpace(in.Address), Compound: in.Compound, Building: strings.TrimSpace(in.Building),
		Lat: in.Lat, Lng: in.Lng, ExternalID: in.ExternalID,
		Round: 1, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if o.Category == "" {
		o.Category = env.DefaultCategory
	}
	ev := Event{At: now, Actor: a.Username, Action: string(ActCreate), To: Received,
		Body: map[string]any{"type": string(o.Type), "source": string(o.Source), "urgency": string(o.Urgency), "title": o.Title}}
	return o, ev, nil
}
