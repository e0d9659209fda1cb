package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"cidproxy/api/stream"

	"github.com/prometheus/client_golang/prometheus"

	"cidproxy/lookup"
)

// DefaultMaxBodySize caps request bodies when Options.MaxBodySize is 0.
const DefaultMaxBodySize = 64 << 20

// Options configures a Server.
type Options struct {
	// Logger receives request errors; nil discards. Tokens are never logged.
	Logger *slog.Logger
	// Registerer receives the API metrics; nil registers nowhere.
	Registerer prometheus.Registerer
	// PublicURL is the base URL phones use to reach the admin listener
	// (Cisco paging and search links); empty: derived from the request.
	PublicURL string
	// MaxBodySize caps request bodies in bytes (413 above); 0 means
	// DefaultMaxBodySize.
	MaxBodySize int64
	// SpoolDir holds import uploads of unknown length while they are
	// received ("": the system temporary directory).
	SpoolDir string
	// ProtectMetrics makes ProtectMetrics demand an admin token.
	ProtectMetrics bool
	// Normalize, if set, maps a phone number to its lookup key; the phone
	// directories use it to match ?number= searches in any format.
	Normalize func(string) string
	// Explain, if set, serves GET /api/v1/lookup/explain: each source a
	// lookup consults and why it was or was not used, one line each.
	Explain func(ctx context.Context, q lookup.Query) ([]string, error)
	// Reload, if set, serves POST /api/v1/reload: it reloads the daemon's
	// configuration and returns a report, or the reasons it refused.
	Reload func(ctx context.Context) (any, error)
	// Resolver, if set, answers GET /api/v1/lookup (the proxy's chain).
	Resolver interface {
		Lookup(ctx context.Context, q lookup.Query) (lookup.Result, error)
	}
	// CRM serves /api/v1/integrations and contact creation for calls;
	// nil: no integrations.
	CRM CRM
	// SQL serves /api/v1/sql-sources (the SQL contact sync); nil: no
	// sources.
	SQL SQLSources
	// Stream serves the extensions' call event streams and the popup
	// page's calls; nil answers 404 on those routes.
	Stream *stream.Hub
	// Heartbeat is the event stream's keep-alive comment interval
	// (DefaultHeartbeat when 0).
	Heartbeat time.Duration
	// StreamWriteTimeout drops a stream client that cannot take an event
	// within it (DefaultStreamWriteTimeout when 0).
	StreamWriteTimeout time.Duration
}

// KeyFunc adapts a number normaliser such as (*lookup.Normalizer).Key
// to Options.Normalize: numbers it cannot parse map to "".
func KeyFunc(key func(string) (string, error)) func(string) string {
	return func(s string) string {
		k, err := key(s)
		if err != nil {
			return ""
		}
		return k
	}
}

// Server serves the management API under /api/v1/ and the IP phone
// directories under /phonebook/.
type Server struct {
	st      Store
	opts    Options
	log     *slog.Logger
	metrics *metrics
	mux     *http.ServeMux
	// paths maps method-less route paths, to tell 405 from 404.
	paths *http.ServeMux
}

// New returns a Server on st. It panics only on a programming error in
// the route table.
func New(st Store, opts Options) *Server {
	if opts.MaxBodySize <= 0 {
		opts.MaxBodySize = DefaultMaxBodySize
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	if opts.StreamWriteTimeout <= 0 {
		opts.StreamWriteTimeout = DefaultStreamWriteTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	s := &Server{
		st:      st,
		opts:    opts,
		log:     opts.Logger,
		metrics: newMetrics(opts.Registerer),
		mux:     http.NewServeMux(),
		paths:   http.NewServeMux(),
	}
	seen := map[string]bool{}
	for _, rt := range routes {
		s.mux.Handle(rt.pattern(), s.wrap(rt))
		if !seen[rt.Path] {
			seen[rt.Path] = true
			s.paths.Handle(rt.Path, http.NotFoundHandler())
		}
	}
	// Unknown paths and methods need credentials too: no probing without a token.
	s.mux.Handle("/api/v1/", s.wrap(route{Path: "/api/v1/", Auth: authBearer, h: (*Server).fallback}))
	s.mux.Handle("/phonebook/", s.wrap(route{Path: "/phonebook/", Auth: authPhone, h: (*Server).fallback}))
	s.mux.Handle("GET /popup", popupPage())
	s.mux.Handle("GET /popup/", popupPage())
	return s
}

// Handler returns the handler for /api/v1/..., /phonebook/... and the
// popup page /popup; other paths answer 404.
func (s *Server) Handler() http.Handler { return s.mux }

// Mount registers the API and phone directory subtrees on mux (next to
// /metrics and /healthz of the admin listener).
func (s *Server) Mount(mux *http.ServeMux) {
	mux.Handle("/api/v1/", s.mux)
	mux.Handle("/phonebook/", s.mux)
	mux.Handle("/popup", s.mux)
	mux.Handle("/popup/", s.mux)
}

// ProtectMetrics wraps the /metrics handler: with Options.ProtectMetrics
// it requires an admin bearer token (401 otherwise), else it returns h.
func (s *Server) ProtectMetrics(h http.Handler) http.Handler {
	if !s.opts.ProtectMetrics {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := s.bearer(r)
		if err == nil && !v.Admin {
			err = errNotFound
		}
		if err != nil {
			s.writeError(w, r, unauthorized("an admin token is required for /metrics"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// fallback answers paths under the API prefixes that match no route: 405
// with Allow when the path exists for other methods, else 404.
func (s *Server) fallback(w http.ResponseWriter, r *http.Request, _ *call) error {
	if _, pat := s.paths.Handler(r); pat != "" {
		var allow []string
		for _, rt := range routes {
			if rt.Path == pat {
				allow = append(allow, rt.Method)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return problemf(http.StatusMethodNotAllowed, "method-not-allowed", "%s is not allowed on %s (allowed: %s)", r.Method, pat, strings.Join(allow, ", "))
	}
	return problemf(http.StatusNotFound, "not-found", "no such resource: %s", r.URL.Path)
}
