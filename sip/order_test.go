package sip

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"cidproxy/config"
)

// inviteFrom is a minimal INVITE sent by w through the proxy at proxy.
func inviteFrom(w *wire, transport, proxy, callID string) string {
	return fmt.Sprintf("INVITE sip:1001@%s;transport=%s SIP/2.0\n"+
		"Via: SIP/2.0/%s %s;branch=z9hG4bK-%s;rport\n"+
		"From: <sip:+4930123456@%s>;tag=f-%s\n"+
		"To: <sip:1001@%s>\n"+
		"Call-ID: %s\nCSeq: 1 INVITE\nContact: <sip:caller@%s;transport=%s>\nMax-Forwards: 70\nContent-Length: 0\n\n",
		proxy, transport, transportUpper(transport), w.addr(), callID, w.addr(), callID, proxy, callID, w.addr(), transport)
}

func transportUpper(t string) string {
	switch t {
	case "tcp":
		return "TCP"
	case "tls":
		return "TLS"
	}
	return "UDP"
}

// proxyListen returns the proxy's address for transport.
func proxyListen(t testing.TB, p *Proxy, transport string) string {
	for _, l := range p.Addrs() {
		if l.Transport == transport {
			return l.Addr
		}
	}
	t.Fatalf("no %s listener in %v", transport, p.Addrs())
	return ""
}

// Issue 12 defect 2: a callee that sends 180, 183 and 200 back to back
// (one TCP segment on a stream) must see all three relayed to the caller,
// in that order, on every transport. Before, sipgo handled each response
// on its own goroutine: the 200 often won, the client transaction went to
// Accepted and dropped the 18x as stray (lost in most TCP calls).
func TestProvisionalResponsesInOrder(t *testing.T) {
	t.Parallel()
	cert, key := writeCert(t)
	for _, tr := range []string{"udp", "tcp", "tls"} {
		t.Run(tr, func(t *testing.T) {
			uas := newRecUAS(t, "127.0.0.1")
			e := newEnv(t, false, func(c *config.SIP) {
				c.Listen = append(c.Listen, "tls://127.0.0.1:0")
				c.TLSCert, c.TLSKey = cert, key
				c.Upstream = "sip:" + uas.udp
				if tr != "udp" {
					c.Upstream = "sip:" + uas.tcp + ";transport=tcp"
				}
			})
			proxy := proxyListen(t, e.p, tr)
			w := dialWire(t, tr, proxy)
			bad := 0
			for i := range 100 {
				id := fmt.Sprintf("order-%s-%d", tr, i)
				w.send(inviteFrom(w, tr, proxy, id))
				var got []int
				deadline := time.Now().Add(3 * time.Second)
				for len(got) < 3 && time.Now().Before(deadline) {
					m, ok := w.next(time.Until(deadline))
					if !ok {
						break
					}
					if r := m.res(); r != nil && r.StatusCode != 100 && callID2(r.CallID()) == id {
						got = append(got, r.StatusCode)
						if r.StatusCode >= 200 {
							break
						}
					}
				}
				if !slices.Equal(got, []int{180, 183, 200}) {
					bad++
					t.Errorf("call %d: caller got %v, want [180 183 200]", i, got)
				}
			}
			if bad > 0 {
				t.Fatalf("%d of 100 calls lost or reordered provisional responses", bad)
			}
		})
	}
}

func callID2(h interface{ Value() string }) string {
	if h == nil {
		return ""
	}
	return h.Value()
}
