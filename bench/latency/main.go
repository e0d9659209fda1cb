// Command latency measures INVITE-to-180 (and INVITE-to-200) latency with
// microsecond resolution, which SIPp (1 ms resolution) cannot. It is a
// minimal SIP caller over one UDP socket: at a fixed rate it sends INVITEs
// to a target (a proxy or a SIPp callee directly), timestamps the first 180
// and the 200, then ACKs and BYEs along the Record-Route route set.
// It is a benchmark helper for bench/sipp-load.sh, not part of cidproxy, and
// deliberately uses plain text SIP (only package sip may import sipgo).
//
//	latency -target 127.0.0.1:5060 -rate 200 -duration 10s -callers callers.csv
//
// It prints one line: calls, ok, missing 180/200 and the percentiles in µs.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	target := flag.String("target", "127.0.0.1:5060", "proxy or callee host:port (UDP)")
	rate := flag.Int("rate", 200, "calls per second")
	dur := flag.Duration("duration", 10*time.Second, "how long to place calls")
	callersFile := flag.String("callers", "", "SIPp -inf file (first line SEQUENTIAL, then NUMBER;) for the From user")
	service := flag.String("service", "100", "callee user part")
	services := flag.Int("services", 1, "cycle the callee through this many numbers from -service on (-service 1001 -services 100: 1001..1100)")
	flag.Parse()
	if err := run(*target, *rate, *dur, *callersFile, *service, *services); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

// call is one call's timestamps.
type call struct {
	sent, ring, ok time.Time
	byeDone        bool
}

type client struct {
	conn     *net.UDPConn
	local    string
	service  string
	services int
	mu       sync.Mutex
	calls    map[string]*call
}

func run(target string, rate int, dur time.Duration, callersFile, service string, services int) error {
	if rate <= 0 || dur <= 0 {
		return fmt.Errorf("rate and duration must be positive")
	}
	callers, err := readCallers(callersFile)
	if err != nil {
		return err
	}
	raddr, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		return err
	}
	conn, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, raddr)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetReadBuffer(4 << 20)
	c := &client{conn: conn, local: conn.LocalAddr().String(), service: service, services: services, calls: map[string]*call{}}
	ctx, cancel := context.WithTimeout(context.Background(), dur+3*time.Second)
	defer cancel()
	go c.receive(ctx)

	total := int(dur.Seconds() * float64(rate))
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := 0; i < total; i++ {
		<-tick.C
		if err := c.invite(i, callers[i%len(callers)]); err != nil {
			return err
		}
	}
	<-ctx.Done()
	c.report(total)
	return nil
}

func readCallers(path string) ([]string, error) {
	if path == "" {
		return []string{"+49301234567"}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l == "SEQUENTIAL" || l == "RANDOM" || l == "USER" {
			continue
		}
		n, _, _ := strings.Cut(l, ";")
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no callers", path)
	}
	return out, sc.Err()
}

const sdp = "v=0\r\no=lat 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

// callee is the i-th call's callee: -service, or with -services N the
// numbers from -service on in turn.
func (c *client) callee(i int) string {
	base, err := strconv.Atoi(c.service)
	if c.services <= 1 || err != nil {
		return c.service
	}
	return strconv.Itoa(base + i%c.services)
}

func (c *client) invite(i int, user string) error {
	id := fmt.Sprintf("lat-%d-%d", os.Getpid(), i)
	msg := fmt.Sprintf("INVITE sip:%[1]s@%[2]s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %[3]s;branch=z9hG4bK-%[4]s-i\r\n"+
		"From: <sip:%[5]s@%[3]s>;tag=t%[4]s\r\n"+
		"To: <sip:%[1]s@%[2]s>\r\n"+
		"Call-ID: %[4]s\r\n"+
		"CSeq: 1 INVITE\r\n"+
		"Contact: <sip:%[5]s@%[3]s>\r\n"+
		"Max-Forwards: 70\r\n"+
		"Content-Type: application/sdp\r\n"+
		"Content-Length: %[6]d\r\n\r\n%[7]s",
		c.callee(i), c.conn.RemoteAddr().String(), c.local, id, user, len(sdp), sdp)
	c.mu.Lock()
	c.calls[id] = &call{sent: time.Now()}
	c.mu.Unlock()
	_, err := c.conn.Write([]byte(msg))
	return err
}

