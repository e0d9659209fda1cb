package sip

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"cidproxy/sip/event"
)

// TestConcurrentMixedCalls runs answered, busy and cancelled calls at once
// and checks every call's event sequence and that no dialog is left behind.
func TestConcurrentMixedCalls(t *testing.T) {
	e := newEnv(t, false, nil)
	e.uas.setOnInvite(func(p *peer, s *sipgo.DialogServerSession, req *sip.Request, tx sip.ServerTransaction) {
		switch req.GetHeader("X-Outcome").Value() {
		case "busy":
			_ = s.Respond(486, "Busy Here", nil)
		case "cancel":
			ringForever(p, s, req, tx)
		default:
			answerCall(p, s, req, tx)
		}
	})
	outcomes := []string{"answer", "busy", "cancel"}
	want := map[string]string{
		"answer": "ringing,answered,ended(bye-caller)",
		"busy":   "busy(busy)",
		"cancel": "ringing,cancelled(cancel)",
	}
	const calls = 150
	ids := make([]string, calls)
	var wg sync.WaitGroup
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i] = runOutcome(t, e, outcomes[i%3])
		}()
	}
	wg.Wait()
	got := map[string][]event.Event{}
	deadline := time.After(5 * time.Second)
	for done := 0; done < calls; {
		select {
		case ev := <-e.sub.Events():
			got[ev.CallID] = append(got[ev.CallID], ev)
			if ev.Kind.Terminal() {
				done++
			}
		case <-deadline:
			t.Fatalf("only %d of %d calls ended", done, calls)
		}
	}
	for i, id := range ids {
		if k := kinds(got[id]); k != want[outcomes[i%3]] {
			t.Errorf("call %d (%s): events %s, want %s", i, outcomes[i%3], k, want[outcomes[i%3]])
		}
	}
	waitNoDialogs(t, e)
}

// runOutcome places one call that ends as outcome and returns its Call-ID.
func runOutcome(t *testing.T, e *env, outcome string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"), sip.NewHeader("X-Outcome", outcome))
	if err != nil {
		t.Error(err)
		return ""
	}
	id := string(*sess.InviteRequest.CallID())
	switch outcome {
	case "answer":
		if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
			t.Error(err)
			return id
		}
		_ = sess.Ack(ctx)
		if err := sess.Bye(ctx); err != nil {
			t.Error(err)
		}
	case "busy":
		if code := dialogErrCode(sess.WaitAnswer(ctx, sipgo.AnswerOptions{})); code != 486 {
			t.Errorf("busy call got %d", code)
		}
	case "cancel":
		waitCtx, hangUp := context.WithCancel(ctx)
		defer hangUp()
		_ = sess.WaitAnswer(waitCtx, sipgo.AnswerOptions{OnResponse: func(r *sip.Response) error {
			if r.StatusCode == 180 {
				hangUp()
			}
			return nil
		}})
	}
	return id
}
