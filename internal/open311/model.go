package open311

import (
	"encoding/json"
	"encoding/xml"
)

// The documents of GeoReport v2, field for field. Each struct encodes to
// both formats: JSON through the json tags, XML through the xml tags (no
// namespace, the spec's element names).
//
// One rule per format for a value we do not have (docs/open311.md): a
// scalar without a value is a nil pointer, JSON null and the XML element
// left out; never an empty string in one format and something else in the
// other. Lists are always present (JSON [], XML the empty wrapper), except
// the extension fields extended_attributes and notes, which appear, in both
// formats, exactly when extensions=true was asked.

// Discovery is the service discovery document.
type Discovery struct {
	XMLName    xml.Name   `json:"-" xml:"discovery"`
	Changeset  string     `json:"changeset" xml:"changeset"`
	Contact    string     `json:"contact" xml:"contact"`
	KeyService string     `json:"key_service" xml:"key_service"`
	Endpoints  []Endpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

// Endpoint is one API endpoint of the discovery document.
type Endpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

// Service is one entry of GET services.
type Service struct {
	ServiceCode string  `json:"service_code" xml:"service_code"`
	ServiceName string  `json:"service_name" xml:"service_name"`
	Description string  `json:"description" xml:"description"`
	Metadata    bool    `json:"metadata" xml:"metadata"`
	Type        string  `json:"type" xml:"type"`
	Keywords    *string `json:"keywords" xml:"keywords,omitempty"`
	Group       *string `json:"group" xml:"group,omitempty"`
}

type servicesXML struct {
	XMLName  xml.Name  `xml:"services"`
	Services []Service `xml:"service"`
}

// ServiceDefinition is GET services/{code}.
type ServiceDefinition struct {
	XMLName     xml.Name    `json:"-" xml:"service_definition"`
	ServiceCode string      `json:"service_code" xml:"service_code"`
	Attributes  []Attribute `json:"attributes" xml:"attributes>attribute"`
}

// Attribute is one attribute of a service definition.
type Attribute struct {
	Variable            bool    `json:"variable" xml:"variable"`
	Code                string  `json:"code" xml:"code"`
	Datatype            string  `json:"datatype" xml:"datatype"`
	Required            bool    `json:"required" xml:"required"`
	DatatypeDescription *string `json:"datatype_description" xml:"datatype_description,omitempty"`
	Order               int     `json:"order" xml:"order"`
	Description         string  `json:"description" xml:"description"`
	Values              []Value `json:"values" xml:"values>value"`
}

// Value is one choice of a list attribute.
type Value struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

// Request is one service request of GET requests and requests/{id}.
type Request struct {
	ServiceRequestID   string    `json:"service_request_id" xml:"service_request_id"`
	Status             string    `json:"status" xml:"status"`
	StatusNotes        *string   `json:"status_notes" xml:"status_notes,omitempty"`
	ServiceName        *string   `json:"service_name" xml:"service_name,omitempty"`
	ServiceCode        string    `json:"service_code" xml:"service_code"`
	Description        *string   `json:"description" xml:"description,omitempty"`
	AgencyResponsible  string    `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice      *string   `json:"service_notice" xml:"service_notice,omitempty"`
	RequestedDatetime  string    `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime    string    `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime   *string   `json:"expected_datetime" xml:"expected_datetime,omitempty"`
	Address            *string   `json:"address" xml:"address,omitempty"`
	AddressID          *string   `json:"address_id" xml:"address_id,omitempty"`
	Zipcode            *string   `json:"zipcode" xml:"zipcode,omitempty"`
	Lat                *float64  `json:"lat" xml:"lat,omitempty"`
	Long               *float64  `json:"long" xml:"long,omitempty"`
	MediaURL           *string   `json:"media_url" xml:"media_url,omitempty"`
	ExtendedAttributes *Extended `json:"extended_attributes,omitempty" xml:"extended_attributes,omitempty"`
	Notes              *Notes    `json:"notes,omitempty" xml:"notes,omitempty"`
}

// Notes is the notes list of extensions=true. A pointer to it in Request
// leaves the list out of both formats without the extension (a slice
// tagged notes>note would still write an empty <notes/> in XML).
type Notes struct {
	List []Note `xml:"note"`
}

// MarshalJSON writes the notes as the plain list, [] when there are none.
func (n Notes) MarshalJSON() ([]byte, error) {
	if n.List == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(n.List)
}

// Extended is the extended_attributes of extensions=true.
type Extended struct {
	Channel                string  `json:"channel" xml:"channel"`
	Duplicate              bool    `json:"duplicate" xml:"duplicate"`
	ParentServiceRequestID *string `json:"parent_service_request_id" xml:"parent_service_request_id,omitempty"`
}

// Note is one entry of the public timeline (extensions=true).
type Note struct {
	Datetime    string  `json:"datetime" xml:"datetime"`
	Type        string  `json:"type" xml:"type"`
	Summary     string  `json:"summary" xml:"summary"`
	Description *string `json:"description" xml:"description,omitempty"`
}

type requestsXML struct {
	XMLName  xml.Name  `xml:"service_requests"`
	Requests []Request `xml:"request"`
}

// Created is the answer to POST requests. Our services are realtime (the
// order exists once the answer is sent), and GeoReport v2 gives a
// service_request_id or a token, never both: the id alone.
type Created struct {
	ServiceRequestID string  `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice    string  `json:"service_notice" xml:"service_notice"`
	AccountID        *string `json:"account_id" xml:"account_id,omitempty"`
}

type createdXML struct {
	XMLName  xml.Name  `xml:"service_requests"`
	Requests []Created `xml:"request"`
}

// TokenAnswer is the answer to GET tokens/{token}.
type TokenAnswer struct {
	ServiceRequestID string `json:"service_request_id" xml:"service_request_id"`
	Token            string `json:"token" xml:"token"`
}

type tokensXML struct {
	XMLName  xml.Name      `xml:"service_requests"`
	Requests []TokenAnswer `xml:"request"`
}

// Error is one entry of an error list.
type Error struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

type errorsXML struct {
	XMLName xml.Name `xml:"errors"`
	Errors  []Error  `xml:"error"`
}
