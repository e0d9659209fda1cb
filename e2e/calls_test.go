package e2e

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cidproxy/sip/event"
)

// callCase is one call through the proxy: what the caller sends, what the
// callee must receive and which lifecycle events the daemon must emit.
type callCase struct {
	name    string
	flow    string // uac_/uas_<flow>.xml
	caller  caller
	check   nameCheck // enforced by the UAS (check_it)
	kinds   []string  // expected event kinds, in order
	contact string    // expected contact_name ("" = unknown caller)
	source  string    // expected source / X-Cid-Source ("" = none)
	reason  string    // expected reason of the last event ("" = not checked)
}

// named builds the check for a caller whose name must appear, as the
// quoted-string q, in From, P-Asserted-Identity and Remote-Party-ID.
func named(q string) nameCheck {
	return nameCheck{From: displayRE(q), PAI: displayRE(q), RPID: displayRE(q)}
}

const (
	alice = `"Alice Example"`
	// The hostile contact is `Eve "The Hacker"` / "X<CR><LF>X-Injected: 1\":
	// the line break becomes one space, quote and backslash are escaped.
	eveWire = `"Eve \"The Hacker\" X X-Injected: 1\\"`
)

var callCases = []callCase{
	{
		name: "known_national_answered_caller_hangs_up", flow: "answer",
		caller: caller{User: "0301234567", Display: `"0301234567"`, PAI: "0301234567"},
		check:  named(alice), kinds: []string{"ringing", "answered", "ended"},
		contact: "Alice Example", source: "company", reason: "bye-caller",
	},
	{
		name: "known_callee_hangs_up", flow: "callee_bye",
		caller: caller{User: "0301234567", Display: "", PAI: "0301234567"},
		check:  named(alice), kinds: []string{"ringing", "answered", "ended"},
		contact: "Alice Example", source: "company", reason: "bye-callee",
	},
	{
		name: "known_cancel_while_ringing", flow: "cancel",
		caller: caller{User: "0301234567", Display: `"0301234567"`, PAI: "0301234567"},
		check:  named(alice), kinds: []string{"ringing", "cancelled"},
		contact: "Alice Example", source: "company",
	},
	{
		name: "known_busy", flow: "busy",
		caller: caller{User: "0301234567", Display: `"0301234567"`, PAI: "0301234567"},
		check:  named(alice), kinds: []string{"busy"},
		contact: "Alice Example", source: "company",
	},
	{
		name: "international_plus_against_stored_international", flow: "busy",
		caller: caller{User: "+49301234567", PAI: "+49301234567"},
		check:  named(alice), kinds: []string{"busy"}, contact: "Alice Example", source: "company",
	},
	{
		name: "international_0049_against_stored_international", flow: "busy",
		caller: caller{User: "0049301234567", PAI: "0049301234567"},
		check:  named(alice), kinds: []string{"busy"}, contact: "Alice Example", source: "company",
	},
	{
		name: "international_plus_against_stored_national", flow: "busy",
		caller: caller{User: "+491712345678", PAI: "+491712345678"},
		check:  named(`"Bob Builder"`), kinds: []string{"busy"}, contact: "Bob Builder", source: "company",
	},
	{
		name: "national_against_stored_0049_company_utf8", flow: "busy",
		caller: caller{User: "0895551234", PAI: "0895551234"},
		check:  named(`"Bäckerei Süß"`), kinds: []string{"busy"}, contact: "Bäckerei Süß", source: "company",
	},
	{
		name: "prefix_rule", flow: "answer",
		caller: caller{User: "040123999", Display: `"040123999"`, PAI: "040123999"},
		check:  named(`"ACME Hamburg"`), kinds: []string{"ringing", "answered", "ended"},
		contact: "ACME Hamburg", source: "prefix", reason: "bye-caller",
	},
	{
		name: "hostile_name_sanitised", flow: "busy",
		caller: caller{User: "01705550001", Display: `"01705550001"`, PAI: "+491705550001"},
		check:  named(eveWire), kinds: []string{"busy"},
		contact: "Eve \"The Hacker\" X X-Injected: 1\\", source: "company",
	},
	{
		name: "unknown_caller_untouched", flow: "answer",
		caller: caller{User: "0309999999", Display: `"0309999999"`, PAI: "0309999999"},
		check: nameCheck{
			From: displayRE(`"0309999999"`), PAI: noDisplayRE("0309999999"), RPID: noDisplayRE("0309999999"),
		},
		kinds: []string{"ringing", "answered", "ended"}, reason: "bye-caller",
	},
}

