// Package org is who works on orders and what orders are about: the units
// (the center, the residential committees, the functional sections) and the
// two-level category catalogue that says which unit usually handles what.
//
// These types used to live in the store, so every door (api, web, portal,
// open311) imported the storage package only to name them. They are plain
// data with no I/O; the SQL that keeps them stays in internal/store. They
// are not places (internal/place): a committee is a unit here and an area
// there, and the two are joined only by the unit's code.
package org

import "encoding/json"

// Unit is a residential committee, a functional section or the center.
type Unit struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEN string `json:"name_en"`
	Kind   string `json:"kind"` // center, committee, section
	Active bool   `json:"active"`
}

// UnitKinds are the kinds of unit.
var UnitKinds = []string{"center", "committee", "section"}

// Category is one entry of the two-level category catalogue.
type Category struct {
	Code       string          `json:"code"`
	Name       string          `json:"name"`
	NameEN     string          `json:"name_en"`
	Parent     string          `json:"parent"`
	Unit       string          `json:"unit"` // the unit that usually handles it
	Attributes json.RawMessage `json:"attributes"`
	Keywords   string          `json:"keywords"`
	Sort       int             `json:"sort"`
	Active     bool            `json:"active"`
}
