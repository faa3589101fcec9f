package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/community/listing"
	"hotline/internal/seal"
)

// Building is what the service needs to know of a building.
type Building struct {
	Code     string
	Compound string
	Area     string
}

// Filter narrows the list of campaigns.
type Filter struct {
	Scope     access.Scope
	Collector string // only campaigns this user collects for
	Status    Status
	Limit     int
	After     int64
}

// SubmissionRow is a submission as stored: answers sealed, with the keyed
// digest of its content.
type SubmissionRow struct {
	Submission
	Sealed []byte
	Digest []byte
}

// Store is the module's storage (campaigndb).
type Store interface {
	// Places returns the area of each known compound and the buildings of
	// the compounds plus the named buildings that exist.
	Places(ctx context.Context, compounds, buildings []string) (map[string]string, []Building, error)
	MissingUsers(ctx context.Context, usernames []string) ([]string, error)
	// Create inserts the campaign, its collectors and its households (those
	// of scopeBuildings, not vacant) and fills c.ID.
	Create(ctx context.Context, c *Campaign, scopeBuildings []string) error
	Campaign(ctx context.Context, id int64) (Campaign, error)
	Campaigns(ctx context.Context, f Filter) ([]Campaign, error)
	// Update runs decide on the locked campaign and stores what it returns
	// (version + 1); rescope non-nil replaces the households by those of
	// these buildings.
	Update(ctx context.Context, id int64, actor string, decide func(cur Campaign) (next Campaign, rescope []string, err error)) (Campaign, error)
	// Submit stores a submission once per submission_id (a stored one with
	// the same digest is answered again, replayed; another digest is a
	// conflict), after decide accepted the campaign's state and the
	// household's building ("" when the household is not in the campaign).
	Submit(ctx context.Context, id int64, s SubmissionRow, decide func(c Campaign, building string) error) (SubmissionRow, bool, error)
	Progress(ctx context.Context, id int64) (Progress, error)
	Households(ctx context.Context, id int64, buildings []string, limit int, after int64) ([]HouseholdVisit, error)
	// Export audits (actor, reason) and calls fn with each household's
	// latest submission, in one transaction.
	Export(ctx context.Context, id int64, actor, reason string, fn func(SubmissionRow) error) error
	// Reseal rewrites up to batch submissions' answers not sealed under key
	// primary with reseal, in one transaction; it returns how many.
	Reseal(ctx context.Context, primary int64, batch int, reseal func(campaign int64, submission string, ct []byte) ([]byte, error)) (int, error)
}

// Sealer keeps answers encrypted at rest (seal.Keys).
type Sealer interface {
	Seal(plain, context []byte) ([]byte, error)
	Open(ct, context []byte) ([]byte, error)
	Index(domain, value string) []byte
}

// Service is who may do what with campaigns.
type Service struct {
	Store Store
	Seal  Sealer
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func parseID(what, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.New(apperr.NotFound, "no such %s", what)
	}
	return n, nil
}

// collector returns the buildings u collects in c (nil when none).
func collector(u access.User, c Campaign) []string {
	for _, col := range c.Collectors {
		if col.User == u.Username {
			return col.Buildings
		}
	}
	return nil
}

func reads(u access.User, c Campaign) bool {
	return access.ReadsArea(u, c.Area) || collector(u, c) != nil
}

// resolve checks places and collectors against the registry: one area, the
// buildings in scope, the collectors' buildings inside it, real users.
func (s *Service) resolve(ctx context.Context, sc Scope, cols []Collector) (area string, buildings []string, err error) {
	areas, bs, err := s.Store.Places(ctx, sc.Compounds, sc.Buildings)
	if err != nil {
		return "", nil, err
	}
	f := apperr.Fields{}
	for _, c := range sc.Compounds {
		a, ok := areas[c]
		switch {
		case !ok:
			f.AddProblem("scope.compounds", apperr.UnknownCompound(c))
		case area == "":
			area = a
		case a != area:
			f.Add("scope", "a campaign covers one residential area")
		}
	}
	known := map[string]bool{}
	for _, b := range bs {
		known[b.Code] = true
		if area == "" {
			area = b.Area
		} else if b.Area != area {
			f.Add("scope", "a campaign covers one residential area")
		}
		buildings = append(buildings, b.Code)
	}
	for _, b := range sc.Buildings {
		if !known[b] {
			f.Add("scope.buildings", "unknown building "+b)
		}
	}
	var users []string
	for i, c := range cols {
		users = append(users, c.User)
		for _, b := range c.Buildings {
			if !known[b] {
				f.Add(fmt.Sprintf("collectors[%d].buildings", i), "building "+b+" is not in the campaign's scope")
			}
		}
	}
	if len(users) > 0 {
		missing, err := s.Store.MissingUsers(ctx, users)
		if err != nil {
			return "", nil, err
		}
		for _, m := range missing {
			f.Add("collectors", "unknown user "+m)
		}
	}
	slices.Sort(buildings)
	return area, slices.Compact(buildings), f.Err()
}

