package sip

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"cidproxy/sip/event"
)

// fakeClock is a settable time source for the tracker.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newTestTracker(expiry time.Duration) (*tracker, *event.Subscription, *fakeClock) {
	bus := event.NewBus()
	sub := bus.Subscribe("t", 64)
	tr := newTracker(bus, expiry)
	clk := &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	tr.now = clk.now
	return tr, sub, clk
}

func startCall(t *testing.T, tr *tracker, id string) *call {
	t.Helper()
	req := parseFile(t, "invite_full.sip")
	req.ReplaceHeader(sip.NewHeader("Call-ID", id))
	c := tr.newCall(req, false, extensions{{mask: "1001"}})
	if c.id != id {
		c.id, c.ev.CallID = id, id
	}
	if !tr.add(c) {
		t.Fatalf("add %s failed", id)
	}
	return c
}

func drain(sub *event.Subscription) []event.Event {
	var out []event.Event
	for {
		select {
		case e := <-sub.Events():
			out = append(out, e)
		default:
			return out
		}
	}
}

func resp(code int) *sip.Response { return sip.NewResponse(code, "x") }

func TestTrackerSequences(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps func(tr *tracker, c *call, clk *fakeClock)
		want  string
	}{
		{"answered implies ringing", func(tr *tracker, c *call, clk *fakeClock) {
			tr.response(c, resp(200))
			clk.add(30 * time.Second)
			tr.bye(c, false)
		}, "ringing,answered,ended(bye-callee)"},
		{"each kind once", func(tr *tracker, c *call, _ *fakeClock) {
			tr.response(c, resp(180))
			tr.response(c, resp(183))
			tr.response(c, resp(200))
			tr.response(c, resp(200))
			tr.bye(c, true)
			tr.bye(c, false)
		}, "ringing,answered,ended(bye-caller)"},
		{"terminal wins", func(tr *tracker, c *call, _ *fakeClock) {
			tr.response(c, resp(180))
			tr.emit(c, kindCancelled, 487, "cancel")
			tr.response(c, resp(487))
			tr.response(c, resp(200))
		}, "ringing,cancelled(cancel)"},
		{"busy 600", func(tr *tracker, c *call, _ *fakeClock) { tr.response(c, resp(600)) }, "busy(busy)"},
		{"no answer 480", func(tr *tracker, c *call, _ *fakeClock) { tr.response(c, resp(480)) }, "missed(no-answer)"},
		{"failed 404", func(tr *tracker, c *call, _ *fakeClock) { tr.response(c, resp(404)) }, "failed(rejected)"},
		{"auth challenge is silent", func(tr *tracker, c *call, _ *fakeClock) { tr.response(c, resp(407)) }, ""},
		{"provisional 181 ignored", func(tr *tracker, c *call, _ *fakeClock) { tr.response(c, resp(181)) }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, sub, clk := newTestTracker(time.Hour)
			c := startCall(t, tr, "call-1")
			tc.steps(tr, c, clk)
			if got := kinds(drain(sub)); got != tc.want {
				t.Fatalf("events %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTrackerTimestampsAndRemoval(t *testing.T) {
	tr, sub, clk := newTestTracker(time.Hour)
	c := startCall(t, tr, "c2")
	clk.add(2 * time.Second)
	tr.response(c, resp(180))
	clk.add(3 * time.Second)
	tr.response(c, resp(200))
	clk.add(60 * time.Second)
	tr.bye(c, true)
	evs := drain(sub)
	end := evs[len(evs)-1]
	if end.Talk != 60*time.Second || end.Duration != 65*time.Second {
		t.Errorf("talk %v duration %v", end.Talk, end.Duration)
	}
	if !end.Ring.Equal(end.Start.Add(2*time.Second)) || !end.At.Equal(end.End) {
		t.Errorf("ring %v start %v at %v end %v", end.Ring, end.Start, end.At, end.End)
	}
	if end.Caller.Number != "+4930123456" || end.Callee.Number != "1001" || end.Direction != event.Inbound {
		t.Errorf("parties %+v %+v %s", end.Caller, end.Callee, end.Direction)
	}
	if tr.size() != 0 || tr.get("c2") != nil {
		t.Error("ended call still tracked")
	}
	if tr.add(&call{id: "c2"}) != true {
		t.Error("a new call with the same Call-ID must be trackable after the end")
	}
}

func TestTrackerDuplicateCallID(t *testing.T) {
	tr, _, _ := newTestTracker(time.Hour)
	startCall(t, tr, "dup")
	if tr.add(&call{id: "dup"}) {
		t.Fatal("second live call with the same Call-ID tracked")
	}
}

func TestJanitorExpires(t *testing.T) {
	tr, sub, clk := newTestTracker(10 * time.Minute)
	answered := startCall(t, tr, "answered")
	tr.response(answered, resp(200))
	ringing := startCall(t, tr, "ringing")
	ringing.ringTimeout = time.Minute
	tr.response(ringing, resp(180))
	drain(sub)
	clk.add(9 * time.Minute)
	tr.sweep()
	if got := drain(sub); len(got) != 0 || tr.size() != 2 {
		t.Fatalf("swept early: %v size %v", kinds(got), tr.size())
	}
	clk.add(2 * time.Minute) // answered 11 min ago; ringing started 11 min ago < 10+1
	tr.sweep()
	evs := drain(sub)
	if got := kinds(evs); got != "ended(expired)" || evs[0].CallID != "answered" {
		t.Fatalf("events %q", got)
	}
	if tr.size() != 1 {
		t.Fatalf("size %v, want 1", tr.size())
	}
	clk.add(time.Minute)
	tr.sweep()
	if tr.size() != 0 || len(drain(sub)) != 0 {
		t.Fatal("stale unanswered call not forgotten silently")
	}
}

func TestJanitorStopsWithContext(t *testing.T) {
	tr, _, _ := newTestTracker(40 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tr.janitor(ctx); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("janitor did not stop")
	}
}

func TestExtensionsDirection(t *testing.T) {
	exts, err := parseExtensions([]string{"1001", "2000-2999", "3XX"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		caller, callee string
		want           event.Direction
	}{
		{"+4930123", "1001", event.Inbound},
		{"2500", "+4930123", event.Outbound},
		{"1001", "2999", event.Internal},
		{"301", "399", event.Internal},
		{"+4930123", "+4940123", event.External},
		{"30", "4000", event.External},
		{"1002", "20000", event.External},
		{"", "", event.External},
	} {
		if got := exts.direction(tc.caller, tc.callee); got != tc.want {
			t.Errorf("direction(%s, %s) = %s, want %s", tc.caller, tc.callee, got, tc.want)
		}
	}
	for _, bad := range []string{"1-99", "9-1", "12a", ""} {
		if _, err := parseExtensions([]string{bad}); err == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
}

func TestWaitAcked(t *testing.T) {
	tr, _, _ := newTestTracker(time.Hour)
	c := startCall(t, tr, "ack")
	start := time.Now()
	c.waitAcked(time.Second) // not answered: no wait
	tr.response(c, resp(200))
	go func() { time.Sleep(30 * time.Millisecond); c.markAcked() }()
	c.waitAcked(time.Second)
	if d := time.Since(start); d < 25*time.Millisecond || d > 500*time.Millisecond {
		t.Errorf("waited %v, want until the ACK (~30ms)", d)
	}
	c.markAcked() // idempotent
	start = time.Now()
	c.waitAcked(time.Second)
	if time.Since(start) > 10*time.Millisecond {
		t.Error("waited although acked")
	}
}

func TestIsRetransmission(t *testing.T) {
	tr, _, _ := newTestTracker(time.Hour)
	c := startCall(t, tr, "r")
	same := parseFile(t, "invite_full.sip")
	if !c.isRetransmission(same) {
		t.Error("identical INVITE not recognised")
	}
	next := parseFile(t, "invite_full.sip")
	next.CSeq().SeqNo++ // e.g. the retry after a 407
	next.Via().Params.Add("branch", "z9hG4bKother")
	if c.isRetransmission(next) {
		t.Error("new INVITE taken for a retransmission")
	}
}
