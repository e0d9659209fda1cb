package sip

import (
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

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
	strays   chan *sip.Request // CANCELs that matched no INVITE transaction
	requests chan *sip.Request // other out-of-dialog requests received
	acks     chan *sip.Request // ACKs received
	mu       sync.Mutex
	sessions map[string]*sipgo.DialogServerSession
	onInvite func(p *peer, s *sipgo.DialogServerSession, req *sip.Request, tx sip.ServerTransaction)
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() && os.Getenv("SIP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// listen opens UDP and TCP sockets on 127.0.0.1:0; serve starts sipgo on
// them. Handlers must be registered in between (before serving) so the
// race detector sees them written before any request goroutine exists.
func listen(t testing.TB) (net.PacketConn, net.Listener) {
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

func serve(t testing.TB, srv *sipgo.Server, ua *sipgo.UserAgent, uc net.PacketConn, tl net.Listener) {
	t.Helper()
	go srv.ServeUDP(uc)
	go srv.ServeTCP(tl)
	waitUDP(t, ua.TransportLayer(), uc.LocalAddr().String())
}

// waitUDP waits until sipgo has registered the UDP listener in its pool.
func waitUDP(t testing.TB, tp *sip.TransportLayer, addr string) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if c, err := tp.GetConnection("udp", addr); err == nil && c != nil {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("udp listener %s not serving", addr)
}

func newPeer(t testing.TB, name string, tcpMode bool) *peer {
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
		invites: make(chan *sip.Request, 1024), strays: make(chan *sip.Request, 16), requests: make(chan *sip.Request, 16),
		acks:     make(chan *sip.Request, 64),
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
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		select {
		case p.acks <- req:
		default:
		}
		_ = p.dsc.ReadAck(req, tx)
	})
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		p.strays <- req
		tx.Respond(sip.NewResponseFromRequest(req, 481, "No Transaction", nil))
	})
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
