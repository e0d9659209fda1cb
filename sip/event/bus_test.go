package event

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestBusFanOutAndDrop(t *testing.T) {
	b := NewBus()
	fast := b.Subscribe("fast", 10)
	slow := b.Subscribe("slow", 1)
	for i := 0; i < 3; i++ {
		b.Publish(Event{Kind: Ringing, CallID: "c"})
	}
	b.Publish(Event{Kind: "bogus"})
	if got := len(fast.Events()); got != 3 {
		t.Fatalf("fast queued %d, want 3", got)
	}
	if got := len(slow.Events()); got != 1 {
		t.Fatalf("slow queued %d, want 1", got)
	}
	var emitted, slowDropped uint64
	for _, s := range b.Stats() {
		if s.Subscriber == "" && s.Kind == Ringing {
			emitted = s.Emitted
		}
		if s.Subscriber == "slow" && s.Kind == Ringing {
			slowDropped = s.Dropped
		}
	}
	if emitted != 3 || slowDropped != 2 {
		t.Fatalf("emitted=%d slowDropped=%d, want 3 and 2", emitted, slowDropped)
	}
	b.Close()
	b.Publish(Event{Kind: Ended})
	n := 0
	for range fast.Events() {
		n++
	}
	if n != 3 {
		t.Fatalf("drained %d after close, want 3", n)
	}
	late := b.Subscribe("late", 1)
	if _, ok := <-late.Events(); ok {
		t.Fatal("subscription after close must be closed")
	}
}

func TestPublishNeverBlocks(t *testing.T) {
	b := NewBus()
	b.Subscribe("stuck", 1)
	done := make(chan struct{})
	go func() {
		for i := 0; i < 10000; i++ {
			b.Publish(Event{Kind: Answered})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publish blocked on a full subscriber")
	}
}

func TestTerminal(t *testing.T) {
	for _, k := range Kinds {
		want := k != Ringing && k != Answered
		if k.Terminal() != want {
			t.Errorf("%s.Terminal()=%v", k, k.Terminal())
		}
	}
}

func TestLogWritesOneRecordPerEvent(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	b := NewBus()
	sub := b.Subscribe("log", 4)
	b.Publish(Event{Kind: Ended, CallID: "abc", Caller: Party{Number: "+4930"}, Talk: 1500 * time.Millisecond, Reason: "bye-callee", Source: "company", ContactName: "Ann"})
	b.Publish(Event{Kind: Busy, CallID: "def", Code: 486})
	b.Close()
	Log(context.Background(), sub, log)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines: %s", len(lines), buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["msg"] != "call event" || rec["kind"] != "ended" || rec["call_id"] != "abc" || rec["talk_ms"] != 1500.0 || rec["reason"] != "bye-callee" || rec["contact_name"] != "Ann" {
		t.Errorf("record %v", rec)
	}
	if !strings.Contains(lines[1], `"code":486`) {
		t.Errorf("second record %s", lines[1])
	}
}
