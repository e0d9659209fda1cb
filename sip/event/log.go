package event

import (
	"context"
	"log/slog"
	"strings"
)

// Log writes every event from sub to log, one INFO record per event with
// the message "call event", until the subscription is closed or ctx is
// done. Phone numbers (caller, callee, a caller name that is a number)
// are masked (MaskNumber) unless log is enabled for DEBUG: the README
// promises numbers in logs at debug level only.
func Log(ctx context.Context, sub *Subscription, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.Events():
			if !ok {
				return
			}
			if !log.Enabled(ctx, slog.LevelDebug) {
				e = masked(e)
			}
			log.LogAttrs(ctx, slog.LevelInfo, "call event", Attrs(e)...)
		}
	}
}

// keepDigits is how many trailing digits MaskNumber leaves readable.
const keepDigits = 3

// MaskNumber replaces every digit of s but the last three with '*'
// ("+4930123456" -> "+********456"); a short extension such as "100"
// stays as it is. Non-digits are kept.
func MaskNumber(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	if n <= keepDigits {
		return s
	}
	b := []byte(s)
	for i := range b {
		if b[i] >= '0' && b[i] <= '9' && n > keepDigits {
			b[i] = '*'
			n--
		}
	}
	return string(b)
}

// masked returns e with its numbers masked for an INFO log.
func masked(e Event) Event {
	e.Caller.Number, e.Callee.Number = MaskNumber(e.Caller.Number), MaskNumber(e.Callee.Number)
	if looksLikeNumber(e.Caller.Name) {
		e.Caller.Name = MaskNumber(e.Caller.Name)
	}
	return e
}

// looksLikeNumber reports whether a display name is a phone number
// (digits and the usual separators only), as many PBXes send.
func looksLikeNumber(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-()./ ", r):
		default:
			return false
		}
	}
	return digits > 0
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
