package sip

import (
	"context"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// sipgoHandler routes sipgo's logs into the injected logger. It counts
// parse failures as malformed messages and logs them at debug only (they
// carry the raw message, phone numbers included), and demotes sipgo's
// chatty info records to debug.
type sipgoHandler struct {
	next      slog.Handler
	malformed prometheus.Counter
}

// isMalformed reports sipgo error records about an unparseable message or
// one too broken to match a transaction (no Via/CSeq: answered 400).
func isMalformed(r slog.Record) bool {
	switch {
	case strings.HasPrefix(r.Message, "failed to parse"):
		return true
	case strings.HasPrefix(r.Message, "Server tx failed to handle request"):
		bad := false
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "error" && strings.Contains(a.Value.String(), "make key failed") {
				bad = true
			}
			return !bad
		})
		return bad
	}
	return false
}

// isLateAck reports sipgo's error for an ACK whose sender's TCP/TLS
// connection is already gone: an ACK needs no answer, so nothing is lost.
func isLateAck(r slog.Record) bool {
	if !strings.HasPrefix(r.Message, "Server tx failed to handle request") {
		return false
	}
	ack := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "req" && strings.HasPrefix(a.Value.String(), "ACK ") {
			ack = true
		}
		return !ack
	})
	return ack
}

func (h *sipgoHandler) Enabled(ctx context.Context, l slog.Level) bool {
	// Errors may be parse failures that must be counted even when not logged.
	if l >= slog.LevelError {
		return true
	}
	if l <= slog.LevelInfo && l > slog.LevelDebug {
		l = slog.LevelDebug
	}
	return h.next.Enabled(ctx, l)
}

func (h *sipgoHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		if isMalformed(r) {
			h.malformed.Inc()
			return h.demote(ctx, r)
		}
		if isLateAck(r) {
			return h.demote(ctx, r)
		}
	}
	if r.Level <= slog.LevelInfo && r.Level > slog.LevelDebug || r.Level == slog.LevelWarn && strings.Contains(r.Message, "ref went negative") {
		// sipgo's info records are per-message chatter; its connection
		// refcount warning fires per message on TCP (sipgo accounting).
		return h.demote(ctx, r)
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

// demote re-logs r at debug level.
func (h *sipgoHandler) demote(ctx context.Context, r slog.Record) error {
	if !h.next.Enabled(ctx, slog.LevelDebug) {
		return nil
	}
	d := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool { d.AddAttrs(a); return true })
	return h.next.Handle(ctx, d)
}

func (h *sipgoHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &sipgoHandler{next: h.next.WithAttrs(as), malformed: h.malformed}
}

func (h *sipgoHandler) WithGroup(name string) slog.Handler {
	return &sipgoHandler{next: h.next.WithGroup(name), malformed: h.malformed}
}
