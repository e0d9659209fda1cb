package sip

import (
	"strings"
	"testing"
	"time"

	"cidproxy/config"
)

// Issue 12 defect 10: strict routes (RFC 3261 16.4). A strict router puts
// our Record-Route URI (no user part) into the Request-URI and the real
// target last in Route; the proxy makes that target the Request-URI again.
func TestStrictRouteRestoresRequestURI(t *testing.T) {
	t.Parallel()
	up := newRecUAS(t, "127.0.0.1")
	target := newRecUAS(t, "127.0.0.1")
	e := newEnv(t, false, func(c *config.SIP) { c.Upstream = "sip:" + up.udp })
	proxy := proxyListen(t, e.p, "udp")
	w := dialWire(t, "udp", proxy)
	w.send("INFO sip:" + proxy + " SIP/2.0\nVia: SIP/2.0/UDP " + w.addr() + ";branch=z9hG4bKstrict;rport\n" +
		"Route: <sip:1001@" + target.udp + ">\n" +
		"From: <sip:a@example.com>;tag=a\nTo: <sip:1001@example.com>;tag=b\nCall-ID: strict-1\nCSeq: 2 INFO\nMax-Forwards: 70\nContent-Length: 0\n\n")
	m, ok := target.nextRequest(2 * time.Second)
	if !ok {
		t.Fatalf("the target got nothing; caller got %v", codes(w.responses(200*time.Millisecond)))
	}
	line, _, _ := strings.Cut(string(m.raw), "\r\n")
	if line != "INFO sip:1001@"+target.udp+" SIP/2.0" {
		t.Errorf("request line %q, want the last Route entry as Request-URI", line)
	}
	if r := m.req().GetHeaders("Route"); len(r) != 0 {
		t.Errorf("Route %v left in the request", r)
	}
	if res := w.responses(time.Second); len(res) != 1 || res[0].StatusCode != 200 {
		t.Errorf("caller got %v, want the target's 200", codes(res))
	}
}
