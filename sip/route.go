package sip

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// handle relays every request except ACK and unmatched CANCEL. It runs in
// sipgo's per-request goroutine, which owns the transaction until return.
func (p *Proxy) handle(in *sip.Request, tx sip.ServerTransaction) {
	p.active.Add(1)
	defer p.active.Add(-1)
	p.m.request(in.Method)
	initial := !hasToTag(in)
	if initial && p.draining.Load() {
		p.respond(tx, in, 503, "Service Unavailable")
		return
	}
	if initial && p.cfg.MaxPending > 0 && p.active.Load() > int64(p.cfg.MaxPending) {
		// Issue 15 item 7: each pending request holds a goroutine and its
		// transactions; past the cap, callers retry later (RFC 3261 21.5.4).
		p.m.overloaded.Inc()
		p.respondFault(tx, in, fault{code: 503, reason: "Service Unavailable", retryAfter: "5"})
		return
	}
	if f := requestFault(in); f.code != 0 {
		p.m.malformed.Inc()
		p.respondFault(tx, in, f)
		return
	}
	if mf := in.MaxForwards(); mf != nil && mf.Val() == 0 {
		p.respond(tx, in, 483, "Too Many Hops")
		return
	}
	if initial && in.IsInvite() {
		if c := p.calls.get(callID(in)); c != nil && c.isRetransmission(in) {
			return // a late retransmission of a tracked INVITE: its answer is already out
		}
	}
	fwd := in.Clone()
	fwd.SetDestination("") // pitfall 2: Clone pins the pre-routing destination

	var c *call // the call this request belongs to, if tracked
	switch {
	case initial && in.IsInvite():
		c = p.identify(in, fwd)
		p.calls.add(c)
	case !initial:
		c = p.calls.get(callID(in))
	}
	fromCaller := c == nil || c.isFromCaller(in)
	dest, tr, code := p.nextHop(fwd, in, initial, c, fromCaller)
	if code != 0 {
		p.reject(tx, in, code)
		if initial {
			p.calls.fail(c, code, "no-route")
		}
		return
	}
	tr = p.sizeTransport(fwd, tr)
	p.prepare(fwd, in, dest, tr, initial && createsDialog(in.Method))
	if initial && c != nil {
		c.setCallee(dest, tr)
	}
	if in.Method == sip.BYE && c != nil {
		if fromCaller {
			c.waitAcked(ackWait)
		}
		p.calls.bye(c, fromCaller)
	}
	if !initial {
		c = nil // only the initial INVITE transaction drives call events
	}
	p.forward(in, tx, fwd, c)
}

// routeAllowed reports whether a Route header may send a request to dest
// (issue 15 item 8, no open relay): the configured upstream, an entry of
// sip.route_allow, or the route set of a call we track (an in-dialog
// request follows the Record-Route its peers inserted).
func (p *Proxy) routeAllowed(dest string, initial bool, c *call) bool {
	if p.upstream != nil && strings.EqualFold(dest, p.upstream.dest) {
		return true
	}
	if !initial && c != nil {
		return true
	}
	if p.routeAllow.any {
		return true
	}
	dest = strings.ToLower(dest)
	if _, ok := p.routeAllow.hops[dest]; ok {
		return true
	}
	host, _, err := net.SplitHostPort(dest)
	_, ok := p.routeAllow.hops[host]
	return err == nil && ok
}

// hopSet is sip.route_allow: "host" and "host:port" entries, lower case.
type hopSet struct {
	hops map[string]struct{}
	any  bool
}

func newHopSet(entries []string) hopSet {
	h := hopSet{hops: map[string]struct{}{}}
	for _, e := range entries {
		if e == "*" {
			h.any = true
		}
		h.hops[strings.ToLower(strings.Trim(e, "[]"))] = struct{}{}
		if host, port, err := net.SplitHostPort(e); err == nil {
			h.hops[strings.ToLower(net.JoinHostPort(host, port))] = struct{}{}
		}
	}
	return h
}

// reject answers a request the proxy cannot route.
func (p *Proxy) reject(tx sip.ServerTransaction, in *sip.Request, code int) {
	switch code {
	case 482:
		p.respond(tx, in, 482, "Loop Detected")
		return
	case 403:
		p.respond(tx, in, 403, "Forbidden (Route to a next hop that is not allowed)")
		return
	}
	p.respond(tx, in, 481, "Call/Transaction Does Not Exist")
}

