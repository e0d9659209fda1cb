package sip

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// rawMsg is one SIP message as it came off the wire, parsed when it could be.
type rawMsg struct {
	raw  []byte
	msg  sip.Message // nil when unparseable
	from net.Addr    // UDP: the sender; stream: nil
}

func (m rawMsg) res() *sip.Response { r, _ := m.msg.(*sip.Response); return r }
func (m rawMsg) req() *sip.Request  { r, _ := m.msg.(*sip.Request); return r }

var clRe = regexp.MustCompile(`(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*\r?$`)

// readStream frames SIP messages on a stream by Content-Length (test side:
// independent of sipgo's stream parser) and sends each on out.
func readStream(r io.Reader, out chan<- rawMsg) {
	br := bufio.NewReaderSize(r, 1<<16)
	for {
		var head bytes.Buffer
		for {
			line, err := br.ReadBytes('\n')
			if err != nil {
				close(out)
				return
			}
			if head.Len() == 0 && (string(line) == "\r\n" || string(line) == "\n") {
				continue // keep-alive CRLF between messages
			}
			head.Write(line)
			if string(line) == "\r\n" {
				break
			}
		}
		n := 0
		if m := clRe.FindSubmatch(head.Bytes()); m != nil {
			n, _ = strconv.Atoi(string(m[1]))
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(br, body); err != nil {
			close(out)
			return
		}
		raw := append(head.Bytes(), body...)
		msg, _ := sip.ParseMessage(raw)
		out <- rawMsg{raw: raw, msg: msg}
	}
}

// wire is a raw client connection to the proxy over udp, tcp or tls.
type wire struct {
	t       testing.TB
	conn    net.Conn
	msgs    chan rawMsg
	lastRaw []byte // the last message taken by a test (tortureRun)
}

func dialWire(t testing.TB, transport, addr string) *wire {
	t.Helper()
	var c net.Conn
	var err error
	switch transport {
	case "udp":
		c, err = net.Dial("udp", addr)
	case "tcp":
		c, err = net.Dial("tcp", addr)
	case "tls":
		c, err = tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	}
	mustf(t, err, "dial %s %s", transport, addr)
	t.Cleanup(func() { c.Close() })
	w := &wire{t: t, conn: c, msgs: make(chan rawMsg, 1024)}
	if transport == "udp" {
		go func() {
			buf := make([]byte, 65535)
			for {
				n, err := c.Read(buf)
				if err != nil {
					close(w.msgs)
					return
				}
				raw := append([]byte(nil), buf[:n]...)
				msg, _ := sip.ParseMessage(raw)
				w.msgs <- rawMsg{raw: raw, msg: msg}
			}
		}()
	} else {
		go readStream(c, w.msgs)
	}
	return w
}

func (w *wire) addr() string { return w.conn.LocalAddr().String() }

// send writes s with every bare LF turned into CRLF.
func (w *wire) send(s string) {
	w.t.Helper()
	if _, err := w.conn.Write([]byte(crlf(s))); err != nil {
		w.t.Fatal(err)
	}
}

func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// next returns the next message, or ok false after timeout.
func (w *wire) next(timeout time.Duration) (rawMsg, bool) {
	select {
	case m, ok := <-w.msgs:
		return m, ok
	case <-time.After(timeout):
		return rawMsg{}, false
	}
}

// responses collects the responses (100 Trying skipped) that arrive within d.
func (w *wire) responses(d time.Duration) []*sip.Response {
	var out []*sip.Response
	deadline := time.Now().Add(d)
	for {
		m, ok := w.next(time.Until(deadline))
		if !ok {
			return out
		}
		if r := m.res(); r != nil && r.StatusCode != 100 {
			out = append(out, r)
		}
	}
}

// recUAS is a recording user agent server on udp and tcp: it records every
// message it receives and answers requests through reply.
type recUAS struct {
	t        testing.TB
	udp, tcp string
	got      chan rawMsg
	mu       sync.Mutex
	reply    func(req *sip.Request) []string
}

func newRecUAS(t testing.TB, host string) *recUAS {
	t.Helper()
	u := &recUAS{t: t, got: make(chan rawMsg, 4096), reply: burstReply}
	// UDP and TCP on one port when it is free on both (like a real UA).
	var pc net.PacketConn
	var ln net.Listener
	var err error
	for range 20 {
		pc, err = net.ListenPacket("udp", net.JoinHostPort(host, "0"))
		mustf(t, err, "uas udp")
		_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
		if ln, err = net.Listen("tcp", net.JoinHostPort(host, port)); err == nil {
			break
		}
		pc.Close()
	}
	mustf(t, err, "uas tcp")
	t.Cleanup(func() { pc.Close(); ln.Close() })
	u.udp, u.tcp = pc.LocalAddr().String(), ln.Addr().String()
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			raw := append([]byte(nil), buf[:n]...)
			u.handle(raw, from, func(b []byte) { pc.WriteTo(b, from) })
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			go func() {
				ch := make(chan rawMsg, 64)
				go readStream(c, ch)
				for m := range ch {
					u.handle(m.raw, nil, func(b []byte) { c.Write(b) })
				}
			}()
		}
	}()
	return u
}

func (u *recUAS) setReply(f func(req *sip.Request) []string) {
	u.mu.Lock()
	u.reply = f
	u.mu.Unlock()
}

func (u *recUAS) handle(raw []byte, from net.Addr, write func([]byte)) {
	msg, _ := sip.ParseMessage(raw)
	select {
	case u.got <- rawMsg{raw: raw, msg: msg, from: from}:
	default:
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		return
	}
	u.mu.Lock()
	f := u.reply
	u.mu.Unlock()
	var out bytes.Buffer
	for _, s := range f(req) {
		out.WriteString(s)
		if from != nil { // one datagram per response
			write(out.Bytes())
			out.Reset()
		}
	}
	if out.Len() > 0 {
		write(out.Bytes()) // a stream: all responses in one write
	}
}

// next returns the next message the UAS received, or ok false after timeout.
func (u *recUAS) next(timeout time.Duration) (rawMsg, bool) {
	select {
	case m := <-u.got:
		return m, true
	case <-time.After(timeout):
		return rawMsg{}, false
	}
}

// nextRequest skips responses and ACKs and returns the next other request.
func (u *recUAS) nextRequest(timeout time.Duration) (rawMsg, bool) {
	deadline := time.Now().Add(timeout)
	for {
		m, ok := u.next(time.Until(deadline))
		if !ok {
			return m, false
		}
		if r := m.req(); r != nil && !r.IsAck() {
			return m, true
		}
	}
}

// response builds a response to req with a fixed To tag.
func response(req *sip.Request, code int, reason, body string) string {
	res := sip.NewResponseFromRequest(req, code, reason, []byte(body))
	if to := res.To(); to != nil && code > 100 && !to.Params.Has("tag") {
		res.To().Params.Add("tag", "uas1")
	}
	if code >= 200 && code < 300 && req.IsInvite() {
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "uas", Host: "127.0.0.1", Port: 9}})
	}
	return res.String()
}

// burstReply answers an INVITE with 180, 183 and 200 back to back (one
// write on a stream), ACK with nothing and anything else with 200.
func burstReply(req *sip.Request) []string {
	switch {
	case req.IsAck():
		return nil
	case req.IsInvite():
		return []string{response(req, 180, "Ringing", ""), response(req, 183, "Session Progress", ""), response(req, 200, "OK", "")}
	}
	return []string{response(req, 200, "OK", "")}
}
