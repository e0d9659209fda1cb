package sip

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"cidproxy/lookup"
)

// identify resolves the caller of an initial INVITE within the lookup
// budget, rewrites fwd on a match and returns the call to track.
func (p *Proxy) identify(in, fwd *sip.Request) *call {
	c := p.calls.newCall(in, p.cfg.TrustPAI, p.exts)
	c.ringTimeout = p.cfg.RingTimeout.D()
	// X-Cid-* headers are ours to set: a caller's own are never passed on,
	// whether or not this call gets a name or a phonebook route.
	removeHeaders(fwd, hdrCidSource)
	removeHeaders(fwd, hdrPhonebook)
	if withheld(in) && !p.cfg.NameWithheld {
		// The caller asked for privacy: events (journal, popups) get the
		// From user ("anonymous"), not a number taken from P-Asserted-Identity.
		c.ev.Caller.Number = callerNumber(in, false)
		c.ev.Direction = p.exts.direction(c.ev.Caller.Number, c.ev.Callee.Number)
	}
	lookupFn, inline := p.resolverFor(in)
	if c.ev.Caller.Number == "" || lookupFn == nil {
		return c
	}
	res, ok := p.resolve(lookupFn, lookup.Query{Number: c.ev.Caller.Number, Callee: c.ev.Callee.Number}, inline)
	if !ok {
		return c
	}
	p.routeByPhonebook(fwd, res.Phonebook)
	name := CleanName(res.Name, p.cfg.MaxNameLength)
	if name == "" {
		return c
	}
	src := ""
	if p.cfg.SourceHeader {
		src = res.Source
	}
	rewriteInvite(fwd, EscapeQuoted(name), src)
	p.m.rewritten(res.Source)
	c.ev.Caller.Name = name
	c.ev.ContactName, c.ev.ContactID, c.ev.Source = name, res.ContactID, res.Source
	c.ev.Integration, c.ev.ContactURL = res.Integration, res.URL
	return c
}

// hdrPhonebook names the phonebook a caller matched through (phonebook routes).
const hdrPhonebook = "X-Cid-Phonebook"

// routeByPhonebook applies the first sip.phonebook_routes entry for the
// phonebook the caller matched through: an X-Cid-Phonebook header and/or a
// new Request-URI user (a queue, an IVR). A received X-Cid-Phonebook was
// removed by identify: it is never trusted.
func (p *Proxy) routeByPhonebook(fwd *sip.Request, phonebook string) {
	if phonebook == "" {
		return
	}
	for _, r := range p.cfg.PhonebookRoutes {
		if !strings.EqualFold(r.Phonebook, phonebook) {
			continue
		}
		if r.Header {
			fwd.AppendHeader(sip.NewHeader(hdrPhonebook, CleanName(phonebook, 64)))
		}
		if r.RequestURIUser != "" {
			fwd.Recipient.User = r.RequestURIUser
		}
		return
	}
}

// removeHeaders drops every header called name, in any letter case
// (sipgo's RemoveHeader matches the exact spelling).
func removeHeaders(req *sip.Request, name string) {
	for i := 0; i < len(req.Headers()); i++ {
		if n := req.Headers()[i].Name(); strings.EqualFold(n, name) {
			req.RemoveHeader(n)
			i--
		}
	}
}

type answer struct {
	res lookup.Result
	err error
}

// lookupFunc is Resolver.Lookup or LocalResolver.LookupLocal.
type lookupFunc func(context.Context, lookup.Query) (lookup.Result, error)

// resolverFor picks how the caller of in may be looked up: nil when not at
// all (no Resolver; a withheld caller without name_withheld or without a
// LocalResolver). inline reports a lookup that never leaves the daemon's
// memory: LookupLocal, or a Resolver whose Remote method says it is local.
func (p *Proxy) resolverFor(in *sip.Request) (fn lookupFunc, inline bool) {
	if p.res == nil {
		return nil, false
	}
	if !withheld(in) {
		r, ok := p.res.(lookup.Remote)
		return p.res.Lookup, ok && !r.Remote()
	}
	if lr, ok := p.res.(LocalResolver); ok && p.cfg.NameWithheld {
		return lr.LookupLocal, true
	}
	return nil, false
}