// forward starts the client transaction for fwd and relays its responses.
func (p *Proxy) forward(in *sip.Request, tx sip.ServerTransaction, fwd *sip.Request, c *call) {
	if errors.Is(tx.Err(), sip.ErrTransactionCanceled) {
		p.calls.emit(c, kindCancelled, 487, "cancel") // CANCEL arrived during the lookup
		return
	}
	clTx, err := p.request(fwd)
	if err != nil {
		p.log.Debug("forward failed", "method", string(in.Method), "error", err)
		p.respond(tx, in, 503, "Service Unavailable")
		p.calls.fail(c, 503, "transport")
		return
	}
	if in.IsInvite() {
		p.relayInvite(in, tx, fwd, clTx, c)
		return
	}
	p.relayNonInvite(in, tx, clTx)
}

// connectTimeout bounds a TCP/TLS connect to the next hop (sipgo's dialer
// waits a minute).
const connectTimeout = 5 * time.Second

// request starts the client transaction; only connection set-up uses the context.
func (p *Proxy) request(fwd *sip.Request) (sip.ClientTransaction, error) {
	if !sip.IsReliable(fwd.Transport()) {
		return p.tl.Request(p.ctx, fwd)
	}
	ctx, cancel := context.WithTimeout(p.ctx, connectTimeout)
	defer cancel()
	return p.tl.Request(ctx, fwd)
}

// relayNonInvite relays the responses of a non-INVITE transaction.
func (p *Proxy) relayNonInvite(in *sip.Request, tx sip.ServerTransaction, clTx sip.ClientTransaction) {
	for {
		select {
		case res := <-clTx.Responses():
			if res.StatusCode == 100 {
				continue // hop by hop (pitfall 12)
			}
			p.relayResponse(tx, res)
			if res.StatusCode >= 200 {
				return
			}
		case <-clTx.Done():
			p.respondTxError(tx, in, clTx.Err())
			return
		case <-tx.Done():
			clTx.Terminate()
			return
		}
	}
}

// respondTxError answers a request whose downstream transaction ended
// without a final response: 408 after a timeout, 503 otherwise.
func (p *Proxy) respondTxError(tx sip.ServerTransaction, in *sip.Request, err error) int {
	if errors.Is(err, sip.ErrTransactionTimeout) {
		p.respond(tx, in, 408, "Request Timeout")
		return 408
	}
	p.respond(tx, in, 503, "Service Unavailable")
	return 503
}

// relayResponse strips our Via and sends a downstream response upstream.
func (p *Proxy) relayResponse(tx sip.ServerTransaction, res *sip.Response) {
	res.RemoveHeader("Via")
	if res.Via() == nil {
		return
	}
	if res.StatusCode == 503 {
		// RFC 3261 16.7 step 6: a proxy SHOULD NOT forward a 503 (the caller
		// would take this proxy for overloaded and avoid it); 500 instead.
		res.StatusCode, res.Reason = 500, "Server Internal Error"
	}
	p.m.response(res.StatusCode)
	if err := tx.Respond(res); err != nil && !errors.Is(err, sip.ErrTransactionCanceled) {
		p.log.Debug("relay response failed", "status", res.StatusCode, "error", err)
	}
}

// respondFault answers a request that failed validation (requestFault).
func (p *Proxy) respondFault(tx sip.ServerTransaction, in *sip.Request, f fault) {
	res := sip.NewResponseFromRequest(in, f.code, f.reason, nil)
	res.SipVersion = "SIP/2.0" // ours, also in the 505 to a SIP/7.0 request
	if f.unsupported != "" {
		res.AppendHeader(sip.NewHeader("Unsupported", f.unsupported))
	}
	if f.retryAfter != "" {
		res.AppendHeader(sip.NewHeader("Retry-After", f.retryAfter))
	}
	p.m.response(f.code)
	if err := tx.Respond(res); err != nil {
		p.log.Debug("respond failed", "status", f.code, "error", err)
	}
}

// respond answers a request locally.
func (p *Proxy) respond(tx sip.ServerTransaction, in *sip.Request, code int, reason string) {
	p.m.response(code)
	if err := tx.Respond(sip.NewResponseFromRequest(in, code, reason, nil)); err != nil {
		p.log.Debug("respond failed", "status", code, "error", err)
	}
}

// onAck forwards an ACK for a 2xx (its own transaction); ACKs for non-2xx
// are absorbed by the INVITE server transaction (pitfall 12). The ACK for
// the 2xx of a tracked UDP call usually never gets here: the UDP read loop
// forwards it first (takeAck).
func (p *Proxy) onAck(in *sip.Request, _ sip.ServerTransaction) {
	p.m.request(in.Method)
	if requestFault(in).code != 0 { // an ACK is never answered: drop it
		p.m.malformed.Inc()
		return
	}
	if mf := in.MaxForwards(); mf != nil && mf.Val() == 0 {
		return
	}
	fwd := in.Clone()
	fwd.SetDestination("")
	c := p.calls.get(callID(in))
	fromCaller := c == nil || c.isFromCaller(in)
	dest, tr, code := p.nextHop(fwd, in, false, c, fromCaller)
	if code != 0 {
		p.log.Debug("ACK dropped: no route", "status", code)
		return
	}
	p.sendAck(in, fwd, c, fromCaller, dest, tr)
}

