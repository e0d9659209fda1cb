package sip

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
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
	// sipgo globals are set before any test user agent runs (New does it
	// too, but test peers start first).
	flag.Parse()
	setupSipgo(testLogger(nil))
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
	s.mu.Lock()
	r, ok := s.names[q.Number]
	s.mu.Unlock()
	if ok {
		return r, nil
	}
	return lookup.Result{}, lookup.ErrNotFound
}

// set adds or replaces a name while the proxy runs.
func (s *stubResolver) set(number string, r lookup.Result) {
	s.mu.Lock()
	s.names[number] = r
	s.mu.Unlock()
}

// localResolver is a stubResolver that can also answer from local data only.
type localResolver struct {
	*stubResolver
	local atomic.Int32
}

func (l *localResolver) LookupLocal(ctx context.Context, q lookup.Query) (lookup.Result, error) {
	l.local.Add(1)
	return l.Lookup(ctx, q)
}

// env is a running proxy between a caller and a callee peer.
type env struct {
	t     testing.TB
	p     *Proxy
	cfg   config.SIP
	res   *stubResolver
	local *localResolver // what the proxy gets unless resolver is set
	// resolver overrides the proxy's Resolver (set by an envOption).
	resolver Resolver
	reg      *prometheus.Registry
	sub      *event.Subscription
	uac      *peer
	uas      *peer
	tcp      bool
	served   chan error
	stop     context.CancelFunc
	once     sync.Once
	err      error
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
func newEnv(t testing.TB, tcp bool, mod func(*config.SIP), opts ...func(*env)) *env {
	t.Helper()
	e := &env{t: t, tcp: tcp, reg: prometheus.NewRegistry(), served: make(chan error, 1)}
	e.uas = newPeer(t, "callee", tcp)
	e.uac = newPeer(t, "caller", tcp)
	e.res = &stubResolver{names: map[string]lookup.Result{
		"+4930123456": {Name: `Alice "AM" Müller`, Source: lookup.SourceCompany, ContactID: "c1"},
		"+4940999":    {Name: "Evil\r\nX-Injected: yes", Source: lookup.SourceCRM, ContactID: "c2"},
	}}
	e.local = &localResolver{stubResolver: e.res}
	e.resolver = e.local
	e.cfg = baseConfig()
	e.cfg.Upstream = "sip:" + e.uas.udp
	if tcp {
		e.cfg.Upstream = "sip:" + e.uas.tcp + ";transport=tcp"
	}
	if mod != nil {
		mod(&e.cfg)
	}
	for _, o := range opts {
		o(e)
	}
	bus := event.NewBus()
	e.sub = bus.Subscribe("test", 4096)
	p, err := New(e.cfg, Options{Resolver: e.resolver, Bus: bus, Logger: testLogger(t), Registerer: e.reg})
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

func recvReq(t testing.TB, ch chan *sip.Request, what string) *sip.Request {
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

func mustf(t testing.TB, err error, format string, a ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(format, a...), err)
	}
}

// answerAndAck waits for the 2xx of an INVITE the caller sent and ACKs it.
func answerAndAck(ctx context.Context, t testing.TB, sess *sipgo.DialogClientSession) {
	t.Helper()
	mustf(t, sess.WaitAnswer(ctx, sipgo.AnswerOptions{}), "answer")
	mustf(t, sess.Ack(ctx), "ack")
}

// answeredCall sends an INVITE from `from` (with hdrs), waits for the 2xx
// and ACKs it.
func (e *env) answeredCall(ctx context.Context, t testing.TB, from *sip.FromHeader, hdrs ...sip.Header) *sipgo.DialogClientSession {
	t.Helper()
	sess, err := e.invite(ctx, from, hdrs...)
	mustf(t, err, "invite")
	answerAndAck(ctx, t, sess)
	return sess
}
