package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"cidproxy/api/stream"
	"cidproxy/store"
)

// Stream defaults (Options.Heartbeat, Options.StreamWriteTimeout).
const (
	DefaultHeartbeat          = 15 * time.Second
	DefaultStreamWriteTimeout = 10 * time.Second
)

// streamFor checks that popups are on and that the viewer may watch ext:
// the extension itself or an admin (403 for another extension's token,
// 404 for an admin asking for an extension that does not exist).
func (s *Server) streamFor(r *http.Request, c *call, ext string) (*stream.Hub, error) {
	if s.opts.Stream == nil {
		return nil, problemf(http.StatusNotFound, "not-found", "the call event stream is not enabled")
	}
	if !c.viewer.Admin {
		if c.viewer.Extension != ext {
			return nil, forbidden("this token may only watch extension %s", c.viewer.Extension)
		}
		return s.opts.Stream, nil
	}
	if _, err := s.st.GetExtension(r.Context(), ext); errors.Is(err, store.ErrNotFound) {
		return nil, notFound("extension", ext)
	} else if err != nil {
		return nil, err
	}
	return s.opts.Stream, nil
}

// extensionEvents streams the extension's call and popup events as
// Server-Sent Events until the client leaves or is dropped.
func (s *Server) extensionEvents(w http.ResponseWriter, r *http.Request, c *call) error {
	ext := r.PathValue("ext")
	hub, err := s.streamFor(r, c, ext)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	// The listener's read timeout would cancel a long stream; the write
	// deadline per event takes its place.
	_ = rc.SetReadDeadline(time.Time{})
	client, replay := hub.Subscribe(ext, r.Header.Get("Last-Event-ID"))
	reason := "closed"
	defer func() { hub.Unsubscribe(client, reason) }()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := s.writeSSE(rc, w, "retry: 2000\n: stream of extension "+ext+"\n\n", replay...); err != nil {
		reason = closeReason(err)
		return nil
	}
	tick := time.NewTicker(s.opts.Heartbeat)
	defer tick.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return nil
		case <-client.Gone():
			return nil
		case <-hub.Done():
			return nil
		case f := <-client.C():
			err = s.writeSSE(rc, w, "", f)
		case <-tick.C:
			err = s.writeSSE(rc, w, ": heartbeat\n\n")
		}
		if err != nil {
			reason = closeReason(err)
			return nil
		}
	}
}

// writeSSE writes a prefix and frames under one write deadline and flushes.
func (s *Server) writeSSE(rc *http.ResponseController, w io.Writer, prefix string, fs ...stream.Frame) error {
	if err := rc.SetWriteDeadline(time.Now().Add(s.opts.StreamWriteTimeout)); err != nil {
		return err
	}
	if prefix != "" {
		if _, err := io.WriteString(w, prefix); err != nil {
			return err
		}
	}
	for _, f := range fs {
		if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", f.ID, f.Type, f.Data); err != nil {
			return err
		}
	}
	return rc.Flush()
}

// closeReason tells a stalled browser (counted as dropped) from one that left.
func closeReason(err error) string {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "write_timeout"
	}
	return "closed"
}
