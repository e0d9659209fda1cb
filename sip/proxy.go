// Package sip is cidproxy's SIP proxy: a transaction-stateful proxy built
// on github.com/emiago/sipgo that relays every request and response and
// rewrites only the caller's display name on initial INVITEs (From,
// P-Asserted-Identity, Remote-Party-ID), from names a Resolver returns
// within a time budget. A dialog tracker turns the traffic into call
// lifecycle events on an event.Bus. It is the only package that imports
// sipgo.
package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"cidproxy/config"
	"cidproxy/lookup"
	"cidproxy/sip/event"
)

// Resolver names a caller. lookup.Chain satisfies it; Lookup must honour
// ctx, which carries the configured lookup budget.
type Resolver interface {
	Lookup(ctx context.Context, q lookup.Query) (lookup.Result, error)
}

// LocalResolver is an optional interface of a Resolver that can answer
// from the daemon's own data only (no CRM or other external source). A
// withheld caller (Privacy: id, anonymous From) is looked up through it
// when sip.name_withheld is set, and not at all otherwise or when the
// Resolver lacks it: such a number never leaves the daemon.
type LocalResolver interface {
	LookupLocal(ctx context.Context, q lookup.Query) (lookup.Result, error)
}

// Options are the collaborators of a Proxy. All are optional: without a
// Resolver no name is ever set, without a Bus events are dropped, without
// a Logger nothing is logged and without a Registerer metrics go to a
// private registry. The Logger is used as given (add "component" yourself);
// sipgo's own records go through it too, its info chatter at debug level.
type Options struct {
	Resolver   Resolver
	Bus        *event.Bus
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Proxy is the SIP proxy. Create it with New and run it with Serve.
type Proxy struct {
	cfg      config.SIP
	res      Resolver
	log      *slog.Logger
	m        *metrics
	ua       *sipgo.UserAgent
	srv      *sipgo.Server
	tl       *sip.TransactionLayer
	tp       *sip.TransportLayer
	parser   *sip.Parser // the UDP read loops' own (takeAck)
	upstream *hop
	// routeAllow is sip.route_allow: where a Route header may send a request.
	routeAllow hopSet
	exts       extensions
	calls      *tracker
	tlsConf    *tls.Config

	ctx    context.Context // lives until Serve has shut down
	cancel context.CancelFunc

	ready    chan struct{}
	local    localAddrs // written before ready is closed, read-only after
	draining atomic.Bool
	active   atomic.Int64
	// acksTaken counts ACKs forwarded by the UDP read loops (takeAck).
	acksTaken atomic.Int64
	served    atomic.Bool
}

// hop is a parsed static next hop.
type hop struct {
	dest      string // host:port
	transport string // UDP, TCP, TLS, or "" (UDP, RFC 3263)
}

var globalsOnce sync.Once

// New builds a proxy from cfg. It validates the listeners, the upstream
// URI and the TLS key pair but opens no socket; Serve does.
func New(cfg config.SIP, opts Options) (*Proxy, error) {
	if len(cfg.Listen) == 0 {
		return nil, errors.New("sip: no listen address")
	}
	for _, l := range cfg.Listen {
		if _, err := config.ParseListen(l); err != nil {
			return nil, fmt.Errorf("sip: listen: %w", err)
		}
	}
	p := &Proxy{cfg: cfg, res: opts.Resolver, ready: make(chan struct{})}
	if p.cfg.MaxNameLength <= 0 {
		p.cfg.MaxNameLength = 48
	}
	if p.cfg.LookupBudget <= 0 {
		p.cfg.LookupBudget = config.Duration(300 * time.Millisecond)
	}
	var err error
	if p.upstream, err = parseHop(cfg.Upstream); err != nil {
		return nil, err
	}
	p.routeAllow = newHopSet(cfg.RouteAllow)
	if p.exts, err = parseExtensions(cfg.Extensions); err != nil {
		return nil, err
	}
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("sip: tls key pair: %w", err)
		}
		p.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	reg := opts.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	p.calls = newTracker(opts.Bus, cfg.DialogExpiry.D())
	if p.m, err = newMetrics(reg, p.calls.size, func() float64 { return float64(p.active.Load()) }); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p.log = log
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if err := p.build(); err != nil {
		return nil, err
	}
	return p, nil
}

