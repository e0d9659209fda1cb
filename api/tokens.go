package api

import (
	"context"
	"errors"
	"net/http"

	"cidproxy/lookup"
	"cidproxy/store"
)

// TokenStore is what the token routes need besides Store.CreateToken.
type TokenStore interface {
	ListTokens(ctx context.Context) ([]store.TokenInfo, error)
	DeleteToken(ctx context.Context, id string) error
}

// newToken is the body of POST /api/v1/tokens.
type newToken struct {
	Extension string `json:"extension,omitempty"`
	Admin     bool   `json:"admin,omitempty"`
	Label     string `json:"label,omitempty"`
}

// createdToken is the answer of POST /api/v1/tokens: the only time the
// token itself is shown.
type createdToken struct {
	store.TokenInfo
	Token string `json:"token"`
}

// Tokens are admin-only: extension tokens get 404 everywhere here.

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := requireAdmin(c, "resource", r.URL.Path); err != nil {
		return err
	}
	infos, err := s.st.ListTokens(r.Context())
	if err != nil {
		return err
	}
	pg, err := pageOf(infos, func(t store.TokenInfo) string { return t.Created.Format("20060102T150405.000000000") + t.ID }, r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pg)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := requireAdmin(c, "resource", r.URL.Path); err != nil {
		return err
	}
	var nt newToken
	if err := decodeJSON(r, &nt); err != nil {
		return err
	}
	if (nt.Extension == "") == !nt.Admin {
		return invalid("extension", "give exactly one of extension or admin: true")
	}
	v := lookup.Viewer{Admin: nt.Admin, Extension: nt.Extension}
	tok, err := s.st.CreateToken(r.Context(), v, nt.Label)
	if errors.Is(err, store.ErrNotFound) {
		return invalid("extension", "extension %s does not exist", nt.Extension)
	}
	if err != nil {
		return err
	}
	id := store.TokenID(tok)
	w.Header().Set("Location", "/api/v1/tokens/"+id)
	w.Header().Set("Cache-Control", "no-store")
	info := store.TokenInfo{ID: id, Viewer: v, Label: nt.Label}
	if infos, err := s.st.ListTokens(r.Context()); err == nil { // for Created; the token exists either way
		for _, ti := range infos {
			if ti.ID == id {
				info = ti
			}
		}
	}
	return writeJSON(w, http.StatusCreated, createdToken{TokenInfo: info, Token: tok})
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if err := requireAdmin(c, "token", id); err != nil {
		return err
	}
	if err := s.st.DeleteToken(r.Context(), id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound("token", id)
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