// resolve asks the Resolver with a context bounded by the lookup budget and
// never waits longer than the budget, even for a Resolver that ignores ctx.
// An inline lookup (in-memory sources only: well under a microsecond) is
// called directly, without the deadline timer and goroutine that bound a
// remote one.
func (p *Proxy) resolve(lookupFn lookupFunc, q lookup.Query, inline bool) (lookup.Result, bool) {
	if inline {
		start := time.Now()
		r, err := lookupFn(context.Background(), q)
		p.m.lookupDone(start, r, err)
		return p.answered(answer{r, err})
	}
	// Background, not p.ctx: the budget bounds the lookup, and a child of a
	// shared cancelCtx would contend on its children map at high call rates.
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.LookupBudget.D())
	defer cancel()
	ch := make(chan answer, 1)
	go func() {
		start := time.Now()
		r, err := lookupFn(ctx, q)
		p.m.lookupDone(start, r, err)
		ch <- answer{r, err}
	}()
	select {
	case a := <-ch:
		return p.answered(a)
	case <-ctx.Done():
		p.m.lookupTimeouts.Inc()
		return lookup.Result{}, false
	}
}

// answered turns a Resolver's answer into a name (ok) or none, counting
// timeouts and logging failures other than no match.
func (p *Proxy) answered(a answer) (lookup.Result, bool) {
	if a.err != nil {
		if errors.Is(a.err, context.DeadlineExceeded) {
			p.m.lookupTimeouts.Inc()
		} else if errors.Is(a.err, lookup.ErrNotFound) {
			p.m.lookupMisses.Inc()
		} else {
			p.log.Debug("lookup failed", "error", a.err)
		}
		return lookup.Result{}, false
	}
	if a.res.Name == "" {
		p.m.lookupMisses.Inc()
	}
	return a.res, a.res.Name != ""
}

// relayInvite relays the responses of an INVITE transaction, handles the
// caller's CANCEL, 2xx retransmissions and the ring timeout (Timer C).
// c is nil for re-INVITEs: only the initial INVITE drives call events.
func (p *Proxy) relayInvite(in *sip.Request, tx sip.ServerTransaction, fwd *sip.Request, clTx sip.ClientTransaction, c *call) {
	var from *sip.FromHeader // the caller's own From, when we rewrote it
	if c != nil && c.ev.ContactName != "" {
		from = in.From()
	}
	clTx.OnRetransmission(func(res *sip.Response) { p.relayRetransmission(restoreFrom(res, from), in) })
	prov := newSignal()
	var cancelOnce sync.Once // one CANCEL per INVITE, whichever path asks first
	cancelWith := func(wait <-chan struct{}, reason sip.Header) {
		cancelOnce.Do(func() { go p.cancelDownstream(fwd, wait, reason) })
	}
	cancelDown := func(wait <-chan struct{}) { cancelWith(wait, nil) }
	cancelled := func(cr *sip.Request) {
		why := "cancel"
		var reason sip.Header // the caller's Reason (RFC 3326), passed on
		if cr != nil {
			if reason = cr.GetHeader("Reason"); completedElsewhere(reason) {
				why = "cancel-elsewhere" // a ring-group leg: another phone answered
			}
		}
		p.calls.emit(c, kindCancelled, 487, why)
		cancelWith(prov.c, reason)
	}
	if !tx.OnCancel(cancelled) { // the caller cancelled while we were looking up
		cancelled(nil)
		go p.drainClient(clTx)
		return
	}
	var ring <-chan time.Time
	if c != nil && p.cfg.RingTimeout > 0 {
		t := time.NewTimer(p.cfg.RingTimeout.D())
		defer t.Stop()
		ring = t.C
	}
	for {
		select {
		case res := <-clTx.Responses():
			if res.StatusCode < 200 {
				prov.fire()
			}
			p.calls.response(c, res)
			if res.StatusCode == 100 {
				continue
			}
			p.relayResponse(tx, restoreFrom(res, from))
			if res.StatusCode >= 200 {
				return // clTx lives on to absorb retransmissions
			}
		case <-clTx.Done():
			err := clTx.Err()
			p.calls.fail(c, p.respondTxError(tx, in, err), txErrReason(err))
			return
		case <-tx.Done():
			// The caller side is gone (transport error, shutdown): stop the callee ringing.
			// After a CANCEL over TCP/TLS this happens as soon as the caller ACKs the 487.
			p.calls.fail(c, 0, "aborted")
			cancelDown(prov.c)
			go p.drainClient(clTx)
			return
		case <-ring:
			p.calls.emit(c, kindMissed, 408, "ring-timeout")
			p.respond(tx, in, 408, "Request Timeout")
			prov.fire()
			cancelDown(nil)
			go p.drainClient(clTx)
			return
		}
	}
}

