package api

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the hand-written OpenAPI 3 description of the routes;
// TestOpenAPIMatchesRoutes keeps it in step with the route table.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI 3 description served at /api/v1/openapi.json.
func OpenAPI() []byte { return append([]byte(nil), openAPIDoc...) }

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request, _ *call) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, err := w.Write(openAPIDoc)
	return err
}
