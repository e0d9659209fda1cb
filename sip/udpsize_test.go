package sip

import (
	"strings"
	"testing"
	"time"

	"cidproxy/config"
)

// Issue 12 defect 10: a request larger than the path MTU stayed on UDP
// (RFC 3261 18.1.1: within 200 bytes of 1300, use TCP). With
// sip.udp_max_size set it goes to the same next hop over TCP; a small one
// stays on UDP.
func TestLargeRequestSwitchesToTCP(t *testing.T) {
	t.Parallel()
	uas := newRecUAS(t, "127.0.0.1")
	e := newEnv(t, false, func(c *config.SIP) {
		c.Upstream = "sip:" + uas.udp
		c.UDPMaxSize = 1300
	})
	proxy := proxyListen(t, e.p, "udp")
	w := dialWire(t, "udp", proxy)
	for _, tc := range []struct {
		id       string
		pad      int
		wantOver string
	}{{"small", 0, "UDP"}, {"large", 1500, "TCP"}} {
		w.send("MESSAGE sip:1001@" + proxy + " SIP/2.0\nVia: SIP/2.0/UDP " + w.addr() + ";branch=z9hG4bK-" + tc.id + ";rport\n" +
			"From: <sip:a@example.com>;tag=a\nTo: <sip:1001@example.com>\nCall-ID: size-" + tc.id + "\nCSeq: 1 MESSAGE\nMax-Forwards: 70\n" +
			"X-Pad: " + strings.Repeat("p", tc.pad) + "\nContent-Length: 0\n\n")
		m, ok := uas.nextRequest(2 * time.Second)
		if !ok {
			t.Fatalf("%s: not forwarded", tc.id)
		}
		if got := m.req().Via().Transport; got != tc.wantOver {
			t.Errorf("%s request (%d bytes) left over %s, want %s", tc.id, len(m.raw), got, tc.wantOver)
		}
		if (m.from == nil) != (tc.wantOver == "TCP") {
			t.Errorf("%s: arrived on the wrong socket", tc.id)
		}
		if res := w.responses(time.Second); len(res) != 1 || res[0].StatusCode != 200 {
			t.Errorf("%s: caller got %v, want 200", tc.id, codes(res))
		}
	}
}
