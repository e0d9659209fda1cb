package api

import (
	"net/http"
	"time"

	"cidproxy/lookup"
)

// call is what a handler knows about the request beyond http.Request.
type call struct {
	viewer lookup.Viewer
	route  string // route pattern, the metrics label
}

// statusWriter records the status code for metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap adds authentication, the body limit, error replies, metrics and a
// debug log line to a route's handler. The log line carries the route
// pattern, never the raw URL: query strings may hold a token.
func (s *Server) wrap(rt route) http.Handler {
	label := rt.pattern()
	if rt.Method == "" {
		label = "unmatched"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		c := &call{route: label}
		err := s.authenticate(r, rt.Auth, c)
		if err == nil {
			err = checkQuery(rt, r.URL.Query())
		}
		if err == nil && r.ContentLength > s.opts.MaxBodySize {
			// Refused before a byte of the body is read.
			err = &http.MaxBytesError{Limit: s.opts.MaxBodySize}
		} else if err == nil {
			if r.Body != nil {
				r.Body = http.MaxBytesReader(sw, r.Body, s.opts.MaxBodySize)
			}
			err = rt.h(s, sw, r, c)
		}
		if err != nil {
			s.writeError(sw, r, err)
		}
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		d := time.Since(start)
		s.metrics.observe(label, sw.code, d)
		s.log.DebugContext(r.Context(), "api request", "method", r.Method, "route", label,
			"status", sw.code, "duration", d, "viewer", viewerLabel(c.viewer))
	})
}

// viewerLabel describes a viewer for debug logs (never the token).
func viewerLabel(v lookup.Viewer) string {
	switch {
	case v.Admin:
		return "admin"
	case v.Extension != "":
		return "extension"
	}
	return "anonymous"
}

func routeOf(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return "unmatched"
}
