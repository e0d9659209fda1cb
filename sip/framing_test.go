package sip

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"cidproxy/config"
)

// Issue 12 defect 9: a TCP segment holding one complete request plus
// extra bytes was discarded whole, the REGISTER before it in the same
// segment was lost and the connection closed. Messages on a stream are
// framed by Content-Length: every complete one is processed, a bad one is
// answered 400, a partial one waits for its rest, the connection stays.
func TestTCPFramingSeveralMessagesPerSegment(t *testing.T) {
	t.Parallel()
	uas := newRecUAS(t, "127.0.0.1")
	e := newEnv(t, false, func(c *config.SIP) { c.Upstream = "sip:" + uas.tcp + ";transport=tcp" })
	proxy := proxyListen(t, e.p, "tcp")
	w := dialWire(t, "tcp", proxy)
	req := func(method, id, cseq, body string) string {
		return crlf(fmt.Sprintf("%s sip:1001@%s;transport=tcp SIP/2.0\n"+
			"Via: SIP/2.0/TCP %s;branch=z9hG4bK-%s\nFrom: <sip:alice@example.com>;tag=%s\nTo: <sip:1001@example.com>\n"+
			"Call-ID: frame-%s\nCSeq: %s\nMax-Forwards: 70\nContent-Length: %d\n\n", method, proxy, w.addr(), id, id, id, cseq, len(body))) + body
	}
	invite := req("INVITE", "inv", "1 INVITE", "v=0\r\n")
	segment := req("REGISTER", "reg", "1 REGISTER", "") +
		req("OPTIONS", "bad", "x OPTIONS", "") + // unparseable CSeq: 400, the stream goes on
		req("OPTIONS", "opt", "1 OPTIONS", "hello") + // a body, framed by Content-Length
		"\r\n\r\n" + // keep-alive CRLFs between messages
		invite[:40] // the start of the next message
	w.send(segment)
	time.Sleep(100 * time.Millisecond)
	w.send(invite[40:])

	var fwd []string
	deadline := time.Now().Add(3 * time.Second)
	for len(fwd) < 3 && time.Now().Before(deadline) {
		m, ok := uas.nextRequest(time.Until(deadline))
		if !ok {
			break
		}
		fwd = append(fwd, m.req().CallID().Value())
	}
	slices.Sort(fwd) // separate transactions: their order is not kept
	if want := []string{"frame-inv", "frame-opt", "frame-reg"}; !slices.Equal(fwd, want) {
		t.Errorf("callee got %v, want %v", fwd, want)
	}
	got := map[string]int{}
	for _, r := range w.responses(time.Second) {
		got[r.CallID().Value()] = r.StatusCode
		if r.CallID().Value() == "frame-bad" && !strings.Contains(r.Reason, "CSeq") && !strings.Contains(r.Reason, "syntax") {
			t.Errorf("400 reason %q does not name the fault", r.Reason)
		}
	}
	want := map[string]int{"frame-reg": 200, "frame-bad": 400, "frame-opt": 200, "frame-inv": 200}
	for id, code := range want {
		if got[id] != code {
			t.Errorf("%s answered %d, want %d (all: %v)", id, got[id], code, got)
		}
	}
	// the connection is still open and usable
	w.send(req("OPTIONS", "after", "2 OPTIONS", ""))
	if res := w.responses(time.Second); len(res) != 1 || res[0].StatusCode != 200 {
		t.Fatalf("after the segment: %v, want one 200 on the same connection", codes(res))
	}
}
