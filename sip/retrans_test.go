package sip

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"cidproxy/config"
)

// A retransmitted INVITE must be byte-identical to the first copy, or a
// strict callee (sipp) takes it for a new request.
func TestInviteRetransmissionIdentical(t *testing.T) {
	hole, err := net.ListenPacket("udp", "127.0.0.1:0")
	mustf(t, err, "listen")
	defer hole.Close()
	e := newEnv(t, false, func(c *config.SIP) {
		c.Upstream = "sip:" + hole.LocalAddr().String()
		c.ShutdownGrace = config.Duration(50 * time.Millisecond)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	go e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"))
	var got [][]byte
	buf := make([]byte, 65535)
	for len(got) < 2 {
		hole.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _, err := hole.ReadFrom(buf)
		mustf(t, err, "read (got %d copies)", len(got))
		got = append(got, append([]byte(nil), buf[:n]...))
	}
	if !bytes.Equal(got[0], got[1]) {
		t.Fatalf("retransmission differs:\n%s\n----\n%s", got[0], got[1])
	}
}
