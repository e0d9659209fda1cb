package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"cidproxy/lookup"
	"cidproxy/store"
)

// maxTokenLen bounds what is handed to the store as a token.
const maxTokenLen = 512

// authenticate resolves the caller for a route of the given kind into c.
func (s *Server) authenticate(r *http.Request, kind authKind, c *call) error {
	var err error
	switch kind {
	case authNone:
		return nil
	case authBearer:
		c.viewer, err = s.bearer(r)
	case authPhone:
		c.viewer, err = s.phoneAuth(r)
	}
	return err
}

// bearer authenticates "Authorization: Bearer TOKEN".
func (s *Server) bearer(r *http.Request) (lookup.Viewer, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if h == "" {
		return lookup.Viewer{}, unauthorized("missing token: send Authorization: Bearer <token>")
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return lookup.Viewer{}, unauthorized("unsupported authorization scheme: send Authorization: Bearer <token>")
	}
	return s.check(r.Context(), strings.TrimSpace(tok))
}

// phoneAuth authenticates a phone: ?token=TOKEN, HTTP Basic with the
// extension as user name and the token as password, or a bearer token.
func (s *Server) phoneAuth(r *http.Request) (lookup.Viewer, error) {
	if tok := r.URL.Query().Get("token"); tok != "" {
		return s.check(r.Context(), tok)
	}
	if user, pass, ok := r.BasicAuth(); ok {
		v, err := s.check(r.Context(), pass)
		if err != nil {
			return v, err
		}
		if !v.Admin && v.Extension != user {
			return lookup.Viewer{}, unauthorized("invalid credentials")
		}
		return v, nil
	}
	if r.Header.Get("Authorization") != "" {
		return s.bearer(r)
	}
	return lookup.Viewer{}, unauthorized("missing credentials: use ?token=<token> or HTTP Basic (extension, token)")
}

// check asks the store who a token belongs to. The token never appears in
// errors or logs.
func (s *Server) check(ctx context.Context, tok string) (lookup.Viewer, error) {
	if tok == "" || len(tok) > maxTokenLen {
		return lookup.Viewer{}, unauthorized("invalid token")
	}
	v, err := s.st.Authenticate(ctx, tok)
	switch {
	case errors.Is(err, store.ErrUnauthorized), errors.Is(err, store.ErrNotFound):
		return lookup.Viewer{}, unauthorized("invalid token")
	case err != nil:
		// A store failure is a 500, not a wrong token; the token is not in err.
		return lookup.Viewer{}, fmt.Errorf("api: authenticate: %w", err)
	}
	if !v.Admin && v.Extension == "" {
		return lookup.Viewer{}, unauthorized("invalid token")
	}
	return v, nil
}

// requireAdmin answers 404 to extension tokens, so admin-only resources
// do not reveal themselves.
func requireAdmin(c *call, what, id string) error {
	if c.viewer.Admin {
		return nil
	}
	return notFound(what, id)
}

// selfOrAdmin allows an admin, or the extension itself; others get 404.
func selfOrAdmin(c *call, ext string) error {
	if c.viewer.Admin || c.viewer.Extension == ext {
		return nil
	}
	return notFound("extension", ext)
}
