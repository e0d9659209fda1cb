package sip

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// TestAckForAnswerTakenByReadLoop: the caller's ACK for the 2xx of a
// tracked UDP call is forwarded by the read loop (no sipgo transaction)
// and reaches the callee with our Via on top and Max-Forwards decremented.
func TestAckForAnswerTakenByReadLoop(t *testing.T) {
	e := newEnv(t, false, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess := e.answeredCall(ctx, t, fromHeader("", "+4930123456", "pbx.example"))
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

// ackFor is the caller's ACK for the 2xx of the INVITE in
// testdata/invite_full.sip, sent to target.
func ackFor(target string) string {
	return "ACK sip:1001@" + target + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKack1;rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:+4930123456@trunk.example.net;user=phone>;tag=1928301774\r\n" +
		"To: <sip:1001@pbx.example.com>;tag=callee1\r\n" +
		"Call-ID: a84b4c76e66710@192.0.2.10\r\n" +
		"CSeq: 314159 ACK\r\n" +
		"Content-Length: 0\r\n\r\n"
}

// answeredCall starts a proxy and tracks the call of
// testdata/invite_full.sip as answered, its callee on the discard port;
// raw is the INVITE.
func answeredCall(tb testing.TB) (*env, *call, []byte) {
	e := newEnv(tb, false, nil)
	raw, err := os.ReadFile(filepath.Join("testdata", "invite_full.sip"))
	if err != nil {
		tb.Fatal(err)
	}
	msg, err := sip.ParseMessage(raw)
	if err != nil {
		tb.Fatal(err)
	}
	c := e.p.calls.newCall(msg.(*sip.Request), false, e.p.exts)
	if !e.p.calls.add(c) {
		tb.Fatal("call not tracked")
	}
	c.setCallee("127.0.0.1:9", "UDP") // discard port: taken ACKs go nowhere
	e.p.calls.emit(c, kindAnswered, 200, "")
	return e, c, raw
}

func TestTakeAckVariants(t *testing.T) {
	e, _, raw := answeredCall(t)
	good := ackFor("127.0.0.1:9")
	from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5999}
	for _, tc := range []struct {
		name string
		data string
		want bool
	}{
		{"the ACK for the 2xx", good, true},
		{"IPv6 literal next hop", strings.Replace(good, "127.0.0.1:9 SIP", "[::1]:9 SIP", 1), true},
		{"another CSeq (a re-INVITE's ACK)", strings.Replace(good, "CSeq: 314159", "CSeq: 314160", 1), false},
		{"next hop over TCP", strings.Replace(good, "127.0.0.1:9 SIP", "127.0.0.1:9;transport=tcp SIP", 1), false},
		{"Max-Forwards 0", strings.Replace(good, "Max-Forwards: 70", "Max-Forwards: 0", 1), false},
		{"no Call-ID", strings.Replace(good, "Call-ID: a84b4c76e66710@192.0.2.10\r\n", "", 1), false},
		{"the INVITE", string(raw), false},
		{"next hop by name (DNS could block the loop)", strings.Replace(good, "127.0.0.1:9 SIP", "callee.invalid:9 SIP", 1), false},
	} {
		start := time.Now()
		if got := e.p.takeAck([]byte(tc.data), from); got != tc.want {
			t.Errorf("%s: taken = %v, want %v", tc.name, got, tc.want)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("%s: the read loop was held %v", tc.name, d)
		}
	}
}

// FuzzTakeAck feeds arbitrary datagrams to the read loop's ACK fast path
// with one answered call tracked. It must never panic, must decline
// anything that is not an ACK, and may only take an ACK of that call with
// the INVITE's CSeq.
func FuzzTakeAck(f *testing.F) {
	e, c, raw := answeredCall(f)
	good := ackFor("127.0.0.1:9")
	f.Add([]byte(good))
	f.Add([]byte(strings.Replace(good, "CSeq: 314159", "CSeq: 314160", 1)))
	f.Add([]byte(strings.Replace(good, "sip:1001@127.0.0.1:9", "sip:1001@127.0.0.1:9;transport=tcp", 1)))
	f.Add([]byte(strings.Replace(good, "Max-Forwards: 70", "Max-Forwards: 0", 1)))
	f.Add([]byte("ACK \r\n\r\n"))
	f.Add(raw)
	from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5999}
	f.Fuzz(func(t *testing.T, data []byte) {
		before := e.p.acksTaken.Load()
		took := e.p.takeAck(data, from)
		if got := e.p.acksTaken.Load() - before; took != (got == 1) {
			t.Fatalf("takeAck = %v but %d counted", took, got)
		}
		if !took {
			return
		}
		if !strings.HasPrefix(string(data), "ACK ") {
			t.Fatalf("took a datagram that is not an ACK: %q", data)
		}
		m, err := sip.ParseMessage(data)
		if err != nil {
			t.Fatalf("took unparsable data: %v", err)
		}
		r := m.(*sip.Request)
		if callID(r) != c.id || r.CSeq() == nil || r.CSeq().SeqNo != c.inviteSeq {
			t.Fatalf("took an ACK of another call or transaction: %q", data)
		}
	})
}
