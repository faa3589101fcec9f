package api

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"sort"
)

//go:embed openapi.json
var openapiBase []byte

// openapiParts holds one file per community module (openapi/<module>.json,
// each {"paths": {...}, "components": {"schemas": {...}}}), merged into the
// base document once at start, so that modules describe their own routes
// without all editing one large file.
//
//go:embed openapi
var openapiParts embed.FS

var openapiDoc = mergeOpenAPI(openapiBase, openapiParts)

func mergeOpenAPI(base []byte, parts fs.FS) []byte {
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		panic("openapi.json: " + err.Error())
	}
	names, _ := fs.Glob(parts, "openapi/*.json")
	sort.Strings(names)
	for _, name := range names {
		b, err := fs.ReadFile(parts, name)
		if err != nil {
			panic(err)
		}
		var part map[string]any
		if err := json.Unmarshal(b, &part); err != nil {
			panic(name + ": " + err.Error())
		}
		mergeInto(doc, part, "paths")
		if c, ok := part["components"].(map[string]any); ok {
			if _, ok := doc["components"].(map[string]any); !ok {
				doc["components"] = map[string]any{}
			}
			mergeInto(doc["components"].(map[string]any), c, "schemas")
		}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return out
}

// mergeInto adds part[key]'s entries to doc[key] (an object of objects).
func mergeInto(doc, part map[string]any, key string) {
	add, ok := part[key].(map[string]any)
	if !ok {
		return
	}
	have, ok := doc[key].(map[string]any)
	if !ok {
		have = map[string]any{}
		doc[key] = have
	}
	for k, v := range add {
		have[k] = v
	}
}

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openapiDoc)
}