// sendAck forwards a routed ACK statelessly and marks the call acked when
// it is the caller's ACK for the INVITE. fwd is a clone of in, or in itself
// when the caller owns the request (takeAck).
func (p *Proxy) sendAck(in, fwd *sip.Request, c *call, fromCaller bool, dest, tr string) {
	var seq uint32
	if cs := in.CSeq(); cs != nil {
		seq = cs.SeqNo
	}
	p.prepare(fwd, in, dest, tr, false)
	if err := p.tp.WriteMsg(fwd); err != nil {
		p.log.Debug("forward ACK failed", "error", err)
	}
	if c != nil && fromCaller && seq == c.inviteSeq {
		c.markAcked()
	}
}

// takeAck is the UDP read loops' fast path for the most frequent message
// that needs no transaction: the caller's ACK for the 2xx that answered a
// tracked call, going out over UDP. It parses the datagram and, if it is
// such an ACK, forwards it right there and reports true, so sipgo never
// sees it: no server transaction, goroutine, context or clone for a message
// that is relayed statelessly anyway, and a send that cannot block (no
// connection to open). Anything else (other requests, responses, an ACK
// for a non-2xx that the INVITE transaction must absorb, an ACK that
// overtook its call's 2xx bookkeeping, one to a TCP or TLS hop or to a
// host name (DNS could block the loop), malformed data) is left to sipgo,
// which parses the untouched datagram itself.
func (p *Proxy) takeAck(data []byte, from net.Addr) bool {
	if len(data) < 4 || string(data[:4]) != "ACK " {
		return false
	}
	msg, err := p.parser.ParseSIP(data)
	if err != nil {
		return false
	}
	in, ok := msg.(*sip.Request)
	if !ok || in.Method != sip.ACK || requestFault(in).code != 0 {
		return false
	}
	if mf := in.MaxForwards(); mf != nil && mf.Val() == 0 {
		return false
	}
	c := p.calls.get(callID(in))
	if c == nil || !c.acksAnswer(in) {
		return false
	}
	in.SetTransport("UDP")
	in.SetSource(from.String())
	fromCaller := c.isFromCaller(in)
	dest, tr, code := p.nextHop(in, in, false, c, fromCaller)
	if code != 0 || tr != "UDP" || !ipHostPort(dest) {
		return false
	}
	p.m.request(in.Method)
	p.sendAck(in, in, c, fromCaller, dest, tr)
	p.acksTaken.Add(1)
	return true
}

// ipHostPort reports whether hostport names an IP literal (no DNS needed).
func ipHostPort(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	_, err = netip.ParseAddr(host)
	return err == nil
}

// ackWait bounds how long a caller's BYE waits for the ACK it overtook.
const ackWait = 200 * time.Millisecond

// onUnmatchedCancel answers a CANCEL that matches no INVITE transaction
// (sipgo answers matching ones itself, pitfall 11).
func (p *Proxy) onUnmatchedCancel(in *sip.Request, tx sip.ServerTransaction) {
	p.m.request(in.Method)
	p.respond(tx, in, 481, "Call/Transaction Does Not Exist")
}

// nextHop pops our own Route entries from fwd and decides where it goes:
// the remaining Route, the static upstream (initial requests), the
// Request-URI, or, when that points at us (UAs that ignore Record-Route),
// the other party of the dialog. code is 482 for a loop and 481 for an
// in-dialog request with nowhere to go.
func (p *Proxy) nextHop(fwd, in *sip.Request, initial bool, c *call, fromCaller bool) (dest, transport string, code int) {
	var r *sip.RouteHeader
	if hasRoute(fwd) { // Route() allocates even when there is none
		p.undoStrictRoute(fwd)
		for r = fwd.Route(); r != nil && p.isMeURI(&r.Address); r = fwd.Route() {
			fwd.RemoveHeader("Route")
		}
	}
	if r != nil {
		transport = uriTransport(&r.Address)
		dest = hostPort(&r.Address, transport)
		if !p.routeAllowed(dest, initial, c) {
			return "", "", 403
		}
	} else if initial && p.upstream != nil {
		dest, transport = p.upstream.dest, p.upstream.transport
	} else {
		transport = uriTransport(&fwd.Recipient)
		dest = hostPort(&fwd.Recipient, transport)
	}
	if transport == "" {
		transport = "UDP" // RFC 3263 4.1: a sip: URI without transport parameter
	}
	if p.isMe(dest) && c != nil {
		dest, transport = c.peer(fromCaller)
	}
	if p.isMe(dest) || dest == "" {
		if initial {
			return "", "", 482
		}
		return "", "", 481
	}
	if _, ok := p.local.out[transport]; !ok {
		transport = strings.ToUpper(in.Transport()) // no listener for it: stay on the incoming one
	}
	return dest, transport, 0
}

