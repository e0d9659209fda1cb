package sip

import (
	"fmt"
	"testing"
	"time"

	"cidproxy/config"
)

// Issue 15 item 8: a request whose Route names any address was forwarded
// there (an open relay). A Route may only lead to the upstream, to our own
// Record-Route (popped) or to an entry of sip.route_allow; else 403.
func TestRouteOnlyToAllowedHops(t *testing.T) {
	t.Parallel()
	uas := newRecUAS(t, "127.0.0.1")    // the upstream
	victim := newRecUAS(t, "127.0.0.1") // some other host
	allowed := newRecUAS(t, "127.0.0.1")
	e := newEnv(t, false, func(c *config.SIP) {
		c.Upstream = "sip:" + uas.udp
		c.RouteAllow = []string{allowed.udp}
	})
	proxy := proxyListen(t, e.p, "udp")
	w := dialWire(t, "udp", proxy)
	send := func(id, route string) []int {
		w.send(fmt.Sprintf("OPTIONS sip:x@example.com SIP/2.0\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\n"+
			"Route: <sip:%s;lr>\nFrom: <sip:a@example.com>;tag=r\nTo: <sip:x@example.com>\nCall-ID: relay-%s\n"+
			"CSeq: 1 OPTIONS\nMax-Forwards: 70\nContent-Length: 0\n\n", w.addr(), id, route, id))
		return codes(w.responses(time.Second))
	}
	if got := send("victim", victim.udp); len(got) != 1 || got[0] != 403 {
		t.Errorf("Route to an arbitrary host answered %v, want 403", got)
	}
	if m, ok := victim.next(300 * time.Millisecond); ok {
		t.Fatalf("relayed to the host the Route named:\n%s", m.raw)
	}
	if got := send("allowed", allowed.udp); len(got) != 1 || got[0] != 200 {
		t.Errorf("Route to a sip.route_allow hop answered %v, want the hop's 200", got)
	}
	if got := send("upstream", uas.udp); len(got) != 1 || got[0] != 200 {
		t.Errorf("Route to the upstream answered %v, want 200", got)
	}
	if got := send("ours", proxy+";lr>,<sip:"+victim.udp); len(got) != 1 || got[0] != 403 {
		t.Errorf("our Route followed by an arbitrary host answered %v, want 403", got)
	}
}