func (c *client) receive(ctx context.Context) {
	buf := make([]byte, 65535)
	for ctx.Err() == nil {
		c.conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := c.conn.Read(buf)
		if err != nil {
			continue
		}
		now := time.Now()
		c.handle(string(buf[:n]), now)
	}
}

// handle processes one response.
func (c *client) handle(msg string, now time.Time) {
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	f := strings.Fields(lines[0])
	if len(f) < 2 || f[0] != "SIP/2.0" {
		return
	}
	code, _ := strconv.Atoi(f[1])
	h := headers(lines[1:])
	id := first(h["call-id"])
	method := ""
	if cs := strings.Fields(first(h["cseq"])); len(cs) == 2 {
		method = cs[1]
	}
	c.mu.Lock()
	cl := c.calls[id]
	if cl == nil {
		c.mu.Unlock()
		return
	}
	switch {
	case method == "INVITE" && (code == 180 || code == 183) && cl.ring.IsZero():
		cl.ring = now
	case method == "INVITE" && code == 200:
		if cl.ok.IsZero() {
			cl.ok = now
		}
		c.mu.Unlock()
		c.ackBye(id, h) // also for a retransmitted 200
		return
	case method == "BYE" && code == 200:
		cl.byeDone = true
	}
	c.mu.Unlock()
}

// ackBye sends the ACK and the BYE for a 2xx along its route set.
func (c *client) ackBye(id string, h map[string][]string) {
	to := first(h["to"])
	ruri := uriOf(first(h["contact"]))
	var route []string
	rr := h["record-route"]
	for i := len(rr) - 1; i >= 0; i-- { // the caller reverses the route set
		route = append(route, "Route: "+rr[i]+"\r\n")
	}
	from := first(h["from"])
	common := fmt.Sprintf("%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n",
		strings.Join(route, ""), from, to, id)
	ack := fmt.Sprintf("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s-a\r\nCSeq: 1 ACK\r\n%s\r\n", ruri, c.local, id, common)
	bye := fmt.Sprintf("BYE %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s-b\r\nCSeq: 2 BYE\r\n%s\r\n", ruri, c.local, id, common)
	c.conn.Write([]byte(ack))
	c.conn.Write([]byte(bye))
}

func (c *client) report(total int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ring, ok []time.Duration
	var no180, no200, noBye int
	for _, cl := range c.calls {
		if cl.ring.IsZero() {
			no180++
		} else {
			ring = append(ring, cl.ring.Sub(cl.sent))
		}
		if cl.ok.IsZero() {
			no200++
		} else {
			ok = append(ok, cl.ok.Sub(cl.sent))
		}
		if !cl.byeDone {
			noBye++
		}
	}
	fmt.Printf("calls=%d answered=%d no180=%d no200=%d nobye=%d inv180_us=%s inv200_us=%s\n",
		total, total-no200, no180, no200, noBye, pct(ring), pct(ok))
}

// pct formats p50/p90/p99/max in µs.
func pct(d []time.Duration) string {
	if len(d) == 0 {
		return "-/-/-/-"
	}
	slices.Sort(d)
	at := func(q float64) int64 {
		i := int(float64(len(d))*q+0.5) - 1
		i = max(0, min(i, len(d)-1))
		return d[i].Microseconds()
	}
	return fmt.Sprintf("%d/%d/%d/%d", at(0.5), at(0.9), at(0.99), d[len(d)-1].Microseconds())
}

// headers maps lower-case header names (compact forms expanded) to values.
func headers(lines []string) map[string][]string {
	compact := map[string]string{"i": "call-id", "f": "from", "t": "to", "m": "contact", "v": "via"}
	h := map[string][]string{}
	for _, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if long, ok := compact[k]; ok {
			k = long
		}
		v = strings.TrimSpace(v)
		if k == "record-route" { // may be comma-joined
			for _, p := range splitComma(v) {
				h[k] = append(h[k], p)
			}
			continue
		}
		h[k] = append(h[k], v)
	}
	return h
}

// splitComma splits a header value on commas outside <...> and quotes.
func splitComma(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			quoted = !quoted
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth == 0 && !quoted {
				out = append(out, strings.TrimSpace(v[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(v[start:]))
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// uriOf returns the URI inside <...>, or the value up to the first ';'.
func uriOf(v string) string {
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return v[i+1 : i+j]
		}
	}
	u, _, _ := strings.Cut(v, ";")
	return strings.TrimSpace(u)
}