// build creates the sipgo user agent and server and wires the handlers.
func (p *Proxy) build() error {
	sl := slog.New(&sipgoHandler{next: p.log.Handler(), malformed: p.m.malformed})
	setupSipgo(sl)
	opts := []sipgo.UserAgentOption{
		sipgo.WithUserAgent("cidproxy"),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(sl),
			sip.WithTransactionLayerUnhandledResponseHandler(p.unhandledResponse),
			sip.WithTransactionLayerRetransmissionHandler(p.m.retransmission),
		),
		sipgo.WithUserAgentTransportLayerOptions(
			sip.WithTransportLayerLogger(sl),
			sip.WithTransportLayerReadFilter((&backlog{max: uint64(p.cfg.MaxBacklog), pauses: p.m.readPauses}).filter),
			sip.WithTransportLayerTCPTimeouts(p.cfg.TCPIdleTimeout.D(), p.cfg.TCPMessageTimeout.D()),
		),
	}
	if p.cfg.Hostname != "" {
		opts = append(opts, sipgo.WithUserAgentHostname(p.cfg.Hostname))
	}
	ua, err := sipgo.NewUA(opts...)
	if err != nil {
		return fmt.Errorf("sip: user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sl))
	if err != nil {
		return fmt.Errorf("sip: server: %w", err)
	}
	p.ua, p.srv = ua, srv
	p.parser = sip.NewParser()
	p.tl, p.tp = ua.TransactionLayer(), ua.TransportLayer()
	for _, m := range []sip.RequestMethod{sip.INVITE, sip.BYE, sip.OPTIONS, sip.REGISTER, sip.INFO,
		sip.NOTIFY, sip.SUBSCRIBE, sip.MESSAGE, sip.REFER, sip.PRACK, sip.UPDATE, sip.PUBLISH} {
		srv.OnRequest(m, p.handle)
	}
	srv.OnAck(p.onAck)
	srv.OnCancel(p.onUnmatchedCancel)
	srv.OnNoRoute(p.handle) // a proxy relays methods it does not know (RFC 3261 16.1)
	return nil
}

// txLinger is how long a completed transaction stays to absorb
// retransmissions (like Kamailio tm's wt_timer, 5 s). sipgo's RFC defaults
// of 64*T1 = 32 s (Timers L and M for a 2xx-answered INVITE, J for a
// non-INVITE server transaction such as BYE, D for a failed INVITE) keep
// every transaction of every call in memory for half a minute: at 1,500
// calls/s that is 150,000 transactions and a live heap that grows by
// 10 MB/s, the bulk of the heap and of the garbage collector's work. A
// request retransmitted later than that (its sender gave up long before:
// Timer B/F are 32 s from the first send, retransmissions stop at T2
// intervals) is recognised by the dialog tracker (INVITE) or relayed
// again and answered by the next hop (BYE), as behind Kamailio.
const txLinger = 5 * time.Second

// setupSipgo sets sipgo's package globals once per process, before any
// sipgo user agent runs: the UDP size limit, the default logger (the first
// proxy's) and the linger timers.
func setupSipgo(log *slog.Logger) {
	globalsOnce.Do(func() {
		sip.UDPMTUSize = 65535 // pitfall 4: the default refuses UDP writes over 1300 bytes
		sip.SetDefaultLogger(log)
		sip.Timer_L = min(sip.Timer_L, txLinger) // server INVITE transaction after a 2xx
		sip.Timer_M = min(sip.Timer_M, txLinger) // client INVITE transaction after a 2xx
		sip.Timer_J = min(sip.Timer_J, txLinger) // server non-INVITE transaction after its final response
		sip.Timer_D = min(sip.Timer_D, txLinger) // client INVITE transaction after a non-2xx final
	})
}

// Ready is closed once every listener is open; Addrs is valid from then on.
func (p *Proxy) Ready() <-chan struct{} { return p.ready }

// Addrs returns the actual listen addresses (port 0 resolved). Valid after Ready.
func (p *Proxy) Addrs() []config.Listener {
	select {
	case <-p.ready:
		return append([]config.Listener(nil), p.local.addrs...)
	default:
		return nil
	}
}

// Serve opens every configured listener, serves until ctx is done and then
// shuts down gracefully: new INVITEs are answered 503, open transactions
// get up to ShutdownGrace to finish, then the sockets close. It returns an
// error when a listener cannot be opened or fails while serving.
func (p *Proxy) Serve(ctx context.Context) error {
	if !p.served.CompareAndSwap(false, true) {
		return errors.New("sip: Serve called twice")
	}
	defer p.cancel()
	ls, err := p.openListeners()
	if err != nil {
		return err
	}
	errc := make(chan error, len(ls))
	var wg sync.WaitGroup
	for _, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- l.serve()
		}()
	}
	p.waitServing()
	close(p.ready)
	p.log.Info("sip proxy listening", "addrs", fmt.Sprint(p.local.addrs))
	jctx, jstop := context.WithCancel(ctx)
	go p.calls.janitor(jctx)
	warmStacks(jctx)

	var serveErr error
	select {
	case <-ctx.Done():
	case err := <-errc:
		if err == nil {
			err = errors.New("closed")
		}
		serveErr = fmt.Errorf("sip: listener stopped: %w", err)
	}
	jstop()
	p.drain()
	for _, l := range ls {
		l.close()
	}
	p.ua.Close()
	wg.Wait()
	p.log.Info("sip proxy stopped")
	return serveErr
}

// waitServing waits (briefly) until sipgo has registered each UDP listener,
// so forwarded requests can leave from it.
func (p *Proxy) waitServing() {
	for _, a := range p.local.addrs {
		if a.Transport != "udp" {
			continue
		}
		for i := 0; i < 1000; i++ {
			if c, err := p.tp.GetConnection("udp", a.Addr); err == nil && c != nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// drain refuses new calls and waits for running handlers, bounded by ShutdownGrace.
func (p *Proxy) drain() {
	p.draining.Store(true)
	deadline := time.Now().Add(p.cfg.ShutdownGrace.D())
	for p.active.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := p.active.Load(); n > 0 {
		p.log.Warn("sip shutdown grace expired", "open_transactions", n)
	}
}

// unhandledResponse receives responses that match no client transaction:
// mostly late retransmissions. They are dropped (pitfall 15).
func (p *Proxy) unhandledResponse(res *sip.Response) {
	p.log.Debug("unmatched response dropped", "status", res.StatusCode)
}
