package stream

import (
	"context"
	"strings"
	"testing"

	"cidproxy/sip/event"
)

// FuzzLastEventID feeds the browser-controlled Last-Event-ID header to
// Subscribe: it never panics, and a replay only holds frames of this hub
// start that come after the given position, in order.
func FuzzLastEventID(f *testing.F) {
	h := New(Options{Policy: testPolicy(), History: 16})
	for i := range 10 {
		h.HandleEvent(context.Background(), known(inbound(event.Ringing, string(rune('a'+i)), "1001"), "hub"))
	}
	for _, s := range []string{"", "-", "x-1", h.epoch + "-0", h.epoch + "-7", h.epoch + "-99999999999999999999", h.epoch + "--1", h.epoch + "-+3", "\x00-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lastID string) {
		c, rep := h.Subscribe("1001", lastID)
		defer h.Unsubscribe(c, "closed")
		if len(rep) > 16 {
			t.Fatalf("replayed %d frames, history is 16", len(rep))
		}
		if len(rep) > 0 && !strings.HasPrefix(lastID, h.epoch+"-") {
			t.Fatalf("Last-Event-ID %q of another start replayed %d frames", lastID, len(rep))
		}
		for i := 1; i < len(rep); i++ {
			if rep[i].seq <= rep[i-1].seq {
				t.Fatalf("replay out of order: %d after %d", rep[i].seq, rep[i-1].seq)
			}
		}
	})
}
