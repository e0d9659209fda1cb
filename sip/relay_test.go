package sip

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"cidproxy/config"
	"cidproxy/lookup"
)

func doRequest(t *testing.T, e *env, method sip.RequestMethod, uri sip.Uri, hdrs ...sip.Header) *sip.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := sip.NewRequest(method, uri)
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	req.SetDestination(e.proxyAddr()) // the proxy is the outbound proxy, whatever the R-URI
	res, err := e.uac.cli.Do(ctx, req)
	mustf(t, err, "%s", method)
	return res
}

func TestMaxForwardsZero(t *testing.T) {
	e := newEnv(t, false, nil)
	mf := sip.MaxForwardsHeader(0)
	if res := doRequest(t, e, sip.OPTIONS, e.target("1001"), &mf); res.StatusCode != 483 {
		t.Fatalf("got %d, want 483", res.StatusCode)
	}
	one := sip.MaxForwardsHeader(1) // decremented to 0 and still forwarded (RFC 3261 16.6)
	if res := doRequest(t, e, sip.OPTIONS, e.target("1001"), &one); res.StatusCode != 200 {
		t.Fatalf("Max-Forwards 1: got %d, want 200", res.StatusCode)
	}
	if got := recvReq(t, e.uas.requests, "OPTIONS").MaxForwards().Val(); got != 0 {
		t.Errorf("forwarded Max-Forwards %d, want 0", got)
	}
}