// leg is how the caller reaches the proxy and the proxy the callee.
type leg struct {
	name     string
	uac, uas transport
	cases    []callCase
}

// TestProxyCalls runs every call case through the real cidproxy binary,
// once over UDP and once over TCP (caller -> proxy -> callee on the same
// transport), plus answered calls from a TCP caller to a UDP callee; one
// daemon per leg, the legs in parallel.
func TestProxyCalls(t *testing.T) {
	needBinary(t)
	contacts, _ := filepath.Abs("testdata/contacts.csv")
	prefixes, _ := filepath.Abs("testdata/prefixes.csv")
	udp, tcp := transports[0], transports[1]
	legs := []leg{
		{"udp", udp, udp, callCases},
		{"tcp", tcp, tcp, callCases},
		{"tcp_to_udp", tcp, udp, callCases[:2]}, // in-dialog requests both ways across transports
	}
	for _, l := range legs {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			uasPort := freePort(t)
			d := startDaemon(t, daemonOpts{tr: l.uas, upstream: uasPort, contacts: contacts, prefixes: prefixes})
			for _, tc := range l.cases {
				t.Run(tc.name, func(t *testing.T) { runCall(t, d, l, uasPort, tc) })
			}
			checkEventMetrics(t, d)
		})
	}
}

// runCall plays one case and checks sipp's verdicts, the INVITE as the
// callee saw it and the daemon's events.
func runCall(t *testing.T, d *daemon, l leg, uasPort int, tc callCase) {
	t.Helper()
	d.alive(t)
	uas := startUAS(t, renderUAS(t, tc.flow, tc.check), l.uas, uasPort, 1)
	uac := runUAC(t, tc.flow, l.uac, d.target(), "100", tc.caller)
	uasCode := uas.wait(t)
	if uac.code != 0 || uasCode != 0 {
		t.Fatalf("uac exit %d, uas exit %d\n%s\n%s\n--- daemon log:\n%s",
			uac.code, uasCode, uac.report(), uas.report(), d.logTail(30))
	}
	sent := firstMsg(t, readMessages(t, uac.msgFile), false, "INVITE ")
	got := firstMsg(t, readMessages(t, uas.msgFile), true, "INVITE ")
	wantRR := []string{"transport=" + l.uas.Name}
	if l.uac != l.uas { // double Record-Route when the transport changes (RFC 5658)
		wantRR = append(wantRR, "transport="+l.uac.Name)
	}
	checkForwardedInvite(t, d, sent, got, tc, wantRR)

	callID := one(t, sent, "Call-ID")
	evs := d.waitEvents(callID, tc.kinds[len(tc.kinds)-1], 3*time.Second)
	if k := kinds(evs); !slices.Equal(k, tc.kinds) {
		t.Fatalf("events for %s: %v, want %v\n%v", callID, k, tc.kinds, evs)
	}
	for _, e := range evs {
		want := map[string]any{"caller": event.MaskNumber(tc.caller.User), "callee": "100", "direction": "inbound"} // numbers masked at INFO
		if tc.contact != "" {
			want["contact_name"] = tc.contact
			want["source"] = tc.source
		}
		for k, v := range want {
			if e[k] != v {
				t.Errorf("%s event: %s = %#v, want %#v", e["kind"], k, e[k], v)
			}
		}
		if tc.contact == "" && e["contact_name"] != nil && e["contact_name"] != "" {
			t.Errorf("%s event names an unknown caller: %v", e["kind"], e["contact_name"])
		}
	}
	if last := evs[len(evs)-1]; tc.reason != "" && last["reason"] != tc.reason {
		t.Errorf("%s event reason = %v, want %q", last["kind"], last["reason"], tc.reason)
	}
}

