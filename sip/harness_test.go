package sip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"cidproxy/config"
	"cidproxy/lookup"
	"cidproxy/sip/event"
)

func TestMain(m *testing.M) {
	// Short SIP timers keep timeout paths fast; set once before any UA exists.
	sip.SetTimers(100*time.Millisecond, 400*time.Millisecond, 500*time.Millisecond)
	os.Exit(m.Run())
}

// stubResolver answers from a map, optionally after a delay (honouring ctx).
type stubResolver struct {
	names map[string]lookup.Result
	delay atomic.Int64 // time.Duration
	calls atomic.Int32
	mu    sync.Mutex
	last  lookup.Query
}

func (s *stubResolver) Lookup(ctx context.Context, q lookup.Query) (lookup.Result, error) {
	s.calls.Add(1)
	s.mu.Lock()
	s.last = q
	s.mu.Unlock()
	if d := time.Duration(s.delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return lookup.Result{}, ctx.Err()
		}
	}
	if r, ok := s.names[q.Number]; ok {
		return r, nil
	}
	return lookup.Result{}, lookup.ErrNotFound
}

// peer is a sipgo user agent acting as caller or callee.
type peer struct {
	name     string
	ua       *sipgo.UserAgent
	srv      *sipgo.Server
	cli      *sipgo.Client
	udp, tcp string
	tcpMode  bool
	dcc      *sipgo.DialogClientCache
	dsc      *sipgo.DialogServerCache

	invites  chan *sip.Request // INVITEs received (callee)
	requests chan *sip.Request // other out-of-dialog requests received
	mu       sync.Mutex
	sessions map[string]*sipgo.DialogServerSession
	onInvite func(p *peer, s *sipgo.DialogServerSession, req *sip.Request, tx sip.ServerTransaction)
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() && os.Getenv("SIP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// listen opens UDP and TCP sockets on 127.0.0.1:0; serve starts sipgo on
// them. Handlers must be registered in between (before serving) so the
// race detector sees them written before any request goroutine exists.
func listen(t *testing.T) (net.PacketConn, net.Listener) {
	t.Helper()
	uc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { uc.Close(); tl.Close() })
	return uc, tl
}

func serve(t *testing.T, srv *sipgo.Server, ua *sipgo.UserAgent, uc net.PacketConn, tl net.Listener) {
	t.Helper()
	go srv.ServeUDP(uc)
	go srv.ServeTCP(tl)
	waitUDP(t, ua.TransportLayer(), uc.LocalAddr().String())
}

// waitUDP waits until sipgo has registered the UDP listener in its pool.
func waitUDP(t *testing.T, tp *sip.TransportLayer, addr string) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if c, err := tp.GetConnection("udp", addr); err == nil && c != nil {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("udp listener %s not serving", addr)
}

func newPeer(t *testing.T, name string, tcpMode bool) *peer {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{name: name, ua: ua, srv: srv, tcpMode: tcpMode,
		invites: make(chan *sip.Request, 16), requests: make(chan *sip.Request, 16),
		sessions: map[string]*sipgo.DialogServerSession{}}
	uc, tl := listen(t)
	p.udp, p.tcp = uc.LocalAddr().String(), tl.Addr().String()
	opts := []sipgo.ClientOption{sipgo.WithClientHostname("127.0.0.1")}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: name, Host: "127.0.0.1", Port: port(p.udp)}}
	if tcpMode {
		contact.Address.Port = port(p.tcp)
		contact.Address.UriParams = sip.HeaderParams{{K: "transport", V: "tcp"}}
	} else {
		opts = append(opts, sipgo.WithClientConnectionAddr(p.udp))
	}
	if p.cli, err = sipgo.NewClient(ua, opts...); err != nil {
		t.Fatal(err)
	}
	p.dcc = sipgo.NewDialogClientCache(p.cli, contact)
	p.dsc = sipgo.NewDialogServerCache(p.cli, contact)
	p.onInvite = answerCall
	srv.OnInvite(p.handleInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = p.dsc.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := p.dsc.ReadBye(req, tx); err == nil {
			return
		}
		if err := p.dcc.ReadBye(req, tx); err != nil {
			tx.Respond(sip.NewResponseFromRequest(req, 481, "No Dialog", nil))
		}
	})
	for _, m := range []sip.RequestMethod{sip.OPTIONS, sip.REGISTER, sip.MESSAGE, sip.INFO, sip.UPDATE} {
		srv.OnRequest(m, func(req *sip.Request, tx sip.ServerTransaction) {
			p.requests <- req
			tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		})
	}
	t.Cleanup(func() { ua.Close() })
	serve(t, srv, ua, uc, tl)
	return p
}

