package server

import (
	"net/http"

	"github.com/parkd/parkd/internal/openapi"
)

// routes mounts the parts of parkd beside the uplink and booking API
// (internal/api) on mux: one line per part, so that every route of the
// running server can be found from here.
func (s *Server) routes(mux *http.ServeMux) {
	mux.Handle("GET /metrics", s.serveMetrics())
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.HandleFunc("GET /openapi.yaml", openapi.ServeYAML)
	mux.HandleFunc("GET /openapi.json", openapi.ServeJSON)
	s.Public.Packages = s.OffPeak.PublicPackages // a park's off-peak packages on sale
	s.Public.Mount(mux)
	s.console().Mount(mux)
}
