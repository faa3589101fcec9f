package place

// OrderCompound is a compound as the orders' settings and doors speak of it
// (api.md's /settings/compounds): its committee rather than its area, and
// no buildings. It is the same row as Compound, read for orders; it keeps
// its own shape because the JSON it answers with is part of the contract.
// It lived in the store until the doors stopped importing storage for types.
type OrderCompound struct {
	Code      string   `json:"code"`
	Name      string   `json:"name"`
	Committee string   `json:"committee"`
	GeoJSON   string   `json:"geojson,omitempty"`
	Lat       *float64 `json:"lat,omitempty"`
	Lng       *float64 `json:"lng,omitempty"`
}

// OrderBuilding is a building (楼/幢) of a compound as intake's pickers and
// the settings name it: by compound and number, without the server-wide
// code that Building carries for the registry.
type OrderBuilding struct {
	Compound string   `json:"compound"`
	Number   string   `json:"number"`
	Floors   int      `json:"floors"`
	LowLying bool     `json:"low_lying"`
	Lat      *float64 `json:"lat,omitempty"`
	Lng      *float64 `json:"lng,omitempty"`
}