// Create defines a campaign (draft): the area's workers and admins.
func (s *Service) Create(ctx context.Context, u access.User, in Input) (Campaign, error) {
	if u.Role != access.RoleHandler && u.Role != access.RoleAdmin {
		return Campaign{}, access.Require(false, "only an area's community workers and admins define campaigns")
	}
	if err := in.Validate(true); err != nil {
		return Campaign{}, err
	}
	cols := []Collector{}
	if in.Collectors != nil {
		cols = *in.Collectors
	}
	area, buildings, err := s.resolve(ctx, *in.Scope, cols)
	if err != nil {
		return Campaign{}, err
	}
	if !access.EditsArea(u, area) {
		return Campaign{}, access.Require(false, "a campaign outside your area")
	}
	c := Campaign{Area: area, Name: *in.Name, Form: *in.Form, Scope: *in.Scope, Collectors: cols, Status: Draft,
		CreatedBy: u.Username, UpdatedAt: s.now().Truncate(time.Microsecond), Version: 1}
	if in.Starts != nil {
		c.Starts = *in.Starts
	}
	if in.Ends != nil {
		c.Ends = *in.Ends
	}
	if err := s.Store.Create(ctx, &c, buildings); err != nil {
		return Campaign{}, err
	}
	return s.Store.Campaign(ctx, mustID(c.ID))
}

