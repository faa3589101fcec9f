package order

import "time"

// PublicMeta is what a public door keeps about an order beyond the order:
// how to find it again (tracking token hash, Open311 token) and what the
// client sent that the order has no column for. It is the portal's and
// Open311's word for an order, so it lives with the order, not with the
// storage that keeps it.
type PublicMeta struct {
	OrderID      string
	Channel      Source
	TrackingHash string // SHA-256 of the citizen's tracking token
	Open311Token string // returned to the Open311 client; not a secret
	APIKeyID     int64
	AccountID    string
	DeviceID     string
	MediaURL     string
	Attributes   map[string][]string
	Praised      string // who a praise order praises
	CreatedAt    time.Time
}

// PublicFilter selects orders for Open311's public search (GET requests).
// Zero values mean "any". It is Open311's question about orders, asked of
// whatever stores them, so it lives with the order, as PublicMeta does.
type PublicFilter struct {
	Numbers    []string
	Categories []string
	// Others adds the orders whose category is none of OtherThan (no
	// category, or one that is no longer a service): Open311's catch-all.
	Others                   bool
	OtherThan                []string
	Statuses                 []Status
	CreatedFrom, CreatedTo   *time.Time // [from, to]
	UpdatedAfter, UpdatedBfr *time.Time // (after, before)
	Offset, Limit            int
}

// PublicRow is an order in a public list with what the list shows beside it.
type PublicRow struct {
	Order
	ParentNumber string // the number of the order it was merged into
	MediaURL     string // the media_url an Open311 client sent
}

// Photo is a photo of an order, already re-encoded (no EXIF): the
// citizen's (EventSeq 0) or a handler's site photo taken with the timeline
// event numbered EventSeq (a note or a reply).
type Photo struct {
	ID          string
	OrderID     string
	ContentType string
	Width       int
	Height      int
	Size        int
	Data        []byte
	CreatedAt   time.Time
	EventSeq    int
}

// Notification is an inbox entry for a unit (or "center" for the center,
// or "user:NAME" for one login). It is about an order, or (ActionID and
// MeetingID set, OrderID empty) about a meeting's follow-up action.
type Notification struct {
	ID        string     `json:"id"`
	Target    string     `json:"target"`
	OrderID   string     `json:"order_id,omitempty"`
	Number    string     `json:"number,omitempty"`
	ActionID  string     `json:"action_id,omitempty"`
	MeetingID string     `json:"meeting_id,omitempty"`
	Kind      string     `json:"kind"` // warning, overdue, urge
	Deadline  time.Time  `json:"deadline"`
	Message   string     `json:"message"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
}
