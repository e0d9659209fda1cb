package sip

import (
	"net"
	"net/netip"
	"runtime"
	"sync"
)

// tuneUDP sizes the kernel buffers of a UDP listener (sip.udp_buffer). The
// default receive buffer (about 200 KiB on Linux) holds some 100 datagrams,
// a few milliseconds of traffic at 2,000 calls/s: any pause of the readers
// (a garbage collection assist, a busy CPU) drops packets, and every drop
// costs a retransmission 500 ms later. The kernel may grant less than asked
// (net.core.rmem_max); that is logged, with the sysctl that raises it.
func (p *Proxy) tuneUDP(c net.PacketConn) {
	want := int(p.cfg.UDPBuffer)
	uc, ok := c.(*net.UDPConn)
	if want <= 0 || !ok {
		return
	}
	if err := uc.SetReadBuffer(want); err != nil {
		p.log.Warn("sip udp receive buffer not set", "addr", c.LocalAddr().String(), "error", err)
	}
	if err := uc.SetWriteBuffer(want); err != nil {
		p.log.Warn("sip udp send buffer not set", "addr", c.LocalAddr().String(), "error", err)
	}
	got, err := socketBuffer(uc)
	switch {
	case err != nil:
		p.log.Debug("sip udp buffer size unknown", "error", err)
	case got < want:
		p.log.Warn("sip udp receive buffer smaller than configured: raise net.core.rmem_max",
			"addr", c.LocalAddr().String(), "want_bytes", want, "got_bytes", got)
	default:
		p.log.Debug("sip udp receive buffer", "addr", c.LocalAddr().String(), "bytes", got)
	}
}

// serveUDP runs sip.udp_readers read loops on one UDP socket and returns
// when all have stopped (the socket was closed). Each loop reads a datagram
// and parses it before reading the next, so with one loop the parser's
// speed and any pause of its goroutine bound the whole listener. Several
// loops read the same socket (the kernel hands each datagram to one
// reader); message order was never guaranteed past the reader anyway, as
// sipgo handles every message on its own goroutine.
func (p *Proxy) serveUDP(c net.PacketConn) error {
	n := p.cfg.UDPReaders
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.srv.ServeUDP(newReaderConn(c, p.takeAck))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// readerConn is the net.PacketConn one sipgo read loop reads from. It
// answers ReadFrom without allocating for known peers: net.UDPConn.ReadFrom
// allocates a *net.UDPAddr per datagram and sipgo then formats it with
// String, two allocations and a formatting per message on the hottest path.
// Peers are kept in a small per-loop table (one loop = one goroutine, no
// lock), cleared when it reaches maxPeerAddrs. A datagram that take
// consumes (Proxy.takeAck) is not returned: the loop reads the next one.
// Writes go straight to the socket.
type readerConn struct {
	*net.UDPConn
	peers    map[netip.AddrPort]*peerAddr
	maxPeers int
	take     func(data []byte, from net.Addr) bool
}

// maxPeerAddrs bounds a read loop's table of peer addresses.
const maxPeerAddrs = 4096

// newReaderConn wraps c for one read loop; anything but a *net.UDPConn is
// returned as it is. take may be nil.
func newReaderConn(c net.PacketConn, take func([]byte, net.Addr) bool) net.PacketConn {
	uc, ok := c.(*net.UDPConn)
	if !ok {
		return c
	}
	return &readerConn{UDPConn: uc, peers: make(map[netip.AddrPort]*peerAddr), maxPeers: maxPeerAddrs, take: take}
}

// ReadFrom implements net.PacketConn.
func (c *readerConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, ap, err := c.UDPConn.ReadFromUDPAddrPort(b)
		if err != nil {
			return n, nil, err
		}
		a := c.peer(ap)
		if c.take != nil && c.take(b[:n], a) {
			continue
		}
		return n, a, nil
	}
}

// peer returns the address of ap from the table, adding it when new.
func (c *readerConn) peer(ap netip.AddrPort) *peerAddr {
	a, ok := c.peers[ap]
	if !ok {
		if len(c.peers) >= c.maxPeers {
			clear(c.peers)
		}
		ua := net.UDPAddrFromAddrPort(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
		a = &peerAddr{UDPAddr: *ua, s: ua.String()}
		c.peers[ap] = a
	}
	return a
}

// peerAddr is a peer's *net.UDPAddr with its string form computed once.
type peerAddr struct {
	net.UDPAddr
	s string
}

// String implements net.Addr.
func (a *peerAddr) String() string { return a.s }