func mustID(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

func (s *Service) load(ctx context.Context, u access.User, id string) (Campaign, int64, error) {
	n, err := parseID("campaign", id)
	if err != nil {
		return Campaign{}, 0, err
	}
	c, err := s.Store.Campaign(ctx, n)
	if err != nil {
		return Campaign{}, 0, err
	}
	if !reads(u, c) {
		return Campaign{}, 0, access.Require(false, "this campaign belongs to another area")
	}
	return c, n, nil
}

// Get returns a campaign.
func (s *Service) Get(ctx context.Context, u access.User, id string) (Campaign, error) {
	c, _, err := s.load(ctx, u, id)
	return c, err
}

// List returns the campaigns u may see, newest first.
func (s *Service) List(ctx context.Context, u access.User, area string, status Status, limit int, cursor string) ([]Campaign, string, error) {
	if status != "" && status != Draft && status != Open && status != Closed {
		return nil, "", apperr.Field("status", "must be draft, open or closed")
	}
	f := Filter{Status: status, Limit: listing.Size(limit)}
	var err error
	if f.After, err = listing.Cursor(cursor); err != nil {
		return nil, "", err
	}
	if u.Role == access.RoleVolunteer {
		f.Scope, f.Collector = access.Scope{All: true}, u.Username
	} else {
		sc, err := access.ListScope(u, area)
		if err != nil {
			return nil, "", err
		}
		f.Scope = sc
	}
	cs, err := s.Store.Campaigns(ctx, f)
	if err != nil {
		return nil, "", err
	}
	return cs, listing.Next(cs, f.Limit, func(c Campaign) string { return c.ID }), nil
}

// Update edits a campaign: form and scope only while it is a draft (the
// answers already collected must keep meaning what they meant),
// collectors, name and dates until it is closed.
func (s *Service) Update(ctx context.Context, u access.User, id string, in Input) (Campaign, error) {
	c, n, err := s.load(ctx, u, id)
	if err != nil {
		return Campaign{}, err
	}
	if !access.EditsArea(u, c.Area) {
		return Campaign{}, access.Require(false, "only the area's workers edit its campaigns")
	}
	if err := in.Validate(false); err != nil {
		return Campaign{}, err
	}
	return s.Store.Update(ctx, n, u.Username, func(cur Campaign) (Campaign, []string, error) {
		if cur.Version != in.Version {
			return cur, nil, apperr.New(apperr.Conflict, "the campaign changed since you read it (version %d now)", cur.Version).Because(apperr.ReasonStale)
		}
		if cur.Status == Closed {
			return cur, nil, apperr.New(apperr.Conflict, "the campaign is closed")
		}
		f := apperr.Fields{}
		if cur.Status != Draft && in.Form != nil {
			f.Add("form", "the form is fixed once the campaign is open")
		}
		if cur.Status != Draft && in.Scope != nil {
			f.Add("scope", "the scope is fixed once the campaign is open")
		}
		if err := f.Err(); err != nil {
			return cur, nil, err
		}
		next := cur
		sc, cols := cur.Scope, cur.Collectors
		if in.Scope != nil {
			sc = *in.Scope
		}
		if in.Collectors != nil {
			cols = *in.Collectors
		}
		area, buildings, err := s.resolve(ctx, sc, cols)
		if err != nil {
			return cur, nil, err
		}
		if area != cur.Area {
			return cur, nil, apperr.Field("scope", "a campaign stays in its residential area")
		}
		next.Scope, next.Collectors = sc, cols
		if in.Name != nil {
			next.Name = *in.Name
		}
		if in.Form != nil {
			next.Form = *in.Form
		}
		if in.Starts != nil {
			next.Starts = *in.Starts
		}
		if in.Ends != nil {
			next.Ends = *in.Ends
		}
		next.UpdatedAt = s.now().Truncate(time.Microsecond)
		var rescope []string
		if in.Scope != nil {
			rescope = buildings
		}
		return next, rescope, nil
	})
}

// SetStatus opens (from draft) or closes (from open) a campaign. Opening
// takes the scope's households again, so households registered after the
// draft was made are visited too.
func (s *Service) SetStatus(ctx context.Context, u access.User, id string, to Status, version int64) (Campaign, error) {
	// 0 (or none) means "whatever the version"; a negative one is a broken
	// client, refused before it could change anything.
	if version < 0 {
		return Campaign{}, apperr.Field("version", "a positive number, or none")
	}
	c, n, err := s.load(ctx, u, id)
	if err != nil {
		return Campaign{}, err
	}
	if !access.EditsArea(u, c.Area) {
		return Campaign{}, access.Require(false, "only the area's workers open and close its campaigns")
	}
	return s.Store.Update(ctx, n, u.Username, func(cur Campaign) (Campaign, []string, error) {
		if version > 0 && version != cur.Version {
			return cur, nil, apperr.New(apperr.Conflict, "the campaign changed since you read it (version %d now)", cur.Version).Because(apperr.ReasonStale)
		}
		from := map[Status]Status{Open: Draft, Closed: Open}[to]
		if cur.Status != from {
			return cur, nil, apperr.New(apperr.Conflict, "a %s campaign cannot become %s", cur.Status, to)
		}
		next := cur
		next.Status, next.UpdatedAt = to, s.now().Truncate(time.Microsecond)
		var rescope []string
		if to == Open {
			_, buildings, err := s.resolve(ctx, cur.Scope, nil)
			if err != nil {
				return cur, nil, err
			}
			rescope = buildings
		}
		return next, rescope, nil
	})
}

// Reseal re-encrypts up to batch submissions' answers under k's primary
// key (seal.Resealer; the app runs it in the background after a rotation).
// Until it has, answers sealed under an older key still open: the keyset
// keeps every key.
func (s *Service) Reseal(ctx context.Context, k *seal.Keys, batch int) (int, error) {
	return s.Store.Reseal(ctx, int64(k.PrimaryID()), batch, func(campaign int64, submission string, ct []byte) ([]byte, error) {
		plain, err := k.Open(ct, answersCtx(campaign, submission))
		if err != nil {
			return nil, apperr.Wrap(err, "re-encrypt the answers of submission %s", submission)
		}
		return k.Seal(plain, answersCtx(campaign, submission))
	})
}

func answersCtx(campaign int64, submission string) []byte {
	return fmt.Appendf(nil, "campaign_submissions.answers:%d:%s", campaign, submission)
}

func (s *Service) open(campaign int64, r SubmissionRow) (Submission, error) {
	out := r.Submission
	out.Answers = map[string]json.RawMessage{}
	if len(r.Sealed) > 0 {
		plain, err := s.Seal.Open(r.Sealed, answersCtx(campaign, r.SubmissionID))
		if err != nil {
			return Submission{}, apperr.Wrap(err, "open a submission's answers")
		}
		if err := json.Unmarshal(plain, &out.Answers); err != nil {
			return Submission{}, apperr.Wrap(err, "read a submission's answers")
		}
	}
	return out, nil
}

// Submit records a visit: once per submission_id, validated against the
// form, only by the household's collector (or the area's workers), only
// while the campaign is open.
func (s *Service) Submit(ctx context.Context, u access.User, id string, in Submission) (Submission, error) {
	c, n, err := s.load(ctx, u, id)
	if err != nil {
		return Submission{}, err
	}
	mine := collector(u, c)
	if !access.EditsArea(u, c.Area) && mine == nil {
		return Submission{}, access.Require(false, "only the campaign's collectors and the area's workers submit")
	}
	if s.Seal == nil {
		return Submission{}, apperr.Wrap(errors.New("no data key"), "answers are kept encrypted")
	}
	now := s.now()
	if err := in.Validate(c.Form, now); err != nil {
		return Submission{}, err
	}
	at := now
	if in.CollectedAt != nil {
		at = in.CollectedAt.UTC()
	}
	at = at.Truncate(time.Microsecond)
	in.CollectedAt = &at
	// Canonical answers: sorted keys, compact values; empty answers dropped.
	codes := make([]string, 0, len(in.Answers))
	for k, v := range in.Answers {
		if !isEmpty(v) {
			codes = append(codes, k)
		}
	}
	sort.Strings(codes)
	canon := map[string]json.RawMessage{}
	for _, k := range codes {
		var v any
		_ = json.Unmarshal(in.Answers[k], &v)
		b, _ := json.Marshal(v)
		canon[k] = b
	}
	plain, _ := json.Marshal(canon)
	in.Answers = canon
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%d", in.Household, in.Outcome, plain, at.UnixMicro()))
	row := SubmissionRow{Submission: in, Digest: s.Seal.Index("campaign.submission", hex.EncodeToString(sum[:]))}
	row.Collector, row.ReceivedAt = u.Username, now.Truncate(time.Microsecond)
	if len(canon) > 0 {
		if row.Sealed, err = s.Seal.Seal(plain, answersCtx(n, in.SubmissionID)); err != nil {
			return Submission{}, apperr.Wrap(err, "seal answers")
		}
	}
	stored, _, err := s.Store.Submit(ctx, n, row, func(cur Campaign, building string) error {
		if cur.Status != Open {
			return apperr.New(apperr.Conflict, "the campaign is %s; submissions are taken while it is open", cur.Status)
		}
		if building == "" {
			return apperr.Field("household", "not a household of this campaign")
		}
		if !access.EditsArea(u, cur.Area) && !slices.Contains(collector(u, cur), building) {
			return access.Require(false, "this household is not in your buildings")
		}
		return nil
	})
	if err != nil {
		return Submission{}, err
	}
	return s.open(n, stored)
}

// Progress counts households by latest outcome, by building and by
// collector: the area's workers, leaders and admins.
func (s *Service) Progress(ctx context.Context, u access.User, id string) (Progress, error) {
	c, n, err := s.load(ctx, u, id)
	if err != nil {
		return Progress{}, err
	}
	if !access.ReadsArea(u, c.Area) {
		return Progress{}, access.Require(false, "progress is for the area's workers and leaders")
	}
	return s.Store.Progress(ctx, n)
}

// Households lists a campaign's households with their latest outcome: a
// collector gets only the households of their buildings.
func (s *Service) Households(ctx context.Context, u access.User, id string, limit int, cursor string) ([]HouseholdVisit, string, error) {
	c, n, err := s.load(ctx, u, id)
	if err != nil {
		return nil, "", err
	}
	var buildings []string
	if !access.ReadsArea(u, c.Area) {
		buildings = collector(u, c)
	}
	after, err := listing.Cursor(cursor)
	if err != nil {
		return nil, "", err
	}
	lim := listing.Size(limit)
	hs, err := s.Store.Households(ctx, n, buildings, lim, after)
	if err != nil {
		return nil, "", err
	}
	return hs, listing.Next(hs, lim, func(h HouseholdVisit) string { return h.Household }), nil
}

// Export gives an admin every household's latest answers, with a recorded
// reason (audited in the same transaction as the read).
func (s *Service) Export(ctx context.Context, u access.User, id, reason string) (Campaign, []Submission, error) {
	c, n, err := s.load(ctx, u, id)
	if err != nil {
		return Campaign{}, nil, err
	}
	if u.Role != access.RoleAdmin {
		return Campaign{}, nil, access.Require(false, "only an admin exports answers")
	}
	reason = strings.TrimSpace(reason)
	f := apperr.Fields{}
	listing.CheckText(f, "reason", reason, 500, true)
	if err := f.Err(); err != nil {
		return Campaign{}, nil, err
	}
	var out []Submission
	err = s.Store.Export(ctx, n, u.Username, reason, func(r SubmissionRow) error {
		sub, err := s.open(n, r)
		if err != nil {
			return err
		}
		out = append(out, sub)
		return nil
	})
	return c, out, err
}
