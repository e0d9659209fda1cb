package sip

import (
	"strings"
	"testing"
	"time"

	"cidproxy/config"
)

// syntaxEnv is a proxy in front of a recording UAS, and a raw UDP caller.
func syntaxEnv(t *testing.T) (*env, *recUAS, *wire) {
	t.Helper()
	uas := newRecUAS(t, "127.0.0.1")
	e := newEnv(t, false, func(c *config.SIP) { c.Upstream = "sip:" + uas.udp })
	return e, uas, dialWire(t, "udp", proxyListen(t, e.p, "udp"))
}

// Issue 12 defect 4: parameters with the white space RFC 3261 allows
// around ";" and "=" were mangled ("; ; tag =\" 98asjd8\"", branches of
// lower Via hops quoted, which breaks response matching there), and a
// quoted parameter value lost its quotes.
func TestParameterWhitespacePreserved(t *testing.T) {
	t.Parallel()
	e, uas, w := syntaxEnv(t)
	proxy := proxyListen(t, e.p, "udp")
	w.send("OPTIONS sip:1001@" + proxy + " SIP/2.0\n" +
		"Via: SIP/2.0/UDP " + w.addr() + " ; branch = z9hG4bKws1 ; rport\n" +
		"Via: SIP/2.0/UDP 10.0.0.1:5060 ; branch = z9hG4bKlower ; received = 10.0.0.9\n" +
		"From: <sip:alice@example.com> ; tag = 98asjd8\n" +
		"To: <sip:1001@example.com>\n" +
		"Contact: <sip:alice@10.0.0.1>;q = 0.5;+sip.instance=\"<urn:uuid:a b;c>\"\n" +
		"Call-ID: ws-params-1\nCSeq: 1 OPTIONS\nMax-Forwards: 70\nContent-Length: 0\n\n")
	m, ok := uas.nextRequest(2 * time.Second)
	if !ok {
		t.Fatal("OPTIONS not forwarded")
	}
	req := m.req()
	if req == nil {
		t.Fatalf("forwarded request unparseable:\n%s", m.raw)
	}
	vias := req.GetHeaders("Via")
	if len(vias) != 3 {
		t.Fatalf("Vias %v, want ours + 2", vias)
	}
	lower := vias[2].Value()
	if strings.Contains(lower, `"`) || !strings.Contains(lower, "branch=z9hG4bKlower") {
		t.Errorf("lower Via hop %q: branch must stay unquoted z9hG4bKlower", lower)
	}
	if tag, _ := req.From().Params.Get("tag"); tag != "98asjd8" {
		t.Errorf("From tag %q, want 98asjd8 (raw %q)", tag, req.From().Value())
	}
	raw := string(m.raw)
	for _, bad := range []string{"; ;", `=" `, `tag ="`} {
		if strings.Contains(raw, bad) {
			t.Errorf("forwarded request contains mangled parameter %q:\n%s", bad, raw)
		}
	}
	if !strings.Contains(raw, `+sip.instance="<urn:uuid:a b;c>"`) {
		t.Errorf("quoted parameter value changed:\n%s", raw)
	}
	if q, _ := req.Contact().Params.Get("q"); q != "0.5" {
		t.Errorf("Contact q %q, want 0.5", q)
	}
	res := w.responses(time.Second)
	if len(res) != 1 || res[0].StatusCode != 200 {
		t.Fatalf("caller got %v, want one 200", codes(res))
	}
	if tag, _ := res[0].From().Params.Get("tag"); tag != "98asjd8" {
		t.Errorf("response From tag %q, want 98asjd8", tag)
	}
}

// Issue 12 defect 5: methods are case-sensitive (RFC 3261 7.1); the
// request line of RFC 4475 intmeth was upper-cased while its CSeq was not.
func TestMethodCasePreserved(t *testing.T) {
	t.Parallel()
	e, uas, w := syntaxEnv(t)
	proxy := proxyListen(t, e.p, "udp")
	const method = "!interesting-Method0123456789_*+`.%indeed'~"
	for _, m := range []string{method, "invite", "Options"} {
		w.send(m + " sip:1001@" + proxy + " SIP/2.0\n" +
			"Via: SIP/2.0/UDP " + w.addr() + ";branch=z9hG4bKcase" + strings.ToLower(m[:2]) + ";rport\n" +
			"From: <sip:alice@example.com>;tag=c1\nTo: <sip:1001@example.com>\n" +
			"Call-ID: case-" + m + "\nCSeq: 7 " + m + "\nMax-Forwards: 70\nContent-Length: 0\n\n")
		got, ok := uas.nextRequest(2 * time.Second)
		if !ok {
			t.Fatalf("%s not forwarded", m)
		}
		if line, _, _ := strings.Cut(string(got.raw), "\r\n"); !strings.HasPrefix(line, m+" ") {
			t.Errorf("request line %q, want method %q as written", line, m)
		}
		if res := w.responses(time.Second); len(res) != 1 || res[0].StatusCode != 200 {
			t.Errorf("%s: caller got %v, want one 200", m, codes(res))
		}
	}
}
