package sip

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	"cidproxy/config"
)

// localAddrs is what the proxy knows about itself once listening.
type localAddrs struct {
	addrs []config.Listener
	// me holds every "host:port" (lower case) that reaches this proxy.
	me map[string]struct{}
	// out holds, per transport (UDP, TCP, TLS), the address written into
	// Via and Record-Route and the socket outgoing requests use: the first
	// listener of that transport.
	out map[string]advert
	// all holds every listener per transport, in configuration order, so
	// an IPv6 peer gets an IPv6 listener (advertFor).
	all map[string][]advert
}

// advert is the proxy's own address for one transport.
type advert struct {
	host  string
	port  int
	laddr sip.Addr // UDP only: the listener, so requests leave from it
	rr    *sip.RecordRouteHeader
	v6    bool // an IPv6 listener
}

// listener is one open socket and the sipgo loop serving it.
type listener struct {
	serve func() error
	close func()
}

// openListeners opens every configured socket and records the actual addresses.
func (p *Proxy) openListeners() ([]listener, error) {
	p.local = localAddrs{me: map[string]struct{}{}, out: map[string]advert{}, all: map[string][]advert{}}
	var ls []listener
	fail := func(err error) ([]listener, error) {
		for _, l := range ls {
			l.close()
		}
		return nil, err
	}
	for _, cl := range p.cfg.Listeners() {
		l, addr, err := p.open(cl)
		if err != nil {
			return fail(fmt.Errorf("sip: listen %s://%s: %w", cl.Transport, cl.Addr, err))
		}
		ls = append(ls, l)
		p.remember(cl.Transport, addr)
	}
	if len(ls) == 0 {
		return nil, errors.New("sip: no valid listen address")
	}
	return ls, nil
}

func (p *Proxy) open(cl config.Listener) (listener, net.Addr, error) {
	switch cl.Transport {
	case "udp":
		c, err := net.ListenPacket("udp", cl.Addr)
		if err != nil {
			return listener{}, nil, err
		}
		p.tuneUDP(c)
		return listener{serve: func() error { return p.serveUDP(c) }, close: func() { c.Close() }}, c.LocalAddr(), nil
	case "tcp":
		l, err := net.Listen("tcp", cl.Addr)
		if err != nil {
			return listener{}, nil, err
		}
		l = newLimitListener(l, p.tcpLimits())
		return listener{serve: func() error { return p.srv.ServeTCP(l) }, close: func() { l.Close() }}, l.Addr(), nil
	case "tls":
		if p.tlsConf == nil {
			return listener{}, nil, errors.New("tls listener needs tls_cert and tls_key")
		}
		l, err := tls.Listen("tcp", cl.Addr, p.tlsConf)
		if err != nil {
			return listener{}, nil, err
		}
		l = newLimitListener(l, p.tcpLimits())
		return listener{serve: func() error { return p.srv.ServeTLS(l) }, close: func() { l.Close() }}, l.Addr(), nil
	}
	return listener{}, nil, fmt.Errorf("unknown transport %q", cl.Transport)
}

// remember records an open listener: its address, the names that reach it
// and, for the first listener of a transport, what goes into Via and Record-Route.
func (p *Proxy) remember(transport string, a net.Addr) {
	host, portStr, _ := net.SplitHostPort(a.String())
	port, _ := strconv.Atoi(portStr)
	p.local.addrs = append(p.local.addrs, config.Listener{Transport: transport, Addr: a.String()})
	hosts := []string{host}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		hosts = append(hosts, "127.0.0.1", "::1", "localhost")
		if ifs, err := net.InterfaceAddrs(); err == nil {
			for _, ia := range ifs {
				if n, ok := ia.(*net.IPNet); ok {
					hosts = append(hosts, n.IP.String())
				}
			}
		}
	}
	if p.cfg.Hostname != "" {
		hosts = append(hosts, p.cfg.Hostname)
	}
	for _, h := range hosts {
		p.local.me[strings.ToLower(net.JoinHostPort(h, portStr))] = struct{}{}
	}
	tr := strings.ToUpper(transport)
	adv := advert{host: host, port: port, v6: isIPv6(host)}
	if p.cfg.Hostname != "" {
		adv.host = p.cfg.Hostname
	} else if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		adv.host = p.outboundIP()
		p.log.Warn("sip listener on a wildcard address without sip.hostname", "transport", transport, "advertised", adv.host)
	}
	if tr == "UDP" {
		adv.laddr = sip.Addr{IP: net.ParseIP(host), Port: port, Hostname: host}
	}
	rrHost := adv.host
	if isIPv6(rrHost) {
		rrHost = "[" + strings.Trim(rrHost, "[]") + "]" // a URI host (RFC 3261 25.1)
	}
	adv.rr = &sip.RecordRouteHeader{Address: sip.Uri{
		Scheme: "sip", Host: rrHost, Port: port,
		UriParams: sip.HeaderParams{{K: "transport", V: strings.ToLower(transport)}, {K: "lr", V: ""}},
	}}
	p.local.all[tr] = append(p.local.all[tr], adv)
	if _, ok := p.local.out[tr]; !ok {
		p.local.out[tr] = adv
	}
}

