package open311

import (
	"net/http"
	"sort"

	"hotline/internal/apperr"
)

// WriteInputError answers an input refused at the server's door
// (httpx.CheckInput: NUL bytes or invalid UTF-8) in GeoReport v2's error
// list, one entry per field at fault, in the format the path asks for.
func WriteInputError(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	status := apperr.HTTPStatus(e.Code)
	var list []Error
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		list = append(list, Error{Code: status, Description: k + ": " + e.Fields[k]})
	}
	if len(list) == 0 {
		list = append(list, Error{Code: status, Description: e.Message})
	}
	writeErrors(w, formatOf(r.URL.Path), status, list...)
}
