package api

import (
	"embed"
	"errors"
	"io/fs"
	"net/http"

	"cidproxy/api/stream"
)

// currentCalls answers the calls in progress on the extension (newest
// first; "call" is the newest or null) and its recent finished calls,
// each with the CRM URL its popup settings allow: the manual mode's
// "Open in CRM" button.
func (s *Server) currentCalls(w http.ResponseWriter, r *http.Request, c *call) error {
	ext := r.PathValue("ext")
	hub, err := s.streamFor(r, c, ext)
	if err != nil {
		return err
	}
	cur, recent := hub.Current(ext)
	out := struct {
		Call   *stream.Call  `json:"call"`
		Calls  []stream.Call `json:"calls"`
		Recent []stream.Call `json:"recent"`
	}{Calls: nonNil(cur), Recent: nonNil(recent)}
	if len(cur) > 0 {
		out.Call = &cur[0]
	}
	return writeJSON(w, http.StatusOK, out)
}

func nonNil(cs []stream.Call) []stream.Call {
	if cs == nil {
		return []stream.Call{}
	}
	return cs
}

// claimPopup lets one browser tab open a popup: {"open": true} for the
// first claim of the popup id, false for every later one (other tabs,
// reconnects).
func (s *Server) claimPopup(w http.ResponseWriter, r *http.Request, c *call) error {
	ext := r.PathValue("ext")
	hub, err := s.streamFor(r, c, ext)
	if err != nil {
		return err
	}
	open, err := hub.Claim(r.Context(), ext, r.PathValue("id"))
	if errors.Is(err, stream.ErrUnknownPopup) {
		return notFound("popup", r.PathValue("id"))
	} else if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]bool{"open": open})
}

//go:embed web
var webFiles embed.FS

// popupPage serves the popup page and its script and style from the
// embedded files: no build step, no CDN.
func popupPage() http.Handler {
	sub, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix("/popup/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		if r.URL.Path == "/popup" {
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/popup/"
			r = r2
		}
		files.ServeHTTP(w, r)
	})
}