func TestLoopDetected(t *testing.T) {
	e := newEnv(t, false, func(c *config.SIP) {
		c.Upstream = "" // route by Request-URI
		c.Hostname = "cidproxy.test"
	})
	pp := port(e.proxyAddr())
	for _, host := range []string{"127.0.0.1", "cidproxy.test"} {
		uri := sip.Uri{Scheme: "sip", User: "1001", Host: host, Port: pp}
		if res := doRequest(t, e, sip.OPTIONS, uri); res.StatusCode != 482 {
			t.Errorf("R-URI %s: got %d, want 482", host, res.StatusCode)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sess, err := e.invite(ctx, fromHeader("", "+4930123456", "x"))
	mustf(t, err, "invite")
	if code := dialogErrCode(sess.WaitAnswer(ctx, sipgo.AnswerOptions{})); code != 482 {
		t.Errorf("INVITE to self: %d, want 482", code)
	}
	// Routed by Request-URI to the callee, the same requests are relayed.
	uas := sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: port(e.uas.udp)}
	route := sip.NewHeader("Route", "<sip:127.0.0.1:"+itoa(pp)+";lr>")
	if res := doRequest(t, e, sip.OPTIONS, uas, route); res.StatusCode != 200 {
		t.Errorf("OPTIONS by R-URI: got %d, want 200", res.StatusCode)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestRegisterAndOptionsRelayed(t *testing.T) {
	e := newEnv(t, false, nil)
	for _, m := range []sip.RequestMethod{sip.REGISTER, sip.OPTIONS, sip.MESSAGE, sip.INFO} {
		res := doRequest(t, e, m, e.target("1001"))
		if res.StatusCode != 200 {
			t.Fatalf("%s: got %d", m, res.StatusCode)
		}
		if n := len(res.GetHeaders("Via")); n != 1 {
			t.Errorf("%s: response has %d Vias, want 1", m, n)
		}
		got := recvReq(t, e.uas.requests, string(m))
		vias := got.GetHeaders("Via")
		if got.Method != m || len(vias) != 2 {
			t.Fatalf("%s: callee got %s with %d Vias", m, got.Method, len(vias))
		}
		if top := got.Via(); top.Port != port(e.proxyAddr()) {
			t.Errorf("%s: top Via %s is not the proxy", m, top.Value())
		}
		if got.RecordRoute() != nil {
			t.Errorf("%s: unexpected Record-Route", m)
		}
	}
	if v := testutil.ToFloat64(e.p.m.byMethod[sip.REGISTER]); v != 1 {
		t.Errorf("requests_total{REGISTER} = %v", v)
	}
}

func TestSlowLookupForwardsUntouched(t *testing.T) {
	e := newEnv(t, false, func(c *config.SIP) { c.LookupBudget = config.Duration(100 * time.Millisecond) })
	e.res.delay.Store(int64(3 * time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	sess, err := e.invite(ctx, fromHeader("Orig", "+4930123456", "pbx.example"))
	mustf(t, err, "invite")
	inv := recvReq(t, e.uas.invites, "INVITE")
	if d := time.Since(start); d < 100*time.Millisecond || d > 400*time.Millisecond {
		t.Errorf("INVITE forwarded after %v, want budget (100ms) + small slack", d)
	}
	if got := inv.From().DisplayName; got != "Orig" {
		t.Errorf("From display %q, want untouched", got)
	}
	answerAndAck(ctx, t, sess)
	if v := testutil.ToFloat64(e.p.m.lookupTimeouts); v != 1 {
		t.Errorf("lookup timeouts = %v, want 1", v)
	}
}

func TestWithheldCaller(t *testing.T) {
	privacy := []sip.Header{sip.NewHeader("Privacy", "id;critical")}
	for _, tc := range []struct {
		name         string
		nameWithheld bool
		localOnly    bool // the Resolver implements LocalResolver
		from         *sip.FromHeader
		hdrs         []sip.Header
		wantLookups  int32 // through Lookup (all sources)
		wantLocal    int32 // through LookupLocal
		wantName     string
	}{
		{"privacy id", false, true, fromHeader("", "+4930123456", "pbx.example"), privacy, 0, 0, ""},
		{"anonymous from", false, true, fromHeader("Anonymous", "anonymous", "anonymous.invalid"),
			[]sip.Header{sip.NewHeader("P-Asserted-Identity", "<tel:+4930123456>")}, 0, 0, "Anonymous"},
		{"named locally when configured", true, true, fromHeader("", "+4930123456", "pbx.example"), privacy, 1, 1, `Alice \"AM\" Müller`},
		{"never external even when configured", true, false, fromHeader("", "+4930123456", "pbx.example"), privacy, 0, 0, ""},
		{"not withheld", false, true, fromHeader("", "+4930123456", "pbx.example"), nil, 1, 0, `Alice \"AM\" Müller`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, false, func(c *config.SIP) { c.NameWithheld = tc.nameWithheld; c.TrustPAI = true },
				func(e *env) {
					if !tc.localOnly {
						e.resolver = e.res
					}
				})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			sess, err := e.invite(ctx, tc.from, tc.hdrs...)
			mustf(t, err, "invite")
			answerAndAck(ctx, t, sess)
			inv := recvReq(t, e.uas.invites, "INVITE")
			if got := inv.From().DisplayName; got != tc.wantName {
				t.Errorf("From display %q, want %q", got, tc.wantName)
			}
			if n, l := e.res.calls.Load(), e.local.local.Load(); n != tc.wantLookups || l != tc.wantLocal {
				t.Errorf("lookups %d (local %d), want %d (%d)", n, l, tc.wantLookups, tc.wantLocal)
			}
			mustf(t, sess.Bye(ctx), "bye")
			evs := e.events(callID(inv), 2*time.Second)
			if len(evs) == 0 {
				t.Fatal("no events")
			}
			wantNum := tc.from.Address.User
			if tc.name == "anonymous from" {
				wantNum = "anonymous" // not the P-Asserted-Identity number
			}
			if got := evs[0].Caller.Number; got != wantNum {
				t.Errorf("event caller number %q, want %q", got, wantNum)
			}
		})
	}
}

func TestHostileNameSanitised(t *testing.T) {
	e := newEnv(t, false, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.answeredCall(ctx, t, fromHeader("", "+4940999", "pbx.example"))
	inv := recvReq(t, e.uas.invites, "INVITE")
	if got := inv.From().DisplayName; got != "Evil X-Injected: yes" {
		t.Errorf("From display %q", got)
	}
	if inv.GetHeader("X-Injected") != nil || len(inv.GetHeaders("From")) != 1 {
		t.Error("header injected")
	}
}

func TestMalformedSIPSurvives(t *testing.T) {
	e := newEnv(t, false, nil)
	conn, err := net.Dial("udp", e.proxyAddr())
	mustf(t, err, "dial")
	defer conn.Close()
	valid := "OPTIONS sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKraw%d\r\n" +
		"From: <sip:a@b>;tag=1\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: raw%d\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
	bad := []string{
		"garbage\r\n\r\n",
		"\x00\x01\x02\xff\xfe SIP/2.0 \x00\r\n\r\n",
		"INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKt\r\nFrom: <sip:a@b",
		"INVITE sip:x@127.0.0.1 SIP/2.0\r\nX-Long: " + strings.Repeat("A", 40000) + "\r\n\r\n",
		strings.ReplaceAll(valid, "%d", "1") + "Content-Length: abc\r\n\r\n",
		strings.ReplaceAll(valid, "%d", "2") + "Content-Length: 99999\r\n\r\nshort",
		"OPTIONS sip:1001@127.0.0.1 SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: novia\r\nCSeq: 1 OPTIONS\r\n\r\n",
		"INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKn\r\nFrom: \"\x00\" <sip:a@b\x00>\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKnomatch\r\nCSeq: 1 INVITE\r\n\r\n",
		"\x00\x00\x00\x00",
	}
	for _, m := range bad {
		if _, err := conn.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	// The proxy still relays a valid call.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sess, err := e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"))
	mustf(t, err, "invite")
	mustf(t, sess.WaitAnswer(ctx, sipgo.AnswerOptions{}), "answer after malformed input")
	mustf(t, sess.Ack(ctx), "ack")
	mustf(t, sess.Bye(ctx), "bye")
	if v := testutil.ToFloat64(e.p.m.malformed); v < 4 {
		t.Errorf("malformed_total = %v, want >= 4", v)
	}
}

func TestMetricsLint(t *testing.T) {
	e := newEnv(t, false, nil)
	doRequest(t, e, sip.OPTIONS, e.target("1001"))
	problems, err := testutil.GatherAndLint(e.reg)
	mustf(t, err, "gather")
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
	n, err := testutil.GatherAndCount(e.reg, "cidproxy_sip_requests_total", "cidproxy_sip_responses_total",
		"cidproxy_sip_invites_rewritten_total", "cidproxy_lookup_duration_seconds", "cidproxy_lookup_timeouts_total",
		"cidproxy_dialogs_active", "cidproxy_sip_malformed_total")
	mustf(t, err, "count")
	if n < 7 {
		t.Errorf("only %d series", n)
	}
	if v := testutil.ToFloat64(e.p.m.byClass[2]); v != 1 {
		t.Errorf("responses_total{2xx} = %v, want 1", v)
	}
}

func TestShutdownDrains(t *testing.T) {
	e := newEnv(t, false, nil)
	release := make(chan struct{})
	e.uas.setOnInvite(func(_ *peer, s *sipgo.DialogServerSession, _ *sip.Request, _ sip.ServerTransaction) {
		_ = s.Respond(180, "Ringing", nil)
		<-release
		_ = s.RespondSDP([]byte(testSDP))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"))
	mustf(t, err, "invite")
	recvReq(t, e.uas.invites, "INVITE")
	e.stop() // shutdown starts while the call rings
	time.Sleep(50 * time.Millisecond)
	sess2, err := e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"))
	mustf(t, err, "second invite")
	if code := dialogErrCode(sess2.WaitAnswer(ctx, sipgo.AnswerOptions{})); code != 503 {
		t.Errorf("new INVITE while draining: %d, want 503", code)
	}
	select {
	case <-e.served:
		t.Fatal("Serve returned while a transaction was open")
	default:
	}
	close(release)
	mustf(t, sess.WaitAnswer(ctx, sipgo.AnswerOptions{}), "ringing call completes during grace")
	start := time.Now()
	mustf(t, e.wait(5*time.Second), "serve")
	if d := time.Since(start); d > time.Second {
		t.Errorf("Serve returned %v after the last transaction", d)
	}
}

func TestSilentNextHopTimesOut(t *testing.T) {
	t.Parallel()
	hole, err := net.ListenPacket("udp", "127.0.0.1:0") // receives, never answers
	mustf(t, err, "listen")
	defer hole.Close()
	// Caller over TCP: a UDP retransmission before 200 ms would stop sipgo's
	// 100 Trying timer (test T1 is 100 ms). The hole is reached over UDP.
	e := newEnv(t, true, func(c *config.SIP) { c.Upstream = "sip:" + hole.LocalAddr().String() })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	start := time.Now()
	// The caller's INVITE transaction waits (our 100 Trying stops its Timer B);
	// ours runs into Timer B and answers 408.
	sess, err := e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"))
	mustf(t, err, "invite")
	if code := dialogErrCode(sess.WaitAnswer(ctx, sipgo.AnswerOptions{})); code != 408 {
		t.Fatalf("got %d (%v), want 408 after Timer B", code, sess.InviteResponse)
	}
	if d := time.Since(start); d < 64*sip.T1-time.Second {
		t.Errorf("408 after %v, before Timer B (%v)", d, 64*sip.T1)
	}
	evs := e.events(string(*sess.InviteRequest.CallID()), 2*time.Second)
	if got := kinds(evs); got != "failed(timeout)" || evs[0].Code != 408 {
		t.Fatalf("events = %s", got)
	}
}

// chainSource is a lookup.Source over a stubResolver, remote or not.
type chainSource struct {
	*stubResolver
	remote bool
}

func (s chainSource) Name() string { return "stub" }
func (s chainSource) Remote() bool { return s.remote }

// TestLocalChainInline: a chain of in-memory sources is asked inline, on
// the INVITE's goroutine and without the budget's timer (so a local source
// that is slow is waited for: local sources must be fast); a chain with a
// remote source stays bounded by the budget.
func TestLocalChainInline(t *testing.T) {
	for _, tc := range []struct {
		name     string
		remote   bool
		wantName string
	}{
		{"local", false, "Slow Local"},
		{"remote", true, "Orig"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, false, func(c *config.SIP) { c.LookupBudget = config.Duration(50 * time.Millisecond) },
				func(e *env) {
					e.resolver = lookup.Chain{chainSource{stubResolver: e.res, remote: tc.remote}}
				})
			e.res.set("+4930123456", lookup.Result{Name: "Slow Local", Source: lookup.SourceCompany})
			e.res.delay.Store(int64(150 * time.Millisecond))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sess, err := e.invite(ctx, fromHeader("Orig", "+4930123456", "pbx.example"))
			mustf(t, err, "invite")
			inv := recvReq(t, e.uas.invites, "INVITE")
			if got := inv.From().DisplayName; got != tc.wantName {
				t.Errorf("From display %q, want %q", got, tc.wantName)
			}
			answerAndAck(ctx, t, sess)
			wantTimeouts := 0.0
			if tc.remote {
				wantTimeouts = 1
			}
			if v := testutil.ToFloat64(e.p.m.lookupTimeouts); v != wantTimeouts {
				t.Errorf("lookup timeouts = %v, want %v", v, wantTimeouts)
			}
		})
	}
}
