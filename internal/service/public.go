package service

// The public doors: the citizen portal and Open311. Nobody logs in here, so
// these calls decide for themselves what an outsider may see: never the
// caller, never internal notes, only the public part of the timeline.

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"hotline/internal/apperr"
	"hotline/internal/auth"
	"hotline/internal/order"
	"hotline/internal/store"
)

// CitizenActor is the system actor that turns a citizen's own rating into a
// callback (回访) on the order, so the satisfaction metrics count it.
var CitizenActor = Actor{Username: "citizen", Role: order.RoleOperator}

// PublicCreated is what a public door tells the citizen after a report.
type PublicCreated struct {
	Order         order.Order
	TrackingToken string // shown once; only its hash is stored
	Open311Token  string
}

// CreatePublic creates an order that came through a public door (the
// citizen form or Open311) together with its public side (tracking token
// hash, Open311 token, attributes) and photos, in one transaction. The
// source is fixed by the channel.
func (s *Service) CreatePublic(ctx context.Context, channel order.Source, in order.NewOrder, meta order.PublicMeta, photos []order.Photo) (PublicCreated, error) {
	in.Source = channel
	a := Actor{Username: string(channel), Role: order.RoleOperator}
	var out PublicCreated
	var hash string
	out.TrackingToken, hash = auth.NewToken()
	meta.Channel, meta.TrackingHash = channel, hash
	if channel == order.SourceOpen311 {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		out.Open311Token = hex.EncodeToString(b)
		meta.Open311Token = out.Open311Token
	}
	v, err := s.createWith(ctx, a, in, []order.Source{channel}, func(o *order.Order, ev order.Event, tokens []string) error {
		return s.store.CreatePublicOrder(ctx, o, ev, tokens, meta, photos)
	})
	if err != nil {
		return PublicCreated{}, err
	}
	out.Order = v.Order
	return out, nil
}

// CreateAPIKey makes a new Open311 API key and returns it; only its hash
// is stored, so this is the one time it can be shown.
func (s *Service) CreateAPIKey(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", apperr.Field("name", "required, at most 100 characters")
	}
	key, hash := auth.NewToken()
	if _, err := s.store.CreateAPIKey(ctx, name, hash, s.now()); err != nil {
		return "", err
	}
	return key, nil
}

// CheckAPIKey returns the key's record, or Forbidden for a missing, wrong
// or revoked key.
func (s *Service) CheckAPIKey(ctx context.Context, key string) (store.APIKey, error) {
	if key == "" || len(key) > 200 {
		return store.APIKey{}, apperr.New(apperr.Forbidden, "api_key is missing or invalid")
	}
	k, err := s.store.APIKeyByHash(ctx, auth.HashToken(key))
	if apperr.Is(err, apperr.NotFound) {
		return store.APIKey{}, apperr.New(apperr.Forbidden, "api_key is missing or invalid")
	}
	return k, err
}

// PublicSearch lists orders for the public Open311 search.
func (s *Service) PublicSearch(ctx context.Context, f store.PublicFilter) ([]store.PublicRow, error) {
	return s.store.PublicList(ctx, f)
}

// PublicEvents returns the timelines of several orders, by order id.
func (s *Service) PublicEvents(ctx context.Context, ids []string) (map[string][]order.Event, error) {
	return s.store.EventsOf(ctx, ids)
}

// NumberByOpen311Token resolves an Open311 token.
func (s *Service) NumberByOpen311Token(ctx context.Context, token string) (string, error) {
	if token == "" || len(token) > 100 {
		return "", apperr.New(apperr.NotFound, "no such token")
	}
	return s.store.NumberByOpen311Token(ctx, token)
}

// PublicNote is one entry of the public timeline: what happened, in plain
// words, without who called, what they said on the phone, or internal notes.
type PublicNote struct {
	At          time.Time
	Type        string // opened, closed, activity (the Open311 notes' types)
	Action      string // the workflow action behind it
	Summary     string // Chinese / English
	Description string // a public reply text, when there is one
}

