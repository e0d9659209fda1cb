package sip

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"cidproxy/config"
	"cidproxy/lookup"
)

func TestKnownCallerRewrittenCallerHangsUp(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		name := "udp"
		if tcp {
			name = "tcp"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, tcp, func(c *config.SIP) { c.SourceHeader = true })
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sess, err := e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"),
				sip.NewHeader("P-Asserted-Identity", "<sip:+4930123456@pbx.example;user=phone>, <tel:+4930123456>"),
				sip.NewHeader("Remote-Party-ID", `"Old" <sip:+4930123456@pbx.example>;party=calling;screen=yes;privacy=off`))
			mustf(t, err, "invite")
			mustf(t, sess.WaitAnswer(ctx, sipgo.AnswerOptions{}), "wait answer")
			mustf(t, sess.Ack(ctx), "ack")
			inv := recvReq(t, e.uas.invites, "INVITE")
			const want = `Alice \"AM\" Müller`
			if got := inv.From().DisplayName; got != want {
				t.Errorf("From display = %q, want %q", got, want)
			}
			if tag, _ := inv.From().Params.Get("tag"); tag == "" {
				t.Error("From tag lost")
			}
			pai := inv.GetHeader("P-Asserted-Identity").Value()
			if wantPAI := `"` + want + `" <sip:+4930123456@pbx.example;user=phone>, "` + want + `" <tel:+4930123456>`; pai != wantPAI {
				t.Errorf("PAI = %q\nwant  %q", pai, wantPAI)
			}
			rpid := inv.GetHeader("Remote-Party-ID").Value()
			if wantR := `"` + want + `" <sip:+4930123456@pbx.example>;party=calling;screen=yes;privacy=off`; rpid != wantR {
				t.Errorf("RPID = %q, want %q", rpid, wantR)
			}
			if h := inv.GetHeader("X-Cid-Source"); h == nil || h.Value() != "company" {
				t.Errorf("X-Cid-Source = %v", h)
			}
			if rr := inv.RecordRoute(); rr == nil || !e.p.isMeURI(&rr.Address) || !rr.Address.UriParams.Has("lr") {
				t.Errorf("Record-Route = %v", rr)
			}
			if mf := inv.MaxForwards(); mf == nil || mf.Val() != 69 {
				t.Errorf("Max-Forwards = %v, want 69", mf)
			}
			if string(inv.Body()) != testSDP {
				t.Errorf("body changed")
			}
			mustf(t, sess.Bye(ctx), "bye")
			evs := e.events(callID(inv), 3*time.Second)
			if got := kinds(evs); got != "ringing,answered,ended(bye-caller)" {
				t.Fatalf("events = %s", got)
			}
			end := evs[2]
			if end.ContactName != `Alice "AM" Müller` || end.Source != "company" || end.ContactID != "c1" ||
				end.Caller.Number != "+4930123456" || end.Callee.Number != "1001" || end.Direction != "inbound" {
				t.Errorf("ended event = %+v", end)
			}
			if end.Talk <= 0 || end.Duration < end.Talk || end.Answer.IsZero() || end.Ring.IsZero() {
				t.Errorf("timestamps: talk=%v duration=%v", end.Talk, end.Duration)
			}
		})
	}
}

