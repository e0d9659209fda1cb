package sip

import (
	"net"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// tcpLimits caps accepted TCP/TLS connections per source IP and in total
// (issue 15 item 9): over a cap a new connection is closed at once and
// counted. Zero disables a cap. The idle and partial-message timeouts are
// sipgo's (sip.TCPIdleTimeout, sip.TCPMessageTimeout, set in setupSipgo).
type tcpLimits struct {
	perIP, total int
	rejected     prometheus.Counter
}

// limitListener applies tcpLimits to an accepting listener.
type limitListener struct {
	net.Listener
	lim  tcpLimits
	mu   sync.Mutex
	n    int
	byIP map[string]int
}

func newLimitListener(l net.Listener, lim tcpLimits) net.Listener {
	return &limitListener{Listener: l, lim: lim, byIP: map[string]int{}}
}

// Accept returns the next connection within the caps.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		l.mu.Lock()
		if (l.lim.total > 0 && l.n >= l.lim.total) || (l.lim.perIP > 0 && l.byIP[ip] >= l.lim.perIP) {
			l.mu.Unlock()
			c.Close()
			if l.lim.rejected != nil {
				l.lim.rejected.Inc()
			}
			continue
		}
		l.n++
		l.byIP[ip]++
		l.mu.Unlock()
		return &limitConn{Conn: c, l: l, ip: ip}, nil
	}
}

func (l *limitListener) release(ip string) {
	l.mu.Lock()
	l.n--
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip)
	}
	l.mu.Unlock()
}

// limitConn is an accepted connection counted against the caps.
type limitConn struct {
	net.Conn
	l    *limitListener
	ip   string
	once sync.Once
}

// Close implements net.Conn; the connection leaves the caps once.
func (c *limitConn) Close() error {
	c.once.Do(func() { c.l.release(c.ip) })
	return c.Conn.Close()
}