// restoreFrom gives a response toward the caller the caller's own From
// back (the callee answered the rewritten one): the display name we set is
// for the callee, the caller keeps what it sent. from nil: unchanged.
func restoreFrom(res *sip.Response, from *sip.FromHeader) *sip.Response {
	if from != nil && res.From() != nil {
		res.ReplaceHeader(sip.HeaderClone(from))
	}
	return res
}

// txErrReason names why a client transaction ended without a final response.
func txErrReason(err error) string {
	if errors.Is(err, sip.ErrTransactionTimeout) {
		return "timeout"
	}
	return "transport"
}

// signal is a channel closed at most once.
type signal struct {
	c    chan struct{}
	once sync.Once
}

func newSignal() *signal { return &signal{c: make(chan struct{})} }

func (s *signal) fire() { s.once.Do(func() { close(s.c) }) }

// relayRetransmission forwards a retransmitted 2xx upstream (pitfall 10).
// The server transaction may be gone, so it goes straight to the transport.
func (p *Proxy) relayRetransmission(res *sip.Response, in *sip.Request) {
	res.RemoveHeader("Via")
	if res.Via() == nil {
		return
	}
	res.SetTransport(in.Transport())
	if err := p.tp.WriteMsg(res); err != nil {
		p.log.Debug("relay 2xx retransmission failed", "error", err)
	}
}

// drainClient consumes what a client INVITE transaction still delivers
// after its server side is gone, so it can ACK the final response and
// end; it is terminated if nothing final arrives within 64*T1.
func (p *Proxy) drainClient(clTx sip.ClientTransaction) {
	t := time.NewTimer(64 * sip.T1)
	defer t.Stop()
	for {
		select {
		case res := <-clTx.Responses():
			if res.StatusCode >= 200 {
				return
			}
		case <-clTx.Done():
			return
		case <-t.C:
			clTx.Terminate()
			return
		}
	}
}

// cancelDownstream sends a CANCEL for the forwarded INVITE fwd, with fwd's
// Via branch and CSeq number (pitfall 11). RFC 3261 9.1 wants a
// provisional response first, so it waits briefly for one.
// A Reason header of the caller's CANCEL is passed on (RFC 3326), so a
// phone whose leg another phone answered does not list a missed call.
func (p *Proxy) cancelDownstream(fwd *sip.Request, provisional <-chan struct{}, reason sip.Header) {
	if provisional != nil {
		select {
		case <-provisional:
		case <-time.After(time.Second):
		}
	}
	req := newCancel(fwd)
	if reason != nil {
		req.AppendHeader(sip.HeaderClone(reason))
	}
	clTx, err := p.tl.Request(p.ctx, req)
	if err != nil {
		p.log.Debug("CANCEL downstream failed", "error", err)
		return
	}
	defer clTx.Terminate()
	for {
		select {
		case res := <-clTx.Responses():
			if res.StatusCode >= 200 {
				return
			}
		case <-clTx.Done():
			return
		}
	}
}

// completedElsewhere reports a Reason of "SIP;cause=200" (RFC 3326): the
// call was answered on another leg of a fork or ring group.
func completedElsewhere(h sip.Header) bool {
	if h == nil {
		return false
	}
	for _, part := range strings.Split(h.Value(), ",") {
		proto, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(proto), "SIP") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(k), "cause") && strings.Trim(strings.TrimSpace(v), `"`) == "200" {
				return true
			}
		}
	}
	return false
}

// newCancel builds the CANCEL for a forwarded INVITE.
func newCancel(inv *sip.Request) *sip.Request {
	req := sip.NewRequest(sip.CANCEL, *inv.Recipient.Clone())
	req.SipVersion = inv.SipVersion
	req.AppendHeader(sip.HeaderClone(inv.Via()))
	sip.CopyHeaders("Route", inv, req)
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	if h := inv.From(); h != nil {
		req.AppendHeader(sip.HeaderClone(h))
	}
	if h := inv.To(); h != nil {
		req.AppendHeader(sip.HeaderClone(h))
	}
	if h := inv.CallID(); h != nil {
		req.AppendHeader(sip.HeaderClone(h))
	}
	seq := uint32(0)
	if h := inv.CSeq(); h != nil {
		seq = h.SeqNo
	}
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: sip.CANCEL})
	req.SetBody(nil)
	req.SetTransport(inv.Transport())
	req.SetDestination(inv.Destination())
	req.Laddr = inv.Laddr
	return req
}