func (p *peer) handleInvite(req *sip.Request, tx sip.ServerTransaction) {
	p.invites <- req
	s, err := p.dsc.ReadInvite(req, tx)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 500, "Bad", nil))
		return
	}
	p.mu.Lock()
	p.sessions[callID(req)] = s
	f := p.onInvite
	p.mu.Unlock()
	f(p, s, req, tx)
}

func (p *peer) session(id string) *sipgo.DialogServerSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sessions[id]
}

func (p *peer) setOnInvite(f func(p *peer, s *sipgo.DialogServerSession, req *sip.Request, tx sip.ServerTransaction)) {
	p.mu.Lock()
	p.onInvite = f
	p.mu.Unlock()
}

// answerCall rings, then answers with SDP.
func answerCall(_ *peer, s *sipgo.DialogServerSession, _ *sip.Request, _ sip.ServerTransaction) {
	_ = s.Respond(180, "Ringing", nil)
	_ = s.RespondSDP([]byte(testSDP))
}

// ringForever rings until the transaction is cancelled or ends.
func ringForever(_ *peer, s *sipgo.DialogServerSession, _ *sip.Request, tx sip.ServerTransaction) {
	_ = s.Respond(180, "Ringing", nil)
	select {
	case <-tx.Done():
	case <-time.After(5 * time.Second):
	}
}

func respondWith(code int, reason string) func(*peer, *sipgo.DialogServerSession, *sip.Request, sip.ServerTransaction) {
	return func(_ *peer, s *sipgo.DialogServerSession, _ *sip.Request, _ sip.ServerTransaction) {
		_ = s.Respond(code, reason, nil)
	}
}

func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

const testSDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"

// env is a running proxy between a caller and a callee peer.
type env struct {
	t      *testing.T
	p      *Proxy
	cfg    config.SIP
	res    *stubResolver
	reg    *prometheus.Registry
	sub    *event.Subscription
	uac    *peer
	uas    *peer
	tcp    bool
	served chan error
	stop   context.CancelFunc
	once   sync.Once
	err    error
}

func baseConfig() config.SIP {
	return config.SIP{
		Listen:        []string{"udp://127.0.0.1:0", "tcp://127.0.0.1:0"},
		MaxNameLength: 48,
		LookupBudget:  config.Duration(300 * time.Millisecond),
		RingTimeout:   config.Duration(10 * time.Second),
		DialogExpiry:  config.Duration(time.Hour),
		ShutdownGrace: config.Duration(2 * time.Second),
		Extensions:    []string{"1000-1999"},
	}
}

