package sip

import (
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"cidproxy/sip/event"
)

// Event kinds, aliased for brevity.
const (
	kindRinging   = event.Ringing
	kindAnswered  = event.Answered
	kindEnded     = event.Ended
	kindMissed    = event.Missed
	kindCancelled = event.Cancelled
	kindBusy      = event.Busy
	kindFailed    = event.Failed
)

// call is the tracked state of one INVITE dialog, keyed by Call-ID.
type call struct {
	mu        sync.Mutex
	id        string
	callerTag string
	// where in-dialog requests go when they are addressed to us without a
	// Route (UAs that ignore Record-Route): host:port and transport.
	callerDest, callerTr string
	calleeDest, calleeTr string
	ev                   event.Event // template: parties, contact, Start, Ring, Answer
	sent                 uint8       // bit per kind already emitted
	done                 bool        // a terminal event was emitted
	tracked              bool        // owns its Call-ID in the tracker
	ringTimeout          time.Duration
	inviteSeq            uint32        // CSeq number of the INVITE, to spot its ACK
	inviteBranch         string        // top Via branch of the INVITE, to spot late retransmissions
	acked                chan struct{} // closed once the ACK for the 2xx went out
	ackOnce              sync.Once
}

// acksAnswer reports whether in (an ACK) carries the CSeq of c's INVITE and
// that INVITE was answered with a 2xx: then it is the ACK for the 2xx, a
// transaction of its own, and not one for a non-2xx final response.
func (c *call) acksAnswer(in *sip.Request) bool {
	cs := in.CSeq()
	if cs == nil || cs.SeqNo != c.inviteSeq {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.ev.Answer.IsZero()
}

// markAcked records that the caller's ACK for the 2xx was forwarded.
func (c *call) markAcked() { c.ackOnce.Do(func() { close(c.acked) }) }

// waitAcked holds a caller BYE of an answered call until the ACK before it
// was forwarded, at most d. sipgo handles each datagram in its own
// goroutine, so a BYE sent right after the ACK (sipp's default scenario)
// can overtake it, and a strict callee then rejects the late ACK.
func (c *call) waitAcked(d time.Duration) {
	c.mu.Lock()
	answered := !c.ev.Answer.IsZero()
	c.mu.Unlock()
	if !answered {
		return
	}
	select {
	case <-c.acked:
	default:
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-c.acked:
		case <-t.C:
		}
	}
}

// tracker turns SIP into lifecycle events: each kind at most once per
// call, terminal kinds end the call, answered implies ringing.
type tracker struct {
	mu     sync.Mutex
	calls  map[string]*call
	bus    *event.Bus
	expiry time.Duration
	now    func() time.Time
}

func newTracker(bus *event.Bus, expiry time.Duration) *tracker {
	return &tracker{calls: make(map[string]*call), bus: bus, expiry: expiry, now: time.Now}
}

// newCall builds the untracked state of an initial INVITE.
func (t *tracker) newCall(in *sip.Request, trustPAI bool, exts extensions) *call {
	c := &call{id: callID(in), acked: make(chan struct{})}
	if cs := in.CSeq(); cs != nil {
		c.inviteSeq = cs.SeqNo
	}
	if v := in.Via(); v != nil {
		c.inviteBranch, _ = v.Params.Get("branch")
	}
	c.ev.CallID = c.id
	c.ev.Start = t.now()
	c.ev.Caller.Number = callerNumber(in, trustPAI)
	c.ev.Callee.Number = calleeNumber(in, exts)
	if f := in.From(); f != nil {
		c.callerTag, _ = f.Params.Get("tag")
		c.ev.Caller.Name = unescapeQuoted(f.DisplayName)
	}
	if to := in.To(); to != nil {
		c.ev.Callee.Name = unescapeQuoted(to.DisplayName)
	}
	c.ev.Direction = exts.direction(c.ev.Caller.Number, c.ev.Callee.Number)
	c.callerTr = strings.ToUpper(in.Transport())
	c.callerDest = in.Source()
	if ct := in.Contact(); ct != nil && !sip.IsReliable(c.callerTr) && ct.Address.Host != "" {
		// UDP: the Contact is the remote target; TCP/TLS: reuse the connection.
		c.callerDest = hostPort(&ct.Address, c.callerTr)
	}
	return c
}

// isRetransmission reports whether in is a copy of this call's INVITE that
// arrived after its transaction was gone (txLinger).
func (c *call) isRetransmission(in *sip.Request) bool {
	v, cs := in.Via(), in.CSeq()
	if v == nil || cs == nil || c.inviteBranch == "" {
		return false
	}
	b, _ := v.Params.Get("branch")
	return b == c.inviteBranch && cs.SeqNo == c.inviteSeq
}

