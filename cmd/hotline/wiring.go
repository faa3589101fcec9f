package main

import (
	"net/http"

	"hotline/internal/api"
	"hotline/internal/community/meeting"
	"hotline/internal/community/patrol"
	"hotline/internal/service"
	"hotline/internal/web"
)

// webPages returns the HTML pages to mount, nil for API only.
func webPages() func(mux *http.ServeMux, svc *service.Service, a *api.API, demo bool) {
	return web.Mount
}

// communityPages mounts the patrol and meeting pages (internal/web).
func communityPages() func(*http.ServeMux, *service.Service, *api.API, bool, *patrol.Service, *meeting.Service) {
	return web.MountCommunity
}