// isIPv6 reports whether host (brackets allowed) is an IPv6 literal.
func isIPv6(host string) bool {
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.Is6() && !a.Is4In6()
}

// advertFor picks our address for transport toward (or from) peer, a
// "host:port": the first listener of the peer's IP family, else the first
// listener of the transport. Via and Record-Route then name an address the
// peer can reach, the one a request arrived on (issue 12 defect 3).
func (p *Proxy) advertFor(transport, peer string) (advert, bool) {
	all := p.local.all[transport]
	if len(all) > 1 {
		host, _, err := net.SplitHostPort(peer)
		if err != nil {
			host = peer
		}
		v6 := isIPv6(host)
		for _, a := range all {
			if a.v6 == v6 {
				return a, true
			}
		}
	}
	adv, ok := p.local.out[transport]
	return adv, ok
}

// outboundIP guesses the address peers can reach us on when listening on a
// wildcard address: the local IP routed toward the upstream, else the first
// non-loopback interface address, else 127.0.0.1. sip.hostname avoids the guess.
func (p *Proxy) outboundIP() string {
	if p.upstream != nil {
		if c, err := net.Dial("udp", p.upstream.dest); err == nil { // sends nothing
			defer c.Close()
			if a, ok := c.LocalAddr().(*net.UDPAddr); ok && !a.IP.IsUnspecified() {
				return a.IP.String()
			}
		}
	}
	if ifs, err := net.InterfaceAddrs(); err == nil {
		for _, ia := range ifs {
			if n, ok := ia.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
				return n.IP.String()
			}
		}
	}
	return "127.0.0.1"
}

// isMe reports whether host:port addresses this proxy.
func (p *Proxy) isMe(hostport string) bool {
	if _, ok := p.local.me[hostport]; ok {
		return true
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	_, ok := p.local.me[strings.ToLower(net.JoinHostPort(strings.Trim(host, "[]"), port))]
	return ok
}

// isMeURI reports whether a SIP URI addresses this proxy (port defaulted by transport).
func (p *Proxy) isMeURI(u *sip.Uri) bool {
	port := u.Port
	if port == 0 {
		port = defaultPort(uriTransport(u))
	}
	return p.isMe(net.JoinHostPort(strings.Trim(u.Host, "[]"), strconv.Itoa(port)))
}

// uriTransport returns the transport a URI asks for (UDP, TCP, TLS) or "".
func uriTransport(u *sip.Uri) string {
	if t, ok := u.UriParams.Get("transport"); ok && t != "" {
		t = strings.ToUpper(t)
		if u.Scheme == "sips" && t == "TCP" {
			return "TLS"
		}
		return t
	}
	if u.Scheme == "sips" {
		return "TLS"
	}
	return ""
}

func defaultPort(transport string) int {
	if transport == "TLS" {
		return 5061
	}
	return 5060
}

// hostPort formats the destination of a URI.
func hostPort(u *sip.Uri, transport string) string {
	port := u.Port
	if port == 0 {
		port = defaultPort(transport)
	}
	return net.JoinHostPort(strings.Trim(u.Host, "[]"), strconv.Itoa(port))
}

// parseHop parses the configured upstream ("" = route by Request-URI).
func parseHop(s string) (*hop, error) {
	if s == "" {
		return nil, nil
	}
	var u sip.Uri
	if err := sip.ParseUri(s, &u); err != nil || u.Host == "" {
		return nil, fmt.Errorf("sip: upstream %q is not a SIP URI such as sip:10.0.0.5:5060", s)
	}
	t := uriTransport(&u)
	return &hop{dest: hostPort(&u, t), transport: t}, nil
}

// tcpLimits are the connection caps of the TCP and TLS listeners.
func (p *Proxy) tcpLimits() tcpLimits {
	return tcpLimits{perIP: p.cfg.TCPMaxConnsPerIP, total: p.cfg.TCPMaxConns, rejected: p.m.tcpRejected}
}
