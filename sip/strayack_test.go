package sip

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"cidproxy/config"
)

// Issue 12 defect 6: with both legs on TCP, the caller's ACK for a 486
// was relayed statelessly over UDP to the Request-URI host instead of
// being absorbed by the INVITE server transaction (RFC 3261 17.2.1): the
// ACK for a non-2xx final is hop by hop; the proxy ACKs the callee itself.
func TestAckForFailureAbsorbedOnTCP(t *testing.T) {
	t.Parallel()
	uas := newRecUAS(t, "127.0.0.1")
	uas.setReply(func(req *sip.Request) []string {
		if req.IsAck() {
			return nil
		}
		return []string{response(req, 486, "Busy Here", "")}
	})
	e := newEnv(t, false, func(c *config.SIP) { c.Upstream = "sip:" + uas.tcp + ";transport=tcp" })
	// The Request-URI host: a UDP socket that must receive nothing.
	ruriSock, err := net.ListenPacket("udp", "127.0.0.1:0")
	mustf(t, err, "listen")
	defer ruriSock.Close()
	ruri := "sip:1001@" + ruriSock.LocalAddr().String()
	proxy := proxyListen(t, e.p, "tcp")
	w := dialWire(t, "tcp", proxy)
	head := func(method, toTag string) string {
		return fmt.Sprintf("%s %s SIP/2.0\nVia: SIP/2.0/TCP %s;branch=z9hG4bK-stray1\n"+
			"From: <sip:alice@example.com>;tag=s1\nTo: <sip:1001@example.com>%s\nCall-ID: stray-ack-1\n"+
			"CSeq: 1 %s\nMax-Forwards: 70\nContent-Length: 0\n\n", method, ruri, w.addr(), toTag, method)
	}
	w.send(head("INVITE", ""))
	res := w.responses(time.Second)
	if len(res) != 1 || res[0].StatusCode != 486 {
		t.Fatalf("caller got %v, want one 486", codes(res))
	}
	tag, _ := res[0].To().Params.Get("tag")
	w.send(head("ACK", ";tag="+tag))

	acks := 0
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		m, ok := uas.next(time.Until(deadline))
		if !ok {
			break
		}
		if r := m.req(); r != nil && r.IsAck() {
			acks++
			if v := r.Via(); v == nil || v.Host == "" {
				t.Errorf("ACK at the callee without our Via")
			}
		}
	}
	if acks != 1 {
		t.Errorf("callee got %d ACKs, want exactly the proxy's own one", acks)
	}
	buf := make([]byte, 2048)
	ruriSock.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, _, err := ruriSock.ReadFrom(buf); err == nil {
		t.Fatalf("the caller's ACK leaked to the Request-URI host over UDP:\n%s", buf[:n])
	}
}
