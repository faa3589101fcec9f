package importer

import (
	"io"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/csvsafe"
	"hotline/internal/order"
	"hotline/internal/service"
)

func init() { formats["orders-csv"] = openOrdersCSV }

// OrdersCSVHeader is the header of the project's own orders CSV, what the
// export writes and `hotline import --format orders-csv` reads (by column
// name, in any order; only the columns marked in docs/import.md are
// required).
var OrdersCSVHeader = []string{"number", "external_id", "type", "source", "urgency", "status", "category", "unit",
	"title", "description", "address", "compound", "building", "lat", "lng",
	"caller_name", "caller_phone", "caller_confidential", "caller_anonymous",
	"created_at", "updated_at", "dispatched_at", "due", "closed_at", "satisfaction", "resolved"}

// OrdersCSVWriter writes orders as the project's orders CSV. It writes what
// it is given: callers must mask personal data for the reader's role first.
type OrdersCSVWriter struct {
	w       *csvsafe.Writer
	started bool
}

// NewOrdersCSVWriter returns a writer; the header goes out with the first
// order (or on Flush of an empty export).
func NewOrdersCSVWriter(w io.Writer) *OrdersCSVWriter {
	return &OrdersCSVWriter{w: csvsafe.NewWriter(w)}
}

func (c *OrdersCSVWriter) head() error {
	if c.started {
		return nil
	}
	c.started = true
	return c.w.Write(OrdersCSVHeader)
}

// Write writes one order.
func (c *OrdersCSVWriter) Write(o order.Order) error {
	if err := c.head(); err != nil {
		return err
	}
	tm := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	fl := func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', -1, 64)
	}
	resolved := ""
	if o.Resolved != nil {
		resolved = strconv.FormatBool(*o.Resolved)
	}
	created, updated := o.CreatedAt, o.UpdatedAt
	return c.w.Write([]string{o.Number, o.ExternalID, string(o.Type), string(o.Source), string(o.Urgency), string(o.Status), o.Category, o.Unit,
		o.Title, o.Description, o.Address, o.Compound, o.Building, fl(o.Lat), fl(o.Lng),
		o.Caller.Name, o.Caller.Phone, strconv.FormatBool(o.Caller.Confidential), strconv.FormatBool(o.Caller.Anonymous),
		tm(&created), tm(&updated), tm(o.DispatchedAt), tm(o.Due), tm(o.ClosedAt), o.Satisfaction, resolved})
}

// Flush writes what is buffered (and the header of an empty export).
func (c *OrdersCSVWriter) Flush() error {
	if err := c.head(); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}

func openOrdersCSV(r io.Reader) (Source, error) {
	return newCSVSource(r, "orders-csv", []string{"type", "source", "title", "description", "created_at"}, mapOrdersCSV)
}

func mapOrdersCSV(rec record) (service.ImportRow, error) {
	// The writer neutralised formula-like cells (csvsafe): take that back.
	for i, f := range rec.fields {
		rec.fields[i] = csvsafe.Restore(f)
	}
	created, err := parseTime("created_at", rec.get("created_at"), time.UTC)
	if err != nil {
		return service.ImportRow{}, err
	}
	if created == nil {
		return service.ImportRow{}, apperr.Field("created_at", "required")
	}
	ext := rec.get("external_id")
	if ext == "" {
		if n := rec.get("number"); n != "" {
			ext = "hotline:" + n
		}
	}
	if ext == "" {
		return service.ImportRow{}, apperr.Field("external_id", "a row needs external_id or number (they make a re-import idempotent)")
	}
	if len(ext) > 80 {
		return service.ImportRow{}, apperr.Field("external_id", "at most 80 characters")
	}
	lat, lng, err := parseLatLng(rec.get("lat"), rec.get("lng"))
	if err != nil {
		return service.ImportRow{}, err
	}
	boolOf := func(field string) (bool, error) {
		switch strings.ToLower(rec.get(field)) {
		case "", "false", "0", "no", "n":
			return false, nil
		case "true", "1", "yes", "y":
			return true, nil
		}
		return false, apperr.Field(field, "must be true or false")
	}
	conf, err := boolOf("caller_confidential")
	if err != nil {
		return service.ImportRow{}, err
	}
	anon, err := boolOf("caller_anonymous")
	if err != nil {
		return service.ImportRow{}, err
	}
	var caller *order.Caller
	if name, phone := rec.get("caller_name"), rec.get("caller_phone"); name != "" || phone != "" || conf || anon {
		caller = &order.Caller{Name: name, Phone: phone, Confidential: conf, Anonymous: anon}
	}
	row := service.ImportRow{Format: "orders-csv", CreatedAt: *created, Status: order.Received,
		Order: order.NewOrder{Type: order.Type(rec.get("type")), Source: order.Source(rec.get("source")), Urgency: order.Urgency(rec.get("urgency")),
			Title: rec.get("title"), Description: rec.get("description"), Category: rec.get("category"), Caller: caller,
			Address: rec.get("address"), Compound: rec.get("compound"), Building: rec.get("building"),
			Lat: lat, Lng: lng, ExternalID: ext}}
	// Final states are kept; an order still open elsewhere arrives here as
	// received, to be dispatched again (docs/import.md).
	switch st := order.Status(rec.get("status")); st {
	case order.Closed, order.Answered, order.Invalid, order.Merged:
		row.Status = st
		if st == order.Merged { // the parent is not imported with it
			row.Status = order.Closed
		}
		closed, err := parseTime("closed_at", rec.get("closed_at"), time.UTC)
		if err != nil {
			return row, err
		}
		if closed == nil {
			if closed, err = parseTime("updated_at", rec.get("updated_at"), time.UTC); err != nil {
				return row, err
			}
		}
		row.ClosedAt = closed
	case "", order.Received, order.Dispatched, order.Accepted, order.InProgress, order.ReturnRequested, order.Returned,
		order.Replied, order.Reviewed:
	default:
		return row, apperr.Field("status", "unknown status "+clip(string(st), 30))
	}
	return row, nil
}
