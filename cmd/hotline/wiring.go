package main

import (
	"net/http"

	"hotline/internal/api"
	"hotline/internal/community/meeting"
	"hotline/internal/community/patrol"
	"hotline/internal/community/registry"
	"hotline/internal/service"
	"hotline/internal/web"
)

// webPages returns the HTML pages to mount, nil for API only.
func webPages() func(mux *http.ServeMux, svc *service.Service, a *api.API, demo bool) {
	return web.Mount
}

// registryPages returns the registry's pages to mount, nil for none.
func registryPages() func(mux *http.ServeMux, svc *service.Service, a *api.API, reg *registry.Service, demo bool) {
	return web.MountRegistry
}

// communityPages mounts the patrol and meeting pages (internal/web).
func communityPages() func(*http.ServeMux, *service.Service, *api.API, bool, *patrol.Service, *meeting.Service) {
	return web.MountCommunity
}
