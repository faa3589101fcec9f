package main

import (
	"net/http"

	"hotline/internal/api"
	"hotline/internal/service"
	"hotline/internal/web"
)

// webPages returns the HTML pages to mount, nil for API only.
func webPages() func(mux *http.ServeMux, svc *service.Service, a *api.API, demo bool) {
	return web.Mount
}
