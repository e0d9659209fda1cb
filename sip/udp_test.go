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

// TestReaderConnPeerAddrs: the read loop's connection returns each peer's
// address with the string net.UDPAddr gives it, the same value for every
// datagram of a peer, and keeps its table bounded.
func TestReaderConnPeerAddrs(t *testing.T) {
	lc, err := net.ListenPacket("udp", "127.0.0.1:0")
	mustf(t, err, "listen")
	defer lc.Close()
	rc := newReaderConn(lc, nil).(*readerConn)
	rc.maxPeers = 2
	var peers []*net.UDPConn
	for range 3 {
		pc, err := net.DialUDP("udp", nil, lc.LocalAddr().(*net.UDPAddr))
		mustf(t, err, "dial")
		defer pc.Close()
		peers = append(peers, pc)
	}
	buf := make([]byte, 64)
	read := func(from *net.UDPConn, msg string) net.Addr {
		t.Helper()
		if _, err := from.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		_ = rc.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, a, err := rc.ReadFrom(buf)
		mustf(t, err, "read")
		if string(buf[:n]) != msg {
			t.Fatalf("read %q, want %q", buf[:n], msg)
		}
		if want := from.LocalAddr().String(); a.String() != want || a.Network() != "udp" {
			t.Fatalf("peer %s/%s, want udp/%s", a.Network(), a, want)
		}
		return a
	}
	a1 := read(peers[0], "one")
	if a2 := read(peers[0], "two"); a2 != a1 {
		t.Error("a second datagram of the same peer got a new address value")
	}
	read(peers[1], "three")
	if len(rc.peers) != 2 {
		t.Fatalf("table holds %d peers, want 2", len(rc.peers))
	}
	read(peers[2], "four") // table full: cleared, then this peer added
	if len(rc.peers) != 1 {
		t.Errorf("table holds %d peers after overflow, want 1", len(rc.peers))
	}
	if a := read(peers[0], "five"); a == a1 || a.String() != a1.String() {
		t.Error("a peer forgotten at overflow must come back as an equal, new entry")
	}
}
