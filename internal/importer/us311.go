package importer

import (
	"fmt"
	"io"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/service"
)

func init() {
	formats["nyc311"] = openNYC
	formats["la311"] = openLA
}

var (
	newYork, _    = time.LoadLocation("America/New_York")
	losAngeles, _ = time.LoadLocation("America/Los_Angeles")
)

// openNYC reads NYC Open Data's 311 Service Requests export.
func openNYC(r io.Reader) (Source, error) {
	return newCSVSource(r, "nyc311", []string{"unique_key", "created_date", "complaint_type"}, mapNYC)
}

func mapNYC(rec record) (service.ImportRow, error) {
	key := rec.get("unique_key")
	if key == "" || len(key) > 40 {
		return service.ImportRow{}, apperr.Field("unique_key", "required, at most 40 characters")
	}
	created, err := parseTime("created_date", rec.get("created_date"), newYork)
	if err != nil {
		return service.ImportRow{}, err
	}
	if created == nil {
		return service.ImportRow{}, apperr.Field("created_date", "required")
	}
	kind, desc := rec.get("complaint_type"), rec.get("descriptor")
	if kind == "" {
		return service.ImportRow{}, apperr.Field("complaint_type", "required")
	}
	lat, lng, err := parseLatLng(rec.get("latitude"), rec.get("longitude"))
	if err != nil {
		return service.ImportRow{}, err
	}
	agency := joinNonEmpty(" ", rec.get("agency_name"), paren(rec.get("agency")))
	text := joinNonEmpty(". ", joinNonEmpty(": ", kind, desc),
		label("Location type", rec.get("location_type")), label("Agency", agency), label("Borough", rec.get("borough")),
		label("Community board", rec.get("community_board")), label("Channel", rec.get("open_data_channel_type")),
		label("Resolution", rec.get("resolution_description")))
	row := service.ImportRow{Format: "nyc311", CreatedAt: *created, Status: order.Received,
		Order: order.NewOrder{Type: typeOf(kind), Source: sourceOf(rec.get("open_data_channel_type")), Urgency: order.Normal,
			Title: titleText(joinNonEmpty(": ", kind, desc)), Description: text,
			Address: clip(joinNonEmpty(", ", rec.get("incident_address"), rec.get("city"), rec.get("incident_zip")), 500),
			Lat:     lat, Lng: lng, ExternalID: "nyc311:" + key}}
	return closeIf(row, rec.get("status"), "closed_date", rec.get("closed_date"), newYork)
}

// openLA reads the City of Los Angeles MyLA311 Service Request export.
func openLA(r io.Reader) (Source, error) {
	return newCSVSource(r, "la311", []string{"srnumber", "createddate", "requesttype"}, mapLA)
}

func mapLA(rec record) (service.ImportRow, error) {
	key := rec.get("srnumber")
	if key == "" || len(key) > 40 {
		return service.ImportRow{}, apperr.Field("srnumber", "required, at most 40 characters")
	}
	created, err := parseTime("createddate", rec.get("createddate"), losAngeles)
	if err != nil {
		return service.ImportRow{}, err
	}
	if created == nil {
		return service.ImportRow{}, apperr.Field("createddate", "required")
	}
	kind := rec.get("requesttype")
	if kind == "" {
		return service.ImportRow{}, apperr.Field("requesttype", "required")
	}
	lat, lng, err := parseLatLng(rec.get("latitude"), rec.get("longitude"))
	if err != nil {
		return service.ImportRow{}, err
	}
	text := joinNonEmpty(". ", joinNonEmpty(" ", kind, paren(rec.get("actiontaken"))),
		label("Owner", rec.get("owner")), label("Assigned to", rec.get("assignto")),
		label("Neighborhood council", rec.get("ncname")), label("Police precinct", rec.get("policeprecinct")),
		label("Channel", rec.get("requestsource")))
	row := service.ImportRow{Format: "la311", CreatedAt: *created, Status: order.Received,
		Order: order.NewOrder{Type: typeOf(kind), Source: sourceOf(rec.get("requestsource")), Urgency: order.Normal,
			Title: titleText(kind), Description: text, Address: clip(rec.get("address"), 500),
			Lat: lat, Lng: lng, ExternalID: "la311:" + key}}
	return closeIf(row, rec.get("status"), "closeddate", rec.get("closeddate"), losAngeles)
}

// closeIf makes a row a closed order when the export says it is closed and
// has a closing time at or after the creation (a closing time before it,
// which the exports do have, is taken as the creation time).
func closeIf(row service.ImportRow, status, field, closed string, loc *time.Location) (service.ImportRow, error) {
	if !strings.EqualFold(status, "closed") {
		return row, nil
	}
	t, err := parseTime(field, closed, loc)
	if err != nil {
		return row, err
	}
	if t == nil || t.Before(row.CreatedAt) {
		t = &row.CreatedAt
	}
	row.Status = order.Closed
	row.ClosedAt = t
	return row, nil
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func label(name, v string) string {
	if v == "" {
		return ""
	}
	return fmt.Sprintf("%s: %s", name, v)
}
