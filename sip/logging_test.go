package sip

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestSipgoHandler(t *testing.T) {
	for _, tc := range []struct {
		name      string
		level     slog.Level // of the injected logger
		log       func(l *slog.Logger)
		malformed float64
		want      string // substring of the output, "" = nothing logged
	}{
		{"parse failure counted, hidden at info", slog.LevelInfo, func(l *slog.Logger) {
			l.Error("failed to parse", "data", "INVITE sip:+4930123@x", "error", errors.New("bad"))
		}, 1, ""},
		{"parse failure at debug without loss", slog.LevelDebug, func(l *slog.Logger) {
			l.Error("failed to parse", "error", errors.New("bad"))
		}, 1, "level=DEBUG msg=\"failed to parse\""},
		{"missing Via counted", slog.LevelInfo, func(l *slog.Logger) {
			l.Error("Server tx failed to handle request", "error", errors.New("make key failed: 'Via' header not found"))
		}, 1, ""},
		{"other server tx error is an error", slog.LevelInfo, func(l *slog.Logger) {
			l.Error("Server tx failed to handle request", "error", errors.New("server tx get connection failed"))
		}, 0, "level=ERROR"},
		{"ACK on a closed connection is not an error", slog.LevelInfo, func(l *slog.Logger) {
			l.Error("Server tx failed to handle request", "error", errors.New("server tx get connection failed: dial tcp: connection refused"), "req", "ACK sip:100@127.0.0.1:5060 SIP/2.0")
		}, 0, ""},
		{"sipgo info demoted", slog.LevelInfo, func(l *slog.Logger) { l.Info("Non existing client tx was removed") }, 0, ""},
		{"refcount chatter demoted", slog.LevelInfo, func(l *slog.Logger) { l.Warn("TCP ref went negative", "ref", -1) }, 0, ""},
		{"warnings kept", slog.LevelInfo, func(l *slog.Logger) { l.Warn("client transport error detected") }, 0, "level=WARN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			c := prometheus.NewCounter(prometheus.CounterOpts{Name: "x_total", Help: "x"})
			h := &sipgoHandler{next: slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tc.level}), malformed: c}
			tc.log(slog.New(h).With("caller", "Transport<UDP>"))
			if got := testutil.ToFloat64(c); got != tc.malformed {
				t.Errorf("malformed = %v, want %v", got, tc.malformed)
			}
			out := buf.String()
			if tc.want == "" && out != "" || tc.want != "" && !strings.Contains(out, tc.want) {
				t.Errorf("output %q, want %q", out, tc.want)
			}
			if tc.want != "" && !strings.Contains(out, "caller=Transport<UDP>") {
				t.Errorf("attributes lost: %q", out)
			}
		})
	}
	h := &sipgoHandler{next: slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn})}
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelError) {
		t.Error("Enabled: info must follow the (demoted) debug level, errors are always inspected")
	}
}