// newEnv starts callee, proxy (upstream = callee) and caller. mod may adjust the config.
func newEnv(t *testing.T, tcp bool, mod func(*config.SIP)) *env {
	t.Helper()
	e := &env{t: t, tcp: tcp, reg: prometheus.NewRegistry(), served: make(chan error, 1)}
	e.uas = newPeer(t, "callee", tcp)
	e.uac = newPeer(t, "caller", tcp)
	e.res = &stubResolver{names: map[string]lookup.Result{
		"+4930123456": {Name: `Alice "AM" Müller`, Source: lookup.SourceCompany, ContactID: "c1"},
		"+4940999":    {Name: "Evil\r\nX-Injected: yes", Source: lookup.SourceCRM, ContactID: "c2"},
	}}
	e.cfg = baseConfig()
	e.cfg.Upstream = "sip:" + e.uas.udp
	if tcp {
		e.cfg.Upstream = "sip:" + e.uas.tcp + ";transport=tcp"
	}
	if mod != nil {
		mod(&e.cfg)
	}
	bus := event.NewBus()
	e.sub = bus.Subscribe("test", 256)
	p, err := New(e.cfg, Options{Resolver: e.res, Bus: bus, Logger: testLogger(t), Registerer: e.reg})
	if err != nil {
		t.Fatal(err)
	}
	e.p = p
	ctx, cancel := context.WithCancel(context.Background())
	e.stop = cancel
	go func() { e.served <- p.Serve(ctx) }()
	select {
	case <-p.Ready():
	case err := <-e.served:
		t.Fatalf("serve: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("proxy not ready")
	}
	t.Cleanup(e.close)
	return e
}

func (e *env) close() {
	e.stop()
	e.wait(10 * time.Second)
}

// wait returns Serve's result once it has returned (an error after timeout).
func (e *env) wait(timeout time.Duration) error {
	e.once.Do(func() {
		select {
		case e.err = <-e.served:
		case <-time.After(timeout):
			e.err = errors.New("Serve did not return")
			e.t.Error(e.err)
		}
	})
	return e.err
}

// proxyAddr returns the proxy's listen address for the env's transport.
func (e *env) proxyAddr() string {
	want := "udp"
	if e.tcp {
		want = "tcp"
	}
	for _, l := range e.p.Addrs() {
		if l.Transport == want {
			return l.Addr
		}
	}
	e.t.Fatalf("no %s listener", want)
	return ""
}

// target is a Request-URI for the callee that routes through the proxy.
func (e *env) target(user string) sip.Uri {
	u := sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: port(e.proxyAddr())}
	if e.tcp {
		u.UriParams = sip.HeaderParams{{K: "transport", V: "tcp"}}
	}
	return u
}

func fromHeader(display, user, host string) *sip.FromHeader {
	f := &sip.FromHeader{DisplayName: display, Address: sip.Uri{Scheme: "sip", User: user, Host: host}, Params: sip.NewParams()}
	f.Params.Add("tag", sip.GenerateTagN(10))
	return f
}

// invite places a call from the caller; extra headers are added as given.
func (e *env) invite(ctx context.Context, from *sip.FromHeader, hdrs ...sip.Header) (*sipgo.DialogClientSession, error) {
	to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1"}, Params: sip.NewParams()}
	ct := sip.ContentTypeHeader("application/sdp")
	all := append([]sip.Header{from, to, &ct}, hdrs...)
	return e.uac.dcc.Invite(ctx, e.target("1001"), []byte(testSDP), all...)
}

// events collects the events of one call until a terminal one (or timeout).
func (e *env) events(callID string, timeout time.Duration) []event.Event {
	e.t.Helper()
	var out []event.Event
	deadline := time.After(timeout)
	for {
		select {
		case ev := <-e.sub.Events():
			if ev.CallID != callID {
				continue
			}
			out = append(out, ev)
			if ev.Kind.Terminal() {
				return out
			}
		case <-deadline:
			return out
		}
	}
}

func kinds(evs []event.Event) string {
	s := ""
	for i, ev := range evs {
		if i > 0 {
			s += ","
		}
		s += string(ev.Kind)
		if ev.Reason != "" {
			s += "(" + ev.Reason + ")"
		}
	}
	return s
}

func recvReq(t *testing.T, ch chan *sip.Request, what string) *sip.Request {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s received", what)
		return nil
	}
}

func dialogErrCode(err error) int {
	var de *sipgo.ErrDialogResponse
	if errors.As(err, &de) {
		return de.Res.StatusCode
	}
	var de2 sipgo.ErrDialogResponse
	if errors.As(err, &de2) {
		return de2.Res.StatusCode
	}
	return 0
}

func mustf(t *testing.T, err error, format string, a ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(format, a...), err)
	}
}