// publicWords are the public notes of the actions whose wording never
// varies (Open311 note type, then Chinese / English); actions missing here
// and from PublicTimeline's switch stay internal.
var publicWords = map[order.Action]struct{ typ, summary string }{
	order.ActCreate:           {"opened", "已受理 Received"},
	order.ActAccept:           {"activity", "承办单位已签收 Accepted by the unit"},
	order.ActContact:          {"activity", "承办单位已联系市民 The unit contacted the citizen"},
	order.ActNote:             {"activity", "处理记录 Handling recorded"},
	order.ActApproveReturn:    {"activity", "退回中心待重新派单 Returned to the center for re-dispatch"},
	order.ActApproveExtension: {"activity", "办理时限已延长 Deadline extended"},
	order.ActClose:            {"closed", "已办结 Closed"},
	order.ActReopen:           {"activity", "重新办理 Reopened"},
	order.ActUrge:             {"activity", "已催办 Urged"},
	order.ActSupervise:        {"activity", "已督办 Supervised"},
	order.ActMerge:            {"closed", "已并入相同问题的工单 Merged into another order"},
	order.ActMergeIn:          {"activity", "相同问题的工单已并入 A duplicate was merged in"},
	order.ActInvalidate:       {"closed", "无效工单 Invalid"},
}

// PublicTimeline is the public part of an order's timeline. unitName
// resolves unit codes. Reply texts become public only once the center has
// approved them (approve_reply), and a direct answer at once.
func PublicTimeline(evs []order.Event, unitName func(string) string) []PublicNote {
	out := []PublicNote{}
	var pendingReply string
	add := func(e order.Event, typ, summary, desc string) {
		out = append(out, PublicNote{At: e.At, Type: typ, Action: e.Action, Summary: summary, Description: desc})
	}
	str := func(e order.Event, k string) string { v, _ := e.Body[k].(string); return v }
	for _, e := range evs {
		if n, ok := publicWords[order.Action(e.Action)]; ok {
			add(e, n.typ, n.summary, "")
			continue
		}
		switch order.Action(e.Action) {
		case order.ActDispatch, order.ActRedispatch:
			add(e, "activity", "已派单至"+unitName(str(e, "unit"))+" Dispatched to "+str(e, "unit"), "")
		case order.ActReply:
			pendingReply = str(e, "text")
		case order.ActRejectReply:
			pendingReply = ""
		case order.ActApproveReply:
			add(e, "activity", "答复已审核 Reply approved", pendingReply)
			pendingReply = ""
		case order.ActAnswer:
			add(e, "closed", "已直接答复 Answered", str(e, "reply"))
		case order.ActCallback:
			typ := "activity"
			if e.To == order.Closed {
				typ = "closed"
			}
			add(e, typ, "已回访 Called back: "+OutcomeWords(str(e, "outcome")), "")
		}
	}
	return out
}

// OutcomeWords is a callback outcome in plain words.
func OutcomeWords(o string) string {
	switch o {
	case "satisfied":
		return "满意 satisfied"
	case "basically_satisfied":
		return "基本满意 basically satisfied"
	case "dissatisfied":
		return "不满意 dissatisfied"
	case "unreachable":
		return "未接通 unreachable"
	}
	return o
}

// PublicOrder is an order as the citizen who reported it may see it:
// status, deadline, public replies; never the caller or internal notes.
type PublicOrder struct {
	ID        string // internal; not shown
	Number    string
	Type      order.Type
	Status    order.Status
	Category  string
	Unit      string
	CreatedAt time.Time
	UpdatedAt time.Time
	Due       *time.Time
	ClosedAt  *time.Time
	Praised   string
	Timeline  []PublicNote
	Replies   []PublicNote // the timeline entries with a public reply text
	Rating    *store.Rating
	CanRate   bool
}

// PublicAuth is how a citizen proves an order is theirs: the tracking
// token from the link, or the number with the last 4 digits of the phone.
type PublicAuth struct {
	Token string
	Last4 string
}

var errNoPublicOrder = apperr.New(apperr.NotFound, "no order with this number and phone, or the link is wrong")

