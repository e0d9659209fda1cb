package e2e

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// malformed holds datagrams a broken or hostile peer might send.
var malformed = []struct {
	name string
	data string
}{
	{"empty_crlf", "\r\n\r\n"},
	{"binary", "\x00\x01\x02\xff\xfe\x80SIP\x00"},
	{"request_line_only", "INVITE sip:100@127.0.0.1 SIP/2.0\r\n\r\n"},
	{"bad_version", "INVITE sip:100@127.0.0.1 SIP/9.9\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKa\r\n\r\n"},
	{"no_via", "INVITE sip:100@127.0.0.1 SIP/2.0\r\nFrom: <sip:1@x>;tag=1\r\nTo: <sip:100@x>\r\nCall-ID: m1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"},
	{"bad_cseq", invite("m2", "CSeq: banana INVITE\r\n", "")},
	{"cseq_method_mismatch", invite("m3", "CSeq: 1 BYE\r\n", "")},
	{"content_length_too_big", invite("m4", "CSeq: 1 INVITE\r\n", "Content-Length: 99999\r\n")},
	{"content_length_negative", invite("m5", "CSeq: 1 INVITE\r\n", "Content-Length: -5\r\n")},
	{"from_unparsable", strings.Replace(invite("m6", "CSeq: 1 INVITE\r\n", ""), "From: <sip:0301234567@127.0.0.1>;tag=a", "From: \"unterminated <sip:0301234567@", 1)},
	{"from_missing", strings.Replace(invite("m7", "CSeq: 1 INVITE\r\n", ""), "From: <sip:0301234567@127.0.0.1>;tag=a\r\n", "", 1)},
	{"max_forwards_zero", invite("m8", "CSeq: 1 INVITE\r\n", "Max-Forwards: 0\r\n")},
	{"header_no_colon", invite("m9", "CSeq: 1 INVITE\r\n", "ThisIsNotAHeader\r\n")},
	{"huge_header", invite("m10", "CSeq: 1 INVITE\r\n", "X-Big: "+strings.Repeat("A", 60000)+"\r\n")},
	{"many_vias", invite("m11", "CSeq: 1 INVITE\r\n", strings.Repeat("Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx\r\n", 500))},
	{"response_unknown_tx", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKnope\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: m12\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"},
	{"status_garbage", "SIP/2.0 99999999999999999999 What\r\n\r\n"},
	{"uri_garbage", "INVITE ::::@@@;;; SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKb\r\nCall-ID: m13\r\nCSeq: 1 INVITE\r\n\r\n"},
	{"ack_no_tx", "ACK sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKc\r\nFrom: <sip:1@x>;tag=1\r\nTo: <sip:100@x>;tag=2\r\nCall-ID: m14\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"},
	{"cancel_no_tx", "CANCEL sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKd\r\nFrom: <sip:1@x>;tag=1\r\nTo: <sip:100@x>\r\nCall-ID: m15\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n"},
	{"pai_garbage", invite("m16", "CSeq: 1 INVITE\r\n", "P-Asserted-Identity: \"\\\r\nRemote-Party-ID: <<<>>>;party\r\n")},
	{"utf8_invalid_from", strings.Replace(invite("m17", "CSeq: 1 INVITE\r\n", ""), "From: <sip:", "From: \"\xff\xfe\xc3\" <sip:", 1)},
}

// invite builds a mostly valid INVITE with the given CSeq line and extra
// header lines; the Via points at a port nobody listens on.
func invite(callID, cseq, extra string) string {
	return "INVITE sip:100@127.0.0.1 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-" + callID + "\r\n" +
		"From: <sip:0301234567@127.0.0.1>;tag=a\r\n" +
		"To: <sip:100@127.0.0.1>\r\n" +
		"Call-ID: " + callID + "\r\n" + cseq + extra +
		"Contact: <sip:1@127.0.0.1:9>\r\n"
}

// TestMalformedSIPDoesNotKillProxy sends broken SIP over raw UDP and TCP
// sockets to the running daemon while a raw UDP peer on the upstream port
// answers whatever the proxy forwards with 486 (so no client transaction
// keeps retransmitting into the next call). It requires that an INVITE
// with Max-Forwards: 0 is answered 483 and not forwarded, then proves that
// the daemon still serves a normal call (caller named) and /metrics.
func TestMalformedSIPDoesNotKillProxy(t *testing.T) {
	needBinary(t)
	contacts, _ := filepath.Abs("testdata/contacts.csv")
	tr := transports[0]
	uasPort := freePort(t)
	d := startDaemon(t, daemonOpts{tr: tr, upstream: uasPort, contacts: contacts})
	d.errorsOK = true // e.g. "Failed to send stateless 400" to a closed TCP peer
	sk := startSink(t, uasPort)

	u, err := net.Dial("udp", d.target())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	local := u.LocalAddr().String()
	for round := range 3 {
		for _, m := range malformed {
			data := strings.ReplaceAll(m.data, "127.0.0.1:9", local)
			if !strings.HasSuffix(data, "\r\n\r\n") && strings.Contains(data, "Call-ID") {
				data += "\r\n"
			}
			if _, err := u.Write([]byte(data)); err != nil && round == 0 {
				t.Logf("%s: write: %v", m.name, err)
			}
		}
	}
	for _, m := range malformed {
		c, err := net.DialTimeout("tcp", d.target(), 2*time.Second)
		if err != nil {
			t.Fatalf("tcp dial after %s: %v", m.name, err)
		}
		c.SetDeadline(time.Now().Add(time.Second))
		c.Write([]byte(m.data + "\r\n"))
		c.Close()
	}
	answers := readAnswers(u, 1500*time.Millisecond)
	forwarded := sk.stop(t)
	d.alive(t)

	for _, m := range malformed {
		id := callIDOf(m.data)
		if id == "" {
			continue
		}
		t.Logf("%-26s answered %-16s forwarded upstream %v", m.name, fmt.Sprint(answers[id]), forwarded[id])
	}
	if got := answers["m8"]; !slices.Contains(got, 483) {
		t.Errorf("INVITE with Max-Forwards: 0 answered %v, want 483", got)
	}
	if forwarded["m8"] {
		t.Errorf("INVITE with Max-Forwards: 0 was forwarded upstream")
	}

	uas := startUAS(t, renderUAS(t, "answer", named(alice)), tr, uasPort, 1)
	uac := runUAC(t, "answer", tr, d.target(), "100", caller{User: "0301234567", Display: `"0301234567"`, PAI: "0301234567"})
	if code := uas.wait(t); code != 0 || uac.code != 0 {
		t.Fatalf("call after malformed input: uac exit %d, uas exit %d\n%s\n%s\n--- daemon log:\n%s",
			uac.code, code, uac.report(), uas.report(), d.logTail(40))
	}
	d.alive(t)
	if m := d.metrics(t); len(m) == 0 {
		t.Fatal("no metrics after malformed input")
	}
}

// callIDOf returns the Call-ID of a raw message, "" when it has none.
func callIDOf(msg string) string {
	for _, l := range strings.Split(msg, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "Call-ID") {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// readAnswers collects the status codes the proxy sent to c, per Call-ID,
// until nothing arrives for the given quiet time.
func readAnswers(c net.Conn, quiet time.Duration) map[string][]int {
	out := map[string][]int{}
	buf := make([]byte, 65535)
	for {
		c.SetReadDeadline(time.Now().Add(quiet))
		n, err := c.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return out
			}
			continue // ICMP errors and the like
		}
		msg := string(buf[:n])
		f := strings.Fields(msg)
		if len(f) < 2 || f[0] != "SIP/2.0" {
			continue
		}
		code, _ := strconv.Atoi(f[1])
		id := callIDOf(msg)
		out[id] = append(out[id], code)
	}
}

// sink is a raw UDP peer on the upstream port: it records the Call-IDs of
// the requests the proxy forwards and answers each non-ACK request 486.
type sink struct {
	conn *net.UDPConn
	done chan struct{}
	mu   sync.Mutex
	got  map[string]bool
}

func startSink(t *testing.T, port int) *sink {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{conn: c, done: make(chan struct{}), got: map[string]bool{}}
	go s.serve()
	t.Cleanup(func() { c.Close() })
	return s
}

func (s *sink) serve() {
	defer close(s.done)
	buf := make([]byte, 65535)
	for {
		n, addr, err := s.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		msg := string(buf[:n])
		if strings.HasPrefix(msg, "SIP/2.0") {
			continue
		}
		head, _, _ := strings.Cut(msg, "\r\n\r\n")
		lines := strings.Split(head, "\r\n")
		s.mu.Lock()
		s.got[callIDOf(head)] = true
		s.mu.Unlock()
		if strings.HasPrefix(lines[0], "ACK ") {
			continue
		}
		var b strings.Builder
		b.WriteString("SIP/2.0 486 Busy Here\r\n")
		for _, l := range lines[1:] {
			k, _, _ := strings.Cut(l, ":")
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "via", "from", "call-id", "cseq":
				b.WriteString(l + "\r\n")
			case "to":
				b.WriteString(l + ";tag=sink\r\n")
			}
		}
		b.WriteString("Content-Length: 0\r\n\r\n")
		s.conn.WriteToUDP([]byte(b.String()), addr)
	}
}

// stop lets in-flight messages settle, closes the socket (freeing the port
// for the callee) and returns the Call-IDs it saw.
func (s *sink) stop(t *testing.T) map[string]bool {
	t.Helper()
	time.Sleep(300 * time.Millisecond)
	s.conn.Close()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got
}
