package web

import "net/http"

// registerRegistryImport mounts the spreadsheet import page (registry_import.go).
func (w *Web) registerRegistryImport(mux *http.ServeMux) {}