// findPublic returns the order the citizen asks for, or one NotFound for
// every way it can be wrong (so guesses learn nothing).
func (s *Service) findPublic(ctx context.Context, number string, pa PublicAuth) (order.Order, error) {
	switch {
	case pa.Token != "":
		if len(pa.Token) > 200 {
			return order.Order{}, errNoPublicOrder
		}
		o, err := s.store.OrderByTrackingHash(ctx, auth.HashToken(pa.Token))
		if apperr.Is(err, apperr.NotFound) || (err == nil && number != "" && o.Number != number) {
			return order.Order{}, errNoPublicOrder
		}
		return o, err
	case pa.Last4 != "":
		if len(number) != 13 || !allDigits(number) {
			return order.Order{}, errNoPublicOrder
		}
		if len(pa.Last4) != 4 || !allDigits(pa.Last4) {
			return order.Order{}, apperr.Field("phone", "the last 4 digits of the phone number")
		}
		o, err := s.store.GetOrderByNumber(ctx, number)
		if apperr.Is(err, apperr.NotFound) {
			return order.Order{}, errNoPublicOrder
		}
		if err != nil {
			return order.Order{}, err
		}
		digits := onlyDigits(o.Caller.Phone)
		if len(digits) < 4 || subtle.ConstantTimeCompare([]byte(digits[len(digits)-4:]), []byte(pa.Last4)) != 1 {
			return order.Order{}, errNoPublicOrder
		}
		return o, nil
	}
	return order.Order{}, apperr.Field("phone", "the last 4 digits of the phone number, or the tracking link, are required")
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TrackPublic returns an order for its citizen. A rating given before the
// center approved the reply is turned into the callback here, once the
// order is waiting for its callback.
func (s *Service) TrackPublic(ctx context.Context, number string, pa PublicAuth) (PublicOrder, error) {
	o, err := s.findPublic(ctx, number, pa)
	if err != nil {
		return PublicOrder{}, err
	}
	if o, err = s.applyPendingRating(ctx, o); err != nil {
		return PublicOrder{}, err
	}
	return s.publicView(ctx, o)
}

func (s *Service) publicView(ctx context.Context, o order.Order) (PublicOrder, error) {
	evs, err := s.store.Events(ctx, o.ID)
	if err != nil {
		return PublicOrder{}, err
	}
	ratings, err := s.store.Ratings(ctx, o.ID)
	if err != nil {
		return PublicOrder{}, err
	}
	meta, _, err := s.store.PublicMetaOf(ctx, o.ID)
	if err != nil {
		return PublicOrder{}, err
	}
	p := PublicOrder{ID: o.ID, Number: o.Number, Type: o.Type, Status: o.Status, Category: o.Category, Unit: o.Unit,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Due: o.Due, ClosedAt: o.ClosedAt, Praised: meta.Praised}
	p.Timeline = PublicTimeline(evs, s.UnitName)
	p.Replies = []PublicNote{}
	for _, n := range p.Timeline {
		if n.Description != "" {
			p.Replies = append(p.Replies, n)
		}
	}
	for i := range ratings {
		if ratings[i].Round == o.Round {
			p.Rating = &ratings[i]
		}
	}
	p.CanRate = p.Rating == nil && o.Type != order.Praise && (o.Status == order.Replied || o.Status == order.Reviewed)
	return p, nil
}

// UnitName is a unit's name, or the code when unknown.
func (s *Service) UnitName(code string) string {
	if u, ok := s.Unit(code); ok {
		return u.Name
	}
	return code
}

// RatingOutcomes are the outcomes a citizen may give (unreachable is the
// operator's word for a failed call, not a citizen's rating).
var RatingOutcomes = []string{"satisfied", "basically_satisfied", "dissatisfied"}

// RatePublic records the citizen's own rating of the current round. When
// the order waits for its callback (reviewed), the rating is the callback:
// a callback action by the citizen system actor, counted by the metrics
// like an operator's. When the reply is still waiting for the center's
// review (replied), the rating is kept pending, shown to the staff, and
// becomes the callback once the reply is approved; it is dropped if the
// reply is rejected or the order reopened first.
func (s *Service) RatePublic(ctx context.Context, number string, pa PublicAuth, outcome string, resolved bool, comment string) (PublicOrder, error) {
	f := apperr.Fields{}
	ok := false
	for _, x := range RatingOutcomes {
		ok = ok || x == outcome
	}
	if !ok {
		f.Add("outcome", "must be one of satisfied, basically_satisfied, dissatisfied")
	}
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > 500 {
		f.Add("comment", "too long: at most 500 characters")
	}
	if !utf8.ValidString(comment) || strings.ContainsRune(comment, 0) {
		f.Add("comment", "not valid text")
	}
	o, err := s.findPublic(ctx, number, pa)
	if err != nil {
		return PublicOrder{}, err
	}
	if err := f.Err(); err != nil {
		return PublicOrder{}, err
	}
	if o.Type == order.Praise {
		return PublicOrder{}, apperr.New(apperr.Conflict, "a praise is not rated")
	}
	if o.Status != order.Replied && o.Status != order.Reviewed {
		return PublicOrder{}, apperr.New(apperr.Conflict, "this order cannot be rated now (it is %s); rating opens once the unit has replied", o.Status)
	}
	evs, err := s.store.Events(ctx, o.ID)
	if err != nil {
		return PublicOrder{}, err
	}
	r := store.Rating{OrderID: o.ID, Round: o.Round, Outcome: outcome, Resolved: resolved, Comment: comment, At: s.now(), AfterSeq: len(evs), State: store.RatingPending}
	if err := s.store.AddRating(ctx, &r); err != nil {
		return PublicOrder{}, err
	}
	if o, err = s.applyPendingRating(ctx, o); err != nil {
		return PublicOrder{}, err
	}
	return s.publicView(ctx, o)
}

// applyPendingRating turns the current round's pending rating into a
// callback if the order now waits for one, or drops it if the reply it
// rated was rejected or the order moved on. It returns the order as it
// is afterwards.
func (s *Service) applyPendingRating(ctx context.Context, o order.Order) (order.Order, error) {
	ratings, err := s.store.Ratings(ctx, o.ID)
	if err != nil {
		return o, err
	}
	var r *store.Rating
	for i := range ratings {
		if ratings[i].State == store.RatingPending {
			r = &ratings[i]
		}
	}
	if r == nil || o.Status == order.Replied {
		return o, nil
	}
	now := s.now()
	if r.Round != o.Round || o.Status != order.Reviewed {
		_, err := s.store.SetRatingState(ctx, r.ID, store.RatingPending, store.RatingSuperseded, now)
		return o, err
	}
	evs, err := s.store.Events(ctx, o.ID)
	if err != nil {
		return o, err
	}
	for _, e := range evs {
		if e.Seq > r.AfterSeq {
			switch order.Action(e.Action) {
			case order.ActRejectReply, order.ActReopen, order.ActRedispatch, order.ActApproveReturn, order.ActCallback:
				// The rated reply was sent back, or someone already called back.
				_, err := s.store.SetRatingState(ctx, r.ID, store.RatingPending, store.RatingSuperseded, now)
				return o, err
			}
		}
	}
	// Claim the rating first, so two instances never call back twice.
	claimed, err := s.store.SetRatingState(ctx, r.ID, store.RatingPending, store.RatingApplied, now)
	if err != nil || !claimed {
		return o, err
	}
	note := "市民在线评价 / rated by the citizen online"
	if r.Comment != "" {
		note += "：" + r.Comment
	}
	resolved := r.Resolved
	var v OrderView
	for try := 0; try < 3; try++ {
		ver := o.Version
		v, err = s.Act(ctx, CitizenActor, o.ID, order.ActCallback, order.Input{Version: &ver, Outcome: r.Outcome, Resolved: &resolved, Note: note})
		if !apperr.Is(err, apperr.Conflict) {
			break
		}
		cur, gerr := s.store.GetOrder(ctx, o.ID)
		if gerr != nil || cur.Status != order.Reviewed {
			break
		}
		o = cur
	}
	if err != nil {
		// Give it back so the next look (or the operator) can use it.
		if _, rerr := s.store.SetRatingState(ctx, r.ID, store.RatingApplied, store.RatingPending, now); rerr != nil {
			s.Log.Error("could not release a citizen rating", "order", o.Number, "err", rerr)
		}
		s.Log.Warn("citizen rating not applied as a callback yet", "order", o.Number, "err", err)
		cur, gerr := s.store.GetOrder(ctx, o.ID)
		if gerr != nil {
			return o, gerr
		}
		return cur, nil
	}
	return v.Order, nil
}

// CitizenSide is what the staff see of an order's public side: the
// channel's extras, photos and the citizen's ratings (pending ones too).
type CitizenSide struct {
	Meta    order.PublicMeta
	Public  bool // the order came through a public door
	Photos  []order.Photo
	Ratings []store.Rating
}

// CitizenSideOf returns the public side of an order the actor may see,
// applying a pending rating first.
func (s *Service) CitizenSideOf(ctx context.Context, a Actor, id string) (CitizenSide, error) {
	o, err := s.visibleOrder(ctx, a, id)
	if err != nil {
		return CitizenSide{}, err
	}
	if _, err := s.applyPendingRating(ctx, o); err != nil {
		return CitizenSide{}, err
	}
	var c CitizenSide
	if c.Meta, c.Public, err = s.store.PublicMetaOf(ctx, id); err != nil {
		return c, err
	}
	if c.Photos, err = s.store.Photos(ctx, id); err != nil {
		return c, err
	}
	if c.Ratings, err = s.store.Ratings(ctx, id); err != nil {
		return c, err
	}
	return c, nil
}

// OrderPhoto returns a photo of an order the actor may see (staff only:
// the citizen's photos are never public).
func (s *Service) OrderPhoto(ctx context.Context, a Actor, id, photo string) (order.Photo, error) {
	if _, err := s.visibleOrder(ctx, a, id); err != nil {
		return order.Photo{}, err
	}
	return s.store.PhotoData(ctx, id, photo)
}