// checkForwardedInvite compares the INVITE the caller sent with the one the
// callee received: proxy headers added, everything but the names intact,
// no injected header.
func checkForwardedInvite(t *testing.T, d *daemon, sent, got sipMsg, tc callCase, wantRR []string) {
	t.Helper()
	if sent.Start != got.Start {
		t.Errorf("Request-URI changed: sent %q, callee got %q", sent.Start, got.Start)
	}
	for _, h := range []string{"Call-ID", "CSeq", "To", "Subject", "User-Agent", "Content-Type"} {
		if a, b := one(t, sent, h), one(t, got, h); a != b {
			t.Errorf("%s changed: sent %q, callee got %q", h, a, b)
		}
	}
	if got.Body != sent.Body {
		t.Errorf("SDP body changed:\nsent %q\ngot  %q", sent.Body, got.Body)
	}
	// From: URI and tag byte-for-byte, only the display name may differ.
	if a, b := addrSpec(one(t, sent, "From")), addrSpec(one(t, got, "From")); a != b {
		t.Errorf("From URI/params changed: sent %q, callee got %q", a, b)
	}
	if n := len(got.Header("Via")); n != 2 {
		t.Errorf("callee got %d Via headers, want 2 (proxy + caller)", n)
	}
	if mf := one(t, got, "Max-Forwards"); mf != "69" {
		t.Errorf("Max-Forwards = %q, want 69", mf)
	}
	rr := got.Header("Record-Route")
	if len(rr) != len(wantRR) {
		t.Errorf("Record-Route = %q, want %d (%v)", rr, len(wantRR), wantRR)
	}
	for i, r := range rr {
		if !strings.Contains(r, "127.0.0.1:"+itoa(d.sipPort)) || !strings.Contains(r, ";lr") ||
			(i < len(wantRR) && !strings.Contains(strings.ToLower(r), wantRR[i])) {
			t.Errorf("Record-Route %q is not a loose route to the proxy port %d with %v", r, d.sipPort, wantRR)
		}
	}
	src := got.Header("X-Cid-Source")
	switch {
	case tc.source == "" && len(src) != 0:
		t.Errorf("unknown caller got X-Cid-Source %q", src)
	case tc.source != "" && (len(src) != 1 || src[0] != tc.source):
		t.Errorf("X-Cid-Source = %q, want %q", src, tc.source)
	}
	for _, h := range got.Headers {
		if strings.HasPrefix(strings.ToLower(h), "x-injected") {
			t.Errorf("header injected: %q", h)
		}
	}
	for _, h := range []string{"From", "P-Asserted-Identity", "Remote-Party-ID"} {
		if n := len(got.Header(h)); n != 1 {
			t.Errorf("callee got %d %s headers, want 1", n, h)
		}
	}
}

// firstMsg returns the first message with the start-line prefix, sent or received.
func firstMsg(t *testing.T, msgs []sipMsg, recv bool, prefix string) sipMsg {
	t.Helper()
	for _, m := range msgs {
		if m.Received == recv && strings.HasPrefix(m.Start, prefix) {
			return m
		}
	}
	t.Fatalf("no %q message (received=%v) among %d", prefix, recv, len(msgs))
	return sipMsg{}
}

// one returns the single value of header h.
func one(t *testing.T, m sipMsg, h string) string {
	t.Helper()
	v := m.Header(h)
	if len(v) != 1 {
		t.Fatalf("%s: %d %s headers in %q", m.Start, len(v), h, m.Headers)
	}
	return v[0]
}

// addrSpec strips the display name from a name-addr header value.
func addrSpec(v string) string {
	if i := strings.LastIndex(v, "<"); i >= 0 {
		return v[i:]
	}
	return v
}

// checkEventMetrics cross-checks the event counters on /metrics against
// the events the daemon logged.
func checkEventMetrics(t *testing.T, d *daemon) {
	t.Helper()
	m := d.metrics(t)
	d.mu.Lock()
	logged := map[string]float64{}
	for _, e := range d.evs {
		k, _ := e["kind"].(string)
		logged[k]++
	}
	d.mu.Unlock()
	for k, n := range logged {
		if got := sumMetric(m, "cidproxy_events_emitted_total", `kind="`+k+`"`); got != n {
			t.Errorf("cidproxy_events_emitted_total{kind=%q} = %v, logged %v", k, got, n)
		}
	}
}
