package sip

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"cidproxy/config"
)

// Issue 15 item 7: INVITEs towards a dead upstream piled up without bound
// (20,000 of them: 40,000 goroutines, 650 MB). Past sip.max_pending a new
// request is answered 503 with Retry-After and counted.
func TestMaxPendingAnswers503(t *testing.T) {
	t.Parallel()
	dead, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
	mustf(t, err, "listen")
	defer dead.Close()
	e := newEnv(t, false, func(c *config.SIP) {
		c.Upstream = "sip:" + dead.LocalAddr().String()
		c.MaxPending = 5
		c.ShutdownGrace = 0
	})
	proxy := proxyListen(t, e.p, "udp")
	w := dialWire(t, "udp", proxy)
	for i := range 10 {
		w.send(inviteFrom(w, "udp", proxy, fmt.Sprintf("pending-%d", i)))
		time.Sleep(20 * time.Millisecond)
	}
	rejectedIDs := map[string]bool{} // retransmitted 503s (no ACK sent) count once
	for _, r := range w.responses(time.Second) {
		if r.StatusCode != 503 {
			t.Errorf("unexpected %d", r.StatusCode)
			continue
		}
		rejectedIDs[r.CallID().Value()] = true
		if h := r.GetHeader("Retry-After"); h == nil || h.Value() != "5" {
			t.Errorf("503 without Retry-After: %v", h)
		}
	}
	if rejected := len(rejectedIDs); rejected != 5 {
		t.Errorf("%d of 10 INVITEs rejected, want 5 (cap 5 pending)", rejected)
	}
	if got := testutil.ToFloat64(e.p.m.overloaded); got != 5 {
		t.Errorf("cidproxy_sip_overload_rejects_total = %v, want 5", got)
	}
}
