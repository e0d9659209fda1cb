package sip

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"cidproxy/config"
)

func needIPv6(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatalf("IPv6 loopback unavailable: %v", err)
	}
	l.Close()
}

// Issue 12 defect 3: with IPv6 listeners no response was relayed
// ("address ::1:PORT: too many colons": received=::1 joined to the port
// without brackets), and on TCP the Record-Route named the first (IPv4)
// listener instead of the address the request arrived on.
func TestIPv6Calls(t *testing.T) {
	t.Parallel()
	needIPv6(t)
	for _, tr := range []string{"udp", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			uas := newRecUAS(t, "::1")
			e := newEnv(t, false, func(c *config.SIP) {
				// an IPv4 listener of each transport first: Via and
				// Record-Route must still name the IPv6 ones
				c.Listen = []string{"udp://127.0.0.1:0", "tcp://127.0.0.1:0", "udp://[::1]:0", "tcp://[::1]:0"}
				c.Upstream = "sip:" + uas.udp
				if tr == "tcp" {
					c.Upstream = "sip:" + uas.tcp + ";transport=tcp"
				}
			})
			var proxy string
			for _, l := range e.p.Addrs() {
				if l.Transport == tr && strings.HasPrefix(l.Addr, "[") {
					proxy = l.Addr
				}
			}
			w := dialWire(t, tr, proxy)
			for i := range 3 {
				id := fmt.Sprintf("v6-%s-%d", tr, i)
				w.send(inviteFrom(w, tr, proxy, id))
				got := codes(w.responses(time.Second))
				if !slices.Equal(got, []int{180, 183, 200}) {
					t.Fatalf("call %d over IPv6 %s: caller got %v, want [180 183 200]", i, tr, got)
				}
				m, ok := uas.nextRequest(time.Second)
				if !ok {
					t.Fatal("callee got no INVITE")
				}
				inv := m.req()
				if v := inv.Via(); v == nil || strings.Trim(v.Host, "[]") != "::1" {
					t.Errorf("our Via %v, want host [::1]", v)
				}
				rr := inv.GetHeaders("Record-Route")
				if len(rr) != 1 || !strings.Contains(rr[0].Value(), "[::1]:"+itoa(port(proxy))) {
					t.Errorf("Record-Route %v, want one naming [::1]:%d", rr, port(proxy))
				}
			}
		})
	}
}
