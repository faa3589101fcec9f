package main

import (
	"log/slog"
	"net/http"

	"hotline/internal/api"
	"hotline/internal/service"
)

// newIntel returns the text intelligence the server runs with.
func newIntel(log *slog.Logger) service.Intelligence { return nil }

// webPages returns the HTML pages to mount, nil for API only.
func webPages() func(mux *http.ServeMux, svc *service.Service, a *api.API, demo bool) { return nil }
