package sip

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"cidproxy/config"
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
