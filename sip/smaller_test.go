package sip

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"cidproxy/config"
)

// Issue 12 defect 10: a 503 from downstream is not forwarded upstream
// (RFC 3261 16.7 step 6): the caller gets 500.
func TestDownstream503BecomesA500(t *testing.T) {
	t.Parallel()
	uas := newRecUAS(t, "127.0.0.1")
	uas.setReply(func(req *sip.Request) []string {
		if req.IsAck() {
			return nil
		}
		return []string{response(req, 503, "Service Unavailable", "")}
	})
	e := newEnv(t, false, func(c *config.SIP) { c.Upstream = "sip:" + uas.udp })
	proxy := proxyListen(t, e.p, "udp")
	w := dialWire(t, "udp", proxy)
	w.send(inviteFrom(w, "udp", proxy, "svc-503"))
	res := w.responses(time.Second)
	if len(res) == 0 || res[0].StatusCode != 500 {
		t.Fatalf("caller got %v, want 500 for the callee's 503", codes(res))
	}
}

// Issue 12 defect 10: responses toward the caller carried the From display
// name the proxy set for the callee; the caller gets its own From back.
func TestResponsesCarryCallersOwnFrom(t *testing.T) {
	t.Parallel()
	uas := newRecUAS(t, "127.0.0.1")
	e := newEnv(t, false, func(c *config.SIP) { c.Upstream = "sip:" + uas.udp })
	proxy := proxyListen(t, e.p, "udp")
	w := dialWire(t, "udp", proxy)
	w.send(inviteFrom(w, "udp", proxy, "own-from")) // From <sip:+4930123456@...>: a known caller
	m, ok := uas.nextRequest(2 * time.Second)
	if !ok {
		t.Fatal("INVITE not forwarded")
	}
	if got := m.req().From().DisplayName; got == "" {
		t.Fatalf("the callee's From has no name: the rewrite did not happen")
	}
	res := w.responses(time.Second)
	if len(res) != 3 {
		t.Fatalf("caller got %v, want 180 183 200", codes(res))
	}
	for _, r := range res {
		if f := r.From(); f == nil || f.DisplayName != "" {
			t.Errorf("%d to the caller has From %v, want the caller's own (no display name)", r.StatusCode, f)
		}
		if tag, _ := r.From().Params.Get("tag"); tag != "f-own-from" {
			t.Errorf("%d From tag %q", r.StatusCode, tag)
		}
	}
}
