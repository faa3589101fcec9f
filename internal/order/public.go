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

// Photo is a citizen's photo of an order, already re-encoded (no EXIF).
type Photo struct {
	ID          string
	OrderID     string
	ContentType string
	Width       int
	Height      int
	Size        int
	Data        []byte
	CreatedAt   time.Time
}

// Notification is an inbox entry for a unit (or "center" for the center)
// about an order: a deadline warning, an overdue notice or an urge.
type Notification struct {
	ID        string     `json:"id"`
	Target    string     `json:"target"`
	OrderID   string     `json:"order_id"`
	Number    string     `json:"number"`
	Kind      string     `json:"kind"` // warning, overdue, urge
	Deadline  time.Time  `json:"deadline"`
	Message   string     `json:"message"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
}
