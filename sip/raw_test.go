package sip

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// rawUA is a bare UDP socket speaking SIP like sipp's built-in uac: it
// ignores Record-Route and addresses in-dialog requests to the proxy.
type rawUA struct {
	t    *testing.T
	conn *net.UDPConn
	to   *net.UDPAddr
}

func newRawUA(t *testing.T, proxy string) *rawUA {
	t.Helper()
	to, err := net.ResolveUDPAddr("udp", proxy)
	mustf(t, err, "resolve")
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	mustf(t, err, "listen")
	t.Cleanup(func() { c.Close() })
	return &rawUA{t: t, conn: c, to: to}
}

func (u *rawUA) addr() string { return u.conn.LocalAddr().String() }

func (u *rawUA) send(format string, a ...any) {
	u.t.Helper()
	msg := strings.ReplaceAll(fmt.Sprintf(format, a...), "\n", "\r\n")
	if _, err := u.conn.WriteToUDP([]byte(msg), u.to); err != nil {
		u.t.Fatal(err)
	}
}

// recv returns the next SIP message or nil after timeout.
func (u *rawUA) recv(timeout time.Duration) sip.Message {
	buf := make([]byte, 65535)
	u.conn.SetReadDeadline(time.Now().Add(timeout))
	n, _, err := u.conn.ReadFromUDP(buf)
	if err != nil {
		return nil
	}
	m, err := sip.ParseMessage(buf[:n])
	if err != nil {
		u.t.Fatalf("unparseable message from proxy: %v", err)
	}
	return m
}

// recvResponse skips 100 Trying and returns the next response with code >= min.
func (u *rawUA) recvResponse(timeout time.Duration) *sip.Response {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		m := u.recv(time.Until(deadline))
		if r, ok := m.(*sip.Response); ok && r.StatusCode > 100 {
			return r
		}
	}
	return nil
}

func TestSippStyleInDialogWithoutRoute(t *testing.T) {
	e := newEnv(t, false, nil)
	u := newRawUA(t, e.proxyAddr())
	ruri := "sip:1001@" + e.proxyAddr()
	body := testSDP
	u.send(`INVITE %s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bKsipp1;rport
From: sipp <sip:+4930123456@%s>;tag=sipp1
To: <sip:1001@%s>
Call-ID: sipp-call-1
CSeq: 1 INVITE
Contact: <sip:sipp@%s>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: %d

%s`, ruri, u.addr(), u.addr(), e.proxyAddr(), u.addr(), len(body), strings.ReplaceAll(body, "\r\n", "\n"))
	var ok200 *sip.Response
	n200 := 0
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && n200 < 2 {
		r := u.recvResponse(time.Until(deadline))
		if r == nil {
			break
		}
		if r.StatusCode == 200 {
			ok200 = r
			n200++ // no ACK yet: the callee retransmits its 2xx through the proxy
		}
	}
	if ok200 == nil || n200 < 2 {
		t.Fatalf("got %d 200 OKs, want the 2xx and at least one retransmission", n200)
	}
	if len(ok200.GetHeaders("Via")) != 1 || ok200.RecordRoute() == nil {
		t.Errorf("200 OK: Vias %d, Record-Route %v", len(ok200.GetHeaders("Via")), ok200.RecordRoute())
	}
	if rp, _ := ok200.Via().Params.Get("rport"); rp != itoa(port(u.addr())) || !ok200.Via().Params.Has("received") {
		t.Errorf("200 OK Via %q: want rport and received filled in (RFC 3581)", ok200.Via().Value())
	}
	toTag, _ := ok200.To().Params.Get("tag")
	u.send(`ACK %s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bKsipp2
From: sipp <sip:+4930123456@%s>;tag=sipp1
To: <sip:1001@%s>;tag=%s
Call-ID: sipp-call-1
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

`, ruri, u.addr(), u.addr(), e.proxyAddr(), toTag)
	time.Sleep(50 * time.Millisecond)
	u.send(`BYE %s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bKsipp3
From: sipp <sip:+4930123456@%s>;tag=sipp1
To: <sip:1001@%s>;tag=%s
Call-ID: sipp-call-1
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

`, ruri, u.addr(), u.addr(), e.proxyAddr(), toTag)
	var bye *sip.Response
	for i := 0; i < 5; i++ {
		r := u.recvResponse(2 * time.Second)
		if r != nil && r.CSeq().MethodName == sip.BYE {
			bye = r
			break
		}
	}
	if bye == nil || bye.StatusCode != 200 {
		t.Fatalf("BYE answered %v, want 200 from the callee", bye)
	}
	if got := kinds(e.events("sipp-call-1", 3*time.Second)); got != "ringing,answered,ended(bye-caller)" {
		t.Fatalf("events = %s", got)
	}
}

func TestInDialogWithoutStateIs481(t *testing.T) {
	e := newEnv(t, false, nil)
	u := newRawUA(t, e.proxyAddr())
	u.send(`BYE sip:1001@%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bKnostate
From: <sip:a@%s>;tag=a
To: <sip:1001@%s>;tag=b
Call-ID: unknown-call
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

`, e.proxyAddr(), u.addr(), u.addr(), e.proxyAddr())
	if r := u.recvResponse(2 * time.Second); r == nil || r.StatusCode != 481 {
		t.Fatalf("got %v, want 481", r)
	}
	u.send(`CANCEL sip:1001@%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bKnomatch
From: <sip:a@%s>;tag=a
To: <sip:1001@%s>
Call-ID: unknown-call-2
CSeq: 1 CANCEL
Max-Forwards: 70
Content-Length: 0

`, e.proxyAddr(), u.addr(), u.addr(), e.proxyAddr())
	if r := u.recvResponse(2 * time.Second); r == nil || r.StatusCode != 481 {
		t.Fatalf("unmatched CANCEL got %v, want 481", r)
	}
}

// An INVITE retransmitted after its answered transaction is gone (txLinger)
// must not reach the callee a second time.
func TestLateInviteRetransmissionDropped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, nil)
	u := newRawUA(t, e.proxyAddr())
	invite := fmt.Sprintf(`INVITE sip:1001@%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bKlate1
From: <sip:+4930123456@%s>;tag=late1
To: <sip:1001@%s>
Call-ID: late-call-1
CSeq: 1 INVITE
Contact: <sip:late@%s>
Max-Forwards: 70
Content-Length: 0

`, e.proxyAddr(), u.addr(), u.addr(), e.proxyAddr(), u.addr())
	u.send("%s", invite)
	var ok *sip.Response
	for ok == nil {
		r := u.recvResponse(3 * time.Second)
		if r == nil {
			t.Fatal("no 200 OK")
		}
		if r.StatusCode == 200 {
			ok = r
		}
	}
	recvReq(t, e.uas.invites, "INVITE")
	time.Sleep(txLinger + 300*time.Millisecond) // both INVITE transactions are gone
	u.send("%s", invite)
	select {
	case r := <-e.uas.invites:
		t.Fatalf("callee got the late retransmission %s", callID(r))
	case <-time.After(500 * time.Millisecond):
	}
}
