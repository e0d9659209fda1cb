package event

import (
	"context"
	"log/slog"
)

// Log writes every event from sub to log, one record per event with the
// message "call event", until the subscription is closed or ctx is done.
// Numbers are logged as they appear in SIP; run it only where that is acceptable.
func Log(ctx context.Context, sub *Subscription, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.Events():
			if !ok {
				return
			}
			log.LogAttrs(ctx, slog.LevelInfo, "call event", Attrs(e)...)
		}
	}
}

// Attrs returns e as slog attributes (durations in milliseconds).
func Attrs(e Event) []slog.Attr {
	a := []slog.Attr{
		slog.String("kind", string(e.Kind)),
		slog.String("call_id", e.CallID),
		slog.String("direction", string(e.Direction)),
		slog.String("caller", e.Caller.Number),
		slog.String("caller_name", e.Caller.Name),
		slog.String("callee", e.Callee.Number),
	}
	if e.ContactName != "" || e.Source != "" {
		a = append(a, slog.String("contact_name", e.ContactName), slog.String("contact_id", e.ContactID), slog.String("source", e.Source))
	}
	if e.Code != 0 {
		a = append(a, slog.Int("code", e.Code))
	}
	if e.Reason != "" {
		a = append(a, slog.String("reason", e.Reason))
	}
	if e.Talk > 0 {
		a = append(a, slog.Int64("talk_ms", e.Talk.Milliseconds()))
	}
	if e.Duration > 0 {
		a = append(a, slog.Int64("duration_ms", e.Duration.Milliseconds()))
	}
	return a
}
