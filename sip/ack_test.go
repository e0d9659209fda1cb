package sip

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo"
)

// TestAckForAnswerTakenByReadLoop: the caller's ACK for the 2xx of a
// tracked UDP call is forwarded by the read loop (no sipgo transaction)
// and reaches the callee with our Via on top and Max-Forwards decremented.
func TestAckForAnswerTakenByReadLoop(t *testing.T) {
	e := newEnv(t, false, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"))
	mustf(t, err, "invite")
	mustf(t, sess.WaitAnswer(ctx, sipgo.AnswerOptions{}), "answer")
	mustf(t, sess.Ack(ctx), "ack")
	ack := recvReq(t, e.uas.acks, "ACK")
	if got := e.p.acksTaken.Load(); got != 1 {
		t.Errorf("ACKs taken by the read loop = %d, want 1", got)
	}
	v := ack.Via()
	if v == nil || v.Port != e.p.local.out["UDP"].port {
		t.Errorf("top Via %v is not the proxy's", v)
	}
	if mf := ack.MaxForwards(); mf == nil || mf.Val() != 69 {
		t.Errorf("Max-Forwards %v, want 69", mf)
	}
	mustf(t, sess.Bye(ctx), "bye")
}

// TestAckForBusyAbsorbed: the ACK for a non-2xx final response belongs to
// the INVITE transaction (hop by hop): the read loop leaves it to sipgo,
// which absorbs it, and the callee only sees the proxy's own ACK.
func TestAckForBusyAbsorbed(t *testing.T) {
	e := newEnv(t, false, nil)
	e.uas.setOnInvite(respondWith(486, "Busy Here"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"))
	mustf(t, err, "invite")
	if code := dialogErrCode(sess.WaitAnswer(ctx, sipgo.AnswerOptions{})); code != 486 {
		t.Fatalf("caller got %d, want 486", code)
	}
	time.Sleep(200 * time.Millisecond) // the caller's ACK reaches the proxy
	if got := e.p.acksTaken.Load(); got != 0 {
		t.Errorf("ACKs taken by the read loop = %d, want 0 (the ACK of a 486 is hop by hop)", got)
	}
}

// TestTakeAckLeavesOthersToSipgo: the fast path declines everything that is
// not the ACK for a tracked call's 2xx.
func TestTakeAckLeavesOthersToSipgo(t *testing.T) {
	e := newEnv(t, false, nil)
	from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5999}
	for name, data := range map[string]string{
		"empty":        "",
		"garbage":      "ACK \x00\x01",
		"not an ACK":   "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		"unknown call": "ACK sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK2\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: nosuchcall\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
	} {
		if e.p.takeAck([]byte(data), from) {
			t.Errorf("%s: taken", name)
		}
	}
	if got := e.p.acksTaken.Load(); got != 0 {
		t.Errorf("taken = %d", got)
	}
}
