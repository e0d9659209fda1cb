package api

import "net/http"

// reload reloads the daemon's configuration (admin): 200 with what was
// applied and what waits for a restart, 422 when the new configuration is
// refused (the running one stays).
func (s *Server) reload(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := requireAdmin(c, "resource", r.URL.Path); err != nil {
		return err
	}
	if s.opts.Reload == nil {
		return problemf(http.StatusNotImplemented, "not-implemented", "this server cannot reload")
	}
	rep, err := s.opts.Reload(r.Context())
	if err != nil {
		return problemf(http.StatusUnprocessableEntity, "reload-refused", "%v", err)
	}
	return writeJSON(w, http.StatusOK, rep)
}