func TestUnknownCallerUntouched(t *testing.T) {
	e := newEnv(t, false, func(c *config.SIP) { c.SourceHeader = true })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	from := fromHeader(`Bob \"B\"`, "+4989555", "pbx.example")
	pai := `"Bob" <tel:+4989555;phone-context=+49>`
	rpid := `Bob <sip:+4989555@pbx.example>;party=calling`
	sess, err := e.invite(ctx, from, sip.NewHeader("P-Asserted-Identity", pai),
		sip.NewHeader("Remote-Party-ID", rpid), sip.NewHeader("X-Custom", "a=b; c"),
		sip.NewHeader("X-Cid-Source", "spoofed"))
	mustf(t, err, "invite")
	mustf(t, sess.WaitAnswer(ctx, sipgo.AnswerOptions{}), "wait answer")
	mustf(t, sess.Ack(ctx), "ack")
	inv := recvReq(t, e.uas.invites, "INVITE")
	checks := map[string]string{
		"From":                from.Value(),
		"P-Asserted-Identity": pai,
		"Remote-Party-ID":     rpid,
		"X-Custom":            "a=b; c",
		"Content-Type":        "application/sdp",
	}
	for name, want := range checks {
		if h := inv.GetHeader(name); h == nil || h.Value() != want {
			t.Errorf("%s = %v, want %q", name, h, want)
		}
	}
	// X-Cid-* headers are the proxy's: a caller's own never reaches the callee.
	if h := inv.GetHeader("X-Cid-Source"); h != nil {
		t.Errorf("spoofed X-Cid-Source passed on: %q", h.Value())
	}
	if e.res.calls.Load() != 1 {
		t.Errorf("resolver asked %d times, want 1", e.res.calls.Load())
	}
	if string(inv.Body()) != testSDP {
		t.Error("body changed")
	}
	if n := len(inv.GetHeaders("Via")); n != 2 {
		t.Errorf("Via count %d, want 2 (caller + proxy)", n)
	}
	mustf(t, sess.Bye(ctx), "bye")
	evs := e.events(callID(inv), 3*time.Second)
	if got := kinds(evs); got != "ringing,answered,ended(bye-caller)" {
		t.Fatalf("events = %s", got)
	}
	if ev := evs[2]; ev.Caller.Name != `Bob "B"` || ev.ContactName != "" || ev.Source != "" {
		t.Errorf("unknown caller event: name %q contact %q source %q", ev.Caller.Name, ev.ContactName, ev.Source)
	}
}

func TestCalleeHangsUp(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		t.Run(map[bool]string{false: "udp", true: "tcp"}[tcp], func(t *testing.T) {
			e := newEnv(t, tcp, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sess, err := e.invite(ctx, fromHeader("", "1002", "pbx.example"))
			mustf(t, err, "invite")
			mustf(t, sess.WaitAnswer(ctx, sipgo.AnswerOptions{}), "wait answer")
			mustf(t, sess.Ack(ctx), "ack")
			inv := recvReq(t, e.uas.invites, "INVITE")
			uasSess := e.uas.session(callID(inv))
			if uasSess == nil {
				t.Fatal("no callee session")
			}
			mustf(t, uasSess.Bye(ctx), "callee bye (routed back via Record-Route)")
			select {
			case <-sess.Context().Done():
			case <-time.After(3 * time.Second):
				t.Error("caller never saw the BYE")
			}
			evs := e.events(callID(inv), 3*time.Second)
			if got := kinds(evs); got != "ringing,answered,ended(bye-callee)" {
				t.Fatalf("events = %s", got)
			}
			if evs[0].Direction != "internal" {
				t.Errorf("direction %s, want internal", evs[0].Direction)
			}
		})
	}
}

func TestCancelDuringRinging(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		t.Run(map[bool]string{false: "udp", true: "tcp"}[tcp], func(t *testing.T) {
			e := newEnv(t, tcp, nil)
			e.uas.setOnInvite(ringForever)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sess, err := e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"))
			mustf(t, err, "invite")
			waitCtx, hangUp := context.WithCancel(ctx)
			err = sess.WaitAnswer(waitCtx, sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
				if res.StatusCode == 180 {
					hangUp() // caller gives up while ringing: WaitAnswer sends CANCEL
				}
				return nil
			}})
			if err == nil {
				t.Fatal("call answered, want cancelled")
			}
			if sess.InviteResponse == nil || sess.InviteResponse.StatusCode != 487 {
				t.Fatalf("caller got %v, want 487", sess.InviteResponse)
			}
			inv := recvReq(t, e.uas.invites, "INVITE")
			if got := kinds(e.events(callID(inv), 3*time.Second)); got != "ringing,cancelled(cancel)" {
				t.Fatalf("events = %s", got)
			}
			waitNoDialogs(t, e)
			select {
			case r := <-e.uas.strays: // over TCP the INVITE transaction ends at the ACK
				t.Fatalf("callee got a second CANCEL: %s", r.StartLine())
			case <-time.After(200 * time.Millisecond):
			}
		})
	}
}

