package event

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// logOne logs ev through Log with a JSON handler at level and returns the record.
func logOne(t *testing.T, level slog.Level, ev Event) (map[string]any, string) {
	t.Helper()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: level}))
	b := NewBus()
	sub := b.Subscribe("log", 1)
	b.Publish(ev)
	b.Close()
	Log(context.Background(), sub, log)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log output %q: %v", buf.String(), err)
	}
	return rec, buf.String()
}

// TestLogMasksNumbersAtInfo: at INFO the call event log carries no full
// phone number (README: numbers at debug level only); at DEBUG it does.
func TestLogMasksNumbersAtInfo(t *testing.T) {
	ev := Event{Kind: Ringing, CallID: "c1", Direction: Inbound,
		Caller: Party{Number: "+4930123456", Name: "+49 30 123456"}, Callee: Party{Number: "01711234567"}}
	tests := []struct {
		level                      slog.Level
		caller, callerName, callee string
	}{
		{slog.LevelInfo, "+*******456", "+** ** ***456", "********567"},
		{slog.LevelDebug, "+4930123456", "+49 30 123456", "01711234567"},
	}
	for _, tc := range tests {
		t.Run(tc.level.String(), func(t *testing.T) {
			rec, raw := logOne(t, tc.level, ev)
			if rec["caller"] != tc.caller || rec["caller_name"] != tc.callerName || rec["callee"] != tc.callee {
				t.Errorf("caller=%v caller_name=%v callee=%v, want %q %q %q", rec["caller"], rec["caller_name"], rec["callee"], tc.caller, tc.callerName, tc.callee)
			}
			if tc.level == slog.LevelInfo && (strings.Contains(raw, "30123456") || strings.Contains(raw, "1711234567")) {
				t.Errorf("INFO record holds a full number: %s", raw)
			}
		})
	}
}

func TestMaskNumber(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"100":          "100",
		"1001":         "*001",
		"+4930123456":  "+*******456",
		"anonymous":    "anonymous",
		"030 12-34 56": "*** **-*4 56",
	} {
		if got := MaskNumber(in); got != want {
			t.Errorf("MaskNumber(%q) = %q, want %q", in, got, want)
		}
	}
	if looksLikeNumber("Ann 2") || !looksLikeNumber("+49 (30) 1234") {
		t.Error("looksLikeNumber")
	}
}
