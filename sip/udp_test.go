package sip

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"

	"cidproxy/config"
)

// rmemMax is the kernel's cap on SO_RCVBUF (Linux), or 0 when unknown.
func rmemMax(t *testing.T) int {
	b, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	if err != nil {
		t.Skip("no /proc/sys/net/core/rmem_max: not Linux")
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n <= 0 {
		t.Skipf("rmem_max %q", b)
	}
	return n
}

// udpProxy builds a proxy with sip.udp_buffer = buf and an untuned UDP
// socket for it to tune; the socket closes with the test.
func udpProxy(t *testing.T, buf int, opts Options) (*Proxy, net.PacketConn) {
	t.Helper()
	cfg := baseConfig()
	cfg.Listen = []string{"udp://127.0.0.1:0"}
	cfg.UDPBuffer = config.Size(buf)
	p, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return p, c
}

func TestUDPBufferApplied(t *testing.T) {
	max := rmemMax(t)
	want := min(1<<20, max)
	p, c := udpProxy(t, want, Options{})
	before, err := socketBuffer(c.(*net.UDPConn))
	if err != nil {
		t.Fatal(err)
	}
	p.tuneUDP(c)
	got, err := socketBuffer(c.(*net.UDPConn))
	if err != nil {
		t.Fatal(err)
	}
	if got < want {
		t.Errorf("receive buffer %d bytes after tuning (before %d), want >= %d", got, before, want)
	}
}

func TestUDPBufferCappedWarns(t *testing.T) {
	max := rmemMax(t)
	if max >= 1<<30 {
		t.Skipf("rmem_max %d: the kernel grants any allowed size", max)
	}
	var logs bytes.Buffer
	p, c := udpProxy(t, 1<<30, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	p.tuneUDP(c)
	if !strings.Contains(logs.String(), "raise net.core.rmem_max") {
		t.Errorf("no warning about the capped buffer; log:\n%s", logs.String())
	}
}

// TestUDPReaders proves calls work with one and with several read loops
// on the UDP listener.
func TestUDPReaders(t *testing.T) {
	for _, n := range []int{1, 4} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			e := newEnv(t, false, func(c *config.SIP) { c.UDPReaders = n })
			for i := 0; i < 20; i++ {
				placeNamedCall(t, e)
			}
		})
	}
}

// placeNamedCall makes one answered call from a known caller over UDP and
// checks the callee saw the name.
func placeNamedCall(t *testing.T, e *env) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"))
	mustf(t, err, "invite")
	mustf(t, sess.WaitAnswer(ctx, sipgo.AnswerOptions{}), "wait answer")
	mustf(t, sess.Ack(ctx), "ack")
	inv := recvReq(t, e.uas.invites, "INVITE")
	if got, want := inv.From().DisplayName, `Alice \"AM\" Müller`; got != want {
		t.Errorf("From display = %q, want %q", got, want)
	}
	mustf(t, sess.Bye(ctx), "bye")
}