func TestBusy(t *testing.T) {
	e := newEnv(t, false, nil)
	e.uas.setOnInvite(respondWith(486, "Busy Here"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"))
	mustf(t, err, "invite")
	err = sess.WaitAnswer(ctx, sipgo.AnswerOptions{})
	if code := dialogErrCode(err); code != 486 {
		t.Fatalf("caller got %v (%d), want 486", err, code)
	}
	inv := recvReq(t, e.uas.invites, "INVITE")
	evs := e.events(callID(inv), 3*time.Second)
	if got := kinds(evs); got != "busy(busy)" || evs[0].Code != 486 {
		t.Fatalf("events = %s", got)
	}
}

func TestRingTimeout(t *testing.T) {
	e := newEnv(t, false, func(c *config.SIP) { c.RingTimeout = config.Duration(300 * time.Millisecond) })
	cancelled := make(chan error, 1)
	e.uas.setOnInvite(func(p *peer, s *sipgo.DialogServerSession, req *sip.Request, tx sip.ServerTransaction) {
		ringForever(p, s, req, tx)
		cancelled <- tx.Err()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	sess, err := e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"))
	mustf(t, err, "invite")
	err = sess.WaitAnswer(ctx, sipgo.AnswerOptions{})
	if code := dialogErrCode(err); code != 408 {
		t.Fatalf("caller got %v, want 408", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Errorf("408 after %v, want ~300ms", d)
	}
	select {
	case err := <-cancelled:
		if err != sip.ErrTransactionCanceled {
			t.Errorf("callee transaction ended with %v, want CANCEL", err)
		}
	case <-time.After(3 * time.Second):
		t.Error("callee never got CANCEL")
	}
	inv := recvReq(t, e.uas.invites, "INVITE")
	if got := kinds(e.events(callID(inv), 3*time.Second)); got != "ringing,missed(ring-timeout)" {
		t.Fatalf("events = %s", got)
	}
}

func waitNoDialogs(t *testing.T, e *env) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if e.p.calls.size() == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Errorf("%v dialogs still tracked", e.p.calls.size())
}

func TestInDialogRequestsRelayed(t *testing.T) {
	e := newEnv(t, false, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess := e.answeredCall(ctx, t, fromHeader("", "+4930123456", "pbx.example"))
	inv := recvReq(t, e.uas.invites, "INVITE")
	for _, m := range []sip.RequestMethod{sip.INFO, sip.UPDATE} {
		req := sip.NewRequest(m, sess.InviteResponse.Contact().Address)
		res, err := sess.Do(ctx, req)
		mustf(t, err, "%s", m)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", m, res.StatusCode)
		}
		got := recvReq(t, e.uas.requests, string(m))
		if got.Route() != nil {
			t.Errorf("%s: our Route was not popped: %v", m, got.Route())
		}
		if len(got.GetHeaders("Via")) != 2 || got.Via().Port != port(e.proxyAddr()) {
			t.Errorf("%s: did not traverse the proxy", m)
		}
	}
	mustf(t, sess.Bye(ctx), "bye")
	if got := kinds(e.events(callID(inv), 3*time.Second)); got != "ringing,answered,ended(bye-caller)" {
		t.Fatalf("events = %s", got)
	}
}

func TestCancelDuringLookupNeverReachesCallee(t *testing.T) {
	// TCP: no INVITE retransmission, which would stop sipgo's 100 Trying
	// timer (200 ms) before it fires (the test T1 is 100 ms).
	e := newEnv(t, true, func(c *config.SIP) { c.LookupBudget = config.Duration(time.Second) })
	e.res.delay.Store(int64(400 * time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"))
	mustf(t, err, "invite")
	waitCtx, hangUp := context.WithTimeout(ctx, 50*time.Millisecond) // CANCEL follows the 100 Trying
	defer hangUp()
	if err := sess.WaitAnswer(waitCtx, sipgo.AnswerOptions{}); err == nil {
		t.Fatal("answered")
	}
	if r := sess.InviteResponse; r == nil || r.StatusCode != 487 {
		t.Fatalf("caller got %v, want 487", r)
	}
	select {
	case inv := <-e.uas.invites:
		t.Fatalf("callee got the cancelled INVITE %s", callID(inv))
	case <-time.After(600 * time.Millisecond):
	}
	id := string(*sess.InviteRequest.CallID())
	if got := kinds(e.events(id, 2*time.Second)); got != "cancelled(cancel)" {
		t.Fatalf("events = %s", got)
	}
}

func TestPhonebookRoute(t *testing.T) {
	e := newEnv(t, false, func(c *config.SIP) {
		c.PhonebookRoutes = []config.PhonebookRoute{
			{Phonebook: "VIP", Header: true, RequestURIUser: "queue-vip"},
			{Phonebook: "Suppliers", Header: true},
		}
	})
	e.res.set("+4930111", lookup.Result{Name: "Vera VIP", Source: lookup.SourceCompany, Phonebook: "vip"})
	e.res.set("+4930222", lookup.Result{Name: "Sam Supplier", Source: lookup.SourceCompany, Phonebook: "Suppliers\r\nX-Evil: 1"})
	e.res.set("+4930333", lookup.Result{Name: "Olga Other", Source: lookup.SourceCompany, Phonebook: "Other"})
	for _, tc := range []struct{ caller, wantUser, wantHeader string }{
		{"+4930111", "queue-vip", "vip"},
		{"+4930222", "1001", ""}, // a phonebook name that is not configured (CRLF): no route
		{"+4930333", "1001", ""},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		sess := e.answeredCall(ctx, t, fromHeader("", tc.caller, "pbx.example"), sip.NewHeader("x-cid-phonebook", "forged"))
		inv := recvReq(t, e.uas.invites, "INVITE")
		if inv.Recipient.User != tc.wantUser {
			t.Errorf("%s: R-URI user %q, want %q", tc.caller, inv.Recipient.User, tc.wantUser)
		}
		got := values(inv, "X-Cid-Phonebook")
		if got != tc.wantHeader { // the caller's forged header never passes
			t.Errorf("%s: X-Cid-Phonebook %q, want %q", tc.caller, got, tc.wantHeader)
		}
		mustf(t, sess.Bye(ctx), "bye")
		cancel()
	}
}

func TestTCPCallerToUDPCallee(t *testing.T) {
	var uasUDP string
	e := newEnv(t, true, nil, func(e *env) { uasUDP = e.uas.udp; e.cfg.Upstream = "sip:" + uasUDP })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.answeredCall(ctx, t, fromHeader("", "+4930123456", "pbx.example"))
	inv := recvReq(t, e.uas.invites, "INVITE")
	if got := inv.From().DisplayName; got != `Alice \"AM\" Müller` {
		t.Errorf("From display %q", got)
	}
	if n := len(inv.GetHeaders("Record-Route")); n != 2 {
		t.Errorf("%d Record-Route, want 2 (udp and tcp)", n)
	}
	mustf(t, e.uas.session(callID(inv)).Bye(ctx), "callee bye across transports")
	if got := kinds(e.events(callID(inv), 3*time.Second)); got != "ringing,answered,ended(bye-callee)" {
		t.Fatalf("events = %s", got)
	}
}
