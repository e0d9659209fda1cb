package sip

import (
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"cidproxy/config"
)

// closedWithin reports whether the proxy closes c within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 1024)
	for {
		if _, err := c.Read(buf); err != nil {
			ne, ok := err.(net.Error)
			return !ok || !ne.Timeout()
		}
	}
}

// Issue 15 item 9: TCP connections that never send, or send a message too
// slowly, were held open forever (500 idle ones); there was no cap per
// source or in total.
func TestTCPIdleMessageTimeoutsAndCaps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, func(c *config.SIP) {
		c.TCPIdleTimeout = config.Duration(400 * time.Millisecond)
		c.TCPMessageTimeout = config.Duration(400 * time.Millisecond)
		c.TCPMaxConnsPerIP = 2
	})
	addr := proxyListen(t, e.p, "tcp")
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		mustf(t, err, "dial")
		t.Cleanup(func() { c.Close() })
		return c
	}
	idle := dial()
	slow := dial()
	if _, err := slow.Write([]byte("OPTIONS sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKslow\r\n")); err != nil {
		t.Fatal(err)
	}
	over := dial() // the third from this IP
	if !closedWithin(over, 300*time.Millisecond) {
		t.Error("a third connection from one IP (cap 2) was kept")
	}
	if got := testutil.ToFloat64(e.p.m.tcpRejected); got != 1 {
		t.Errorf("cidproxy_sip_tcp_rejected_total = %v, want 1", got)
	}
	go func() { // keep the slow message coming, a byte at a time, but never complete
		for range 20 {
			time.Sleep(100 * time.Millisecond)
			if _, err := slow.Write([]byte("X")); err != nil {
				return
			}
		}
	}()
	if !closedWithin(idle, 3*time.Second) {
		t.Error("an idle connection was not closed after sip.tcp_idle_timeout")
	}
	if !closedWithin(slow, 3*time.Second) {
		t.Error("a connection with an incomplete message was not closed after sip.tcp_message_timeout")
	}
	// Closed connections leave the cap: a new one is served.
	time.Sleep(100 * time.Millisecond)
	w := dialWire(t, "tcp", addr)
	w.send("OPTIONS sip:1001@" + addr + ";transport=tcp SIP/2.0\nVia: SIP/2.0/TCP " + w.addr() + ";branch=z9hG4bKafter\n" +
		"From: <sip:a@example.com>;tag=a\nTo: <sip:1001@example.com>\nCall-ID: tcp-after\nCSeq: 1 OPTIONS\nMax-Forwards: 70\nContent-Length: 0\n\n")
	if res := w.responses(time.Second); len(res) != 1 {
		t.Errorf("after the others closed, a new connection got %v, want one answer", codes(res))
	}
}