// sizeTransport moves a request that would be too large for UDP to TCP
// (RFC 3261 18.1.1, sip.udp_max_size; 200 bytes kept for our Via and
// Record-Route). It measures only when the limit is set and TCP is there.
func (p *Proxy) sizeTransport(fwd *sip.Request, tr string) string {
	if tr != "UDP" || p.cfg.UDPMaxSize <= 0 {
		return tr
	}
	if _, ok := p.local.out["TCP"]; !ok {
		return tr
	}
	if len(fwd.String())+200 > int(p.cfg.UDPMaxSize) {
		return "TCP"
	}
	return tr
}

// undoStrictRoute handles a request from a strict router (RFC 3261 16.4):
// its Request-URI is our own Record-Route address and the real target is
// the last Route entry. That entry becomes the Request-URI again and
// leaves the Route set.
func (p *Proxy) undoStrictRoute(fwd *sip.Request) {
	if !p.isMeURI(&fwd.Recipient) || fwd.Recipient.User != "" {
		return // our Record-Route URI has no user part
	}
	var routes []*sip.RouteHeader
	for _, h := range fwd.GetHeaders("Route") {
		if rh, ok := h.(*sip.RouteHeader); ok {
			routes = append(routes, rh)
		}
	}
	if len(routes) == 0 {
		return
	}
	last := routes[len(routes)-1]
	fwd.Recipient = *last.Address.Clone()
	for fwd.RemoveHeader("Route") {
	}
	for _, rh := range routes[:len(routes)-1] {
		fwd.AppendHeader(rh)
	}
}

// prepare turns the clone into the forwarded request: Max-Forwards
// decremented, destination and transport set, our Via (and, for
// dialog-creating requests, Record-Route) on top.
func (p *Proxy) prepare(fwd, in *sip.Request, dest, transport string, recordRoute bool) {
	if mf := fwd.MaxForwards(); mf != nil {
		mf.Dec()
	} else {
		m := sip.MaxForwardsHeader(70) // RFC 3261 16.6 step 3
		fwd.AppendHeader(&m)
	}
	fwd.SetDestination(dest)
	fwd.SetTransport(transport)
	adv, _ := p.advertFor(transport, dest)
	fwd.Laddr = adv.laddr
	if v := fwd.Via(); v != nil {
		markReceived(v, in.Source())
	}
	if recordRoute {
		inAdv, ok := p.advertFor(strings.ToUpper(in.Transport()), in.Source())
		if ok && inAdv.rr != adv.rr { // another transport or IP family: one entry per side
			fwd.PrependHeader(inAdv.rr)
		}
		fwd.PrependHeader(adv.rr)
	}
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: transport,
		Host: adv.host, Port: adv.port, Params: sip.NewParams()}
	via.Params.Add("branch", sip.GenerateBranchN(16))
	fwd.PrependHeader(via)
}

// markReceived adds received/rport to the sender's Via (RFC 3261 18.2.1,
// RFC 3581) so responses find their way back.
func markReceived(v *sip.ViaHeader, source string) {
	host, port, err := net.SplitHostPort(source)
	if err != nil {
		return
	}
	if rp, has := v.Params.Get("rport"); has && rp == "" {
		v.Params.Add("rport", port)
		v.Params.Add("received", host)
		return
	}
	if strings.Trim(v.Host, "[]") != host {
		v.Params.Add("received", host)
	}
}

// hasRoute reports whether r has a Route header, without parsing one.
func hasRoute(r *sip.Request) bool {
	for _, h := range r.Headers() {
		if strings.EqualFold(h.Name(), "Route") {
			return true
		}
	}
	return false
}

// hasToTag tells in-dialog requests (To tag present) from initial ones.
func hasToTag(r *sip.Request) bool {
	t := r.To()
	return t != nil && t.Params.Has("tag")
}

// createsDialog lists methods whose initial request can create a dialog.
func createsDialog(m sip.RequestMethod) bool {
	switch m {
	case sip.INVITE, sip.SUBSCRIBE, sip.REFER, sip.NOTIFY:
		return true
	}
	return false
}

func callID(r *sip.Request) string {
	if h := r.CallID(); h != nil {
		return string(*h)
	}
	return ""
}
