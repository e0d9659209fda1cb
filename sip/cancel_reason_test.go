package sip

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

func TestCompletedElsewhere(t *testing.T) {
	for v, want := range map[string]bool{
		`SIP;cause=200;text="Call completed elsewhere"`: true,
		`SIP ; cause = 200`:                             true,
		`Q.850;cause=16, SIP;cause=200`:                 true,
		`SIP;cause=487;text="Request Terminated"`:       false,
		`Q.850;cause=200`:                               false,
		`SIP;text="cause=200"`:                          false,
		``:                                              false,
	} {
		if got := completedElsewhere(sip.NewHeader("Reason", v)); got != want {
			t.Errorf("%q: %v, want %v", v, got, want)
		}
	}
	if completedElsewhere(nil) {
		t.Error("nil header")
	}
}

// A PBX that rings several phones cancels the others with "Reason:
// SIP;cause=200" when one answers (RFC 3326): the leg ends as
// cancel-elsewhere (no missed call in the journal) and the callee gets
// the Reason too, so the phone lists no missed call either.
func TestCancelCompletedElsewhereIsPassedOn(t *testing.T) {
	e := newEnv(t, false, nil)
	cancels := make(chan *sip.Request, 1)
	e.uas.setOnInvite(func(p *peer, s *sipgo.DialogServerSession, req *sip.Request, tx sip.ServerTransaction) {
		tx.OnCancel(func(c *sip.Request) { cancels <- c })
		ringForever(p, s, req, tx)
	})
	u := newRawUA(t, e.proxyAddr())
	hdr := func(method string, seq int) string {
		return fmt.Sprintf(`%s sip:1001@%s SIP/2.0
Via: SIP/2.0/UDP %s;branch=z9hG4bKgroup1
From: <sip:+4930123456@%s>;tag=grp1
To: <sip:1001@%s>
Call-ID: ring-group-leg-1
CSeq: %d %s
Max-Forwards: 70
`, method, e.proxyAddr(), u.addr(), u.addr(), e.proxyAddr(), seq, method)
	}
	u.send("%sContact: <sip:pbx@%s>\nContent-Length: 0\n\n", hdr("INVITE", 1), u.addr())
	if r := u.recvResponse(3 * time.Second); r == nil || r.StatusCode != 180 {
		t.Fatalf("want 180, got %v", r)
	}
	u.send("%sReason: SIP;cause=200;text=\"Call completed elsewhere\"\nContent-Length: 0\n\n", hdr("CANCEL", 1))
	var got487 bool
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && !got487; {
		if r := u.recvResponse(time.Until(deadline)); r != nil && r.StatusCode == 487 {
			got487 = true
		}
	}
	if !got487 {
		t.Fatal("no 487 for the cancelled INVITE")
	}
	select {
	case c := <-cancels:
		if h := c.GetHeader("Reason"); h == nil || !strings.Contains(h.Value(), "cause=200") {
			t.Fatalf("callee's CANCEL lacks the Reason: %v", h)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the callee got no CANCEL")
	}
	if got := kinds(e.events("ring-group-leg-1", 3*time.Second)); got != "ringing,cancelled(cancel-elsewhere)" {
		t.Fatalf("events = %s", got)
	}
}