// isFromCaller reports whether an in-dialog request comes from the caller.
func (c *call) isFromCaller(r *sip.Request) bool {
	if f := r.From(); f != nil {
		tag, _ := f.Params.Get("tag")
		return tag == c.callerTag
	}
	return true
}

// setCallee records the initial next hop toward the callee.
func (c *call) setCallee(dest, transport string) {
	c.mu.Lock()
	c.calleeDest, c.calleeTr = dest, transport
	c.mu.Unlock()
}

// peer returns where a request goes: to the callee when it comes from the caller.
func (c *call) peer(fromCaller bool) (string, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if fromCaller {
		return c.calleeDest, c.calleeTr
	}
	return c.callerDest, c.callerTr
}

// add starts tracking c; false when its Call-ID is already tracked (a spiral).
func (t *tracker) add(c *call) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.calls[c.id]; ok || c.id == "" {
		return false
	}
	t.calls[c.id] = c
	c.tracked = true
	return true
}

func (t *tracker) get(id string) *call {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.calls[id]
}

func (t *tracker) remove(c *call) {
	t.mu.Lock()
	if t.calls[c.id] == c {
		delete(t.calls, c.id)
	}
	t.mu.Unlock()
}

// size is the number of tracked dialogs (the dialogs_active gauge).
func (t *tracker) size() float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return float64(len(t.calls))
}

func kindBit(k event.Kind) uint8 {
	for i, x := range event.Kinds {
		if x == k {
			return 1 << i
		}
	}
	return 0
}

// emit publishes kind k for c unless it was emitted before or the call has
// ended; "answered" emits a missing "ringing" first (pitfall 8).
func (t *tracker) emit(c *call, k event.Kind, code int, reason string) {
	if c == nil || !c.tracked {
		return
	}
	now := t.now()
	c.mu.Lock()
	bit := kindBit(k)
	if c.done || c.sent&bit != 0 {
		c.mu.Unlock()
		return
	}
	if k == kindAnswered && c.sent&kindBit(kindRinging) == 0 {
		c.ev.Ring = now
		c.sent |= kindBit(kindRinging)
		t.publish(c.ev, kindRinging, 0, "", now)
	}
	c.sent |= bit
	switch {
	case k == kindRinging:
		c.ev.Ring = now
	case k == kindAnswered:
		c.ev.Answer = now
	case k.Terminal():
		c.done = true
		c.ev.End = now
		c.ev.Duration = now.Sub(c.ev.Start)
		if !c.ev.Answer.IsZero() {
			c.ev.Talk = now.Sub(c.ev.Answer)
		}
	}
	t.publish(c.ev, k, code, reason, now)
	c.mu.Unlock()
	if k.Terminal() {
		t.remove(c)
	}
}

// publish sends one event; Bus.Publish never blocks.
func (t *tracker) publish(e event.Event, k event.Kind, code int, reason string, at time.Time) {
	if t.bus == nil {
		return
	}
	e.Kind, e.Code, e.Reason, e.At = k, code, reason, at
	t.bus.Publish(e)
}

// response classifies a downstream response to the initial INVITE.
func (t *tracker) response(c *call, res *sip.Response) {
	if c == nil {
		return
	}
	code := res.StatusCode
	switch {
	case code == 180 || code == 183:
		t.emit(c, kindRinging, code, "")
	case code >= 200 && code < 300:
		c.mu.Lock()
		if ct := res.Contact(); ct != nil && ct.Address.Host != "" && !sip.IsReliable(c.calleeTr) {
			c.calleeDest = hostPort(&ct.Address, c.calleeTr)
		}
		c.mu.Unlock()
		t.emit(c, kindAnswered, code, "")
	case code >= 300:
		t.final(c, code)
	}
}

// final classifies a final non-2xx response (relayed or our own).
func (t *tracker) final(c *call, code int) {
	if c == nil {
		return
	}
	switch {
	case code == 401 || code == 407:
		// An authentication challenge: the caller retries with the same
		// Call-ID, so forget this attempt without an event.
		c.mu.Lock()
		c.done = true
		c.mu.Unlock()
		t.remove(c)
	case code == 486 || code == 600:
		t.emit(c, kindBusy, code, "busy")
	case code == 487:
		t.emit(c, kindCancelled, code, "cancel")
	case code == 408 || code == 480:
		t.emit(c, kindMissed, code, "no-answer")
	default:
		t.emit(c, kindFailed, code, "rejected")
	}
}

// fail reports a call that ended without a final response from downstream.
func (t *tracker) fail(c *call, code int, reason string) {
	t.emit(c, kindFailed, code, reason)
}

// bye reports a BYE from either side.
func (t *tracker) bye(c *call, fromCaller bool) {
	reason := "bye-callee"
	if fromCaller {
		reason = "bye-caller"
	}
	t.emit(c, kindEnded, 0, reason)
}
