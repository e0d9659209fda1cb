package sip

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// countResponses reads for d and returns every response that arrived.
func (u *rawUA) countResponses(d time.Duration) []*sip.Response {
	var out []*sip.Response
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		m := u.recv(time.Until(deadline))
		if m == nil {
			break
		}
		if r, ok := m.(*sip.Response); ok && r.StatusCode > 100 {
			out = append(out, r)
		}
	}
	return out
}

// Issue 12 defect 1: an RFC 2543 INVITE (no z9hG4bK branch, maybe no From
// tag) that the proxy refuses gets one final response, and the ACKs for it
// are absorbed: before, sipgo could not key the transaction, answered 400
// statelessly and answered every ACK with another 400 (a response storm
// once the client ACKs those). A proxy never answers an ACK.
func TestRFC2543RequestNoAckStorm(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, via, fromTag string }{
		{"no_branch_no_tag", "", ""},
		{"no_branch_with_tag", "", ";tag=2543a"},
		{"non_cookie_branch_no_tag", ";branch=390skdjuw", ""},
	}
	e := newEnv(t, false, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newRawUA(t, e.proxyAddr())
			head := func(method, toTag string, seq int) string {
				return method + " sip:1001@" + e.proxyAddr() + " SIP/2.0\n" +
					"Via: SIP/2.0/UDP " + u.addr() + tc.via + "\n" +
					"From: <sip:+4930123456@" + u.addr() + ">" + tc.fromTag + "\n" +
					"To: <sip:1001@" + e.proxyAddr() + ">" + toTag + "\n" +
					"Call-ID: storm-" + tc.name + "\n" +
					"CSeq: 1 " + method + "\n" +
					"Max-Forwards: 0\n" + // refused with 483, never forwarded
					"Content-Length: 0\n\n"
			}
			u.send("%s", head("INVITE", "", 1))
			res := u.recvResponse(2 * time.Second)
			if res == nil || res.StatusCode != 483 {
				t.Fatalf("INVITE answered %v, want 483", res)
			}
			toTag := ""
			if tag, ok := res.To().Params.Get("tag"); ok {
				toTag = ";tag=" + tag
			}
			for range 3 {
				u.send("%s", head("ACK", toTag, 1))
			}
			if more := u.countResponses(time.Second); len(more) != 0 {
				// also no 483 retransmission: the ACK reached the INVITE transaction
				t.Fatalf("after the ACKs got %v: a proxy never answers an ACK", codes(more))
			}
		})
	}
}

// An ACK that cannot be keyed at all (no Via) is dropped, not answered.
func TestUnkeyableAckNotAnswered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, nil)
	u := newRawUA(t, e.proxyAddr())
	u.send("ACK sip:1001@%s SIP/2.0\nFrom: <sip:a@%s>\nTo: <sip:1001@%s>;tag=x\nCall-ID: ack-noVia\nCSeq: 1 ACK\nContent-Length: 0\n\n",
		e.proxyAddr(), u.addr(), e.proxyAddr())
	u.send("ACK sip:1001@%s SIP/2.0\nVia: SIP/2.0/UDP %s\nTo: <sip:1001@%s>;tag=x\nCall-ID: ack-noFrom\nCSeq: 1 ACK\nContent-Length: 0\n\n",
		e.proxyAddr(), u.addr(), e.proxyAddr())
	if res := u.countResponses(time.Second); len(res) != 0 {
		t.Fatalf("unkeyable ACKs answered with %v", codes(res))
	}
}

func codes(rs []*sip.Response) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.StatusCode
	}
	return out
}
