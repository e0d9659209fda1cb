package sip

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"cidproxy/config"
)

// tortureOutcome is what RFC 3261 and RFC 4475 expect from a proxy for one
// message: forwarded (fwd, the callee answers), answered by the proxy
// with code, or dropped (neither).
type tortureOutcome struct {
	fwd  bool
	code int
}

var (
	fwd     = tortureOutcome{fwd: true}
	dropped = tortureOutcome{}
)

func answered(code int) tortureOutcome { return tortureOutcome{code: code} }

// tortureExpect lists every message in testdata/torture (RFC 4475 section
// 3 plus our variants). Responses (noreason, unreason, bigcode) and
// messages whose top Via cannot be read are dropped.
var tortureExpect = map[string]tortureOutcome{
	// valid: forwarded
	"valid/dblreq":     fwd, // bytes after Content-Length are ignored (RFC 3261 18.3)
	"valid/esc01":      fwd,
	"valid/esc02":      fwd,
	"valid/escnull":    fwd,
	"valid/intmeth":    fwd,
	"valid/longreq":    fwd,
	"valid/lwsdisp":    fwd,
	"valid/mpart01":    answered(403), // its Route names 127.0.0.1:5080: not a next hop we may relay to
	"valid/noreason":   dropped,       // a response matching nothing
	"valid/semiuri":    fwd,
	"valid/transports": fwd,
	"valid/unreason":   dropped,
	"valid/wsinv":      answered(403), // its Route names services.example.com: not allowed
	// invalid
	"invalid/badaspec":   answered(400),
	"invalid/badbranch":  fwd, // a branch without the cookie is RFC 2543 style, legal
	"invalid/baddate":    fwd, // Date is not ours to check
	"invalid/baddn":      answered(400),
	"invalid/badinv01":   answered(400),
	"invalid/badvers":    answered(505),
	"invalid/bcast":      dropped, // a response
	"invalid/bext01":     answered(420),
	"invalid/bigcode":    dropped, // a response
	"invalid/clerr":      answered(400),
	"invalid/cparam01":   fwd,
	"invalid/cparam02":   fwd,
	"invalid/escruri":    fwd,
	"invalid/insuf":      answered(400),
	"invalid/inv2543":    fwd,
	"invalid/invut":      fwd,
	"invalid/ltgtruri":   answered(400),
	"invalid/lwsruri":    answered(400),
	"invalid/lwsstart":   answered(400),
	"invalid/mcl01":      answered(400),
	"invalid/mismatch01": answered(400),
	"invalid/mismatch02": answered(400),
	"invalid/multi01":    answered(400),
	"invalid/ncl":        answered(400),
	"invalid/novelsc":    answered(416),
	"invalid/quotbal":    answered(400),
	"invalid/regaut01":   fwd,
	"invalid/regbadct":   answered(400),
	"invalid/regescrt":   fwd,
	"invalid/scalar02":   answered(400),
	"invalid/scalarlg":   dropped, // a response
	"invalid/sdp01":      fwd,
	"invalid/test":       dropped,
	"invalid/trws":       answered(400),
	"invalid/unkscm":     answered(416),
	"invalid/unksm2":     fwd, // unknown schemes outside the Request-URI are the registrar's business
	"invalid/zeromf":     answered(483),
	// our variants: white space, case, compact forms, limits
	"variants/wsparams":   fwd,
	"variants/lcmethod":   fwd, // an extension method, relayed as written
	"variants/csmismatch": answered(400),
	"variants/compact":    fwd,
	"variants/manyvias":   answered(483),
	"variants/proxyreq":   answered(420),
	"variants/vers3":      answered(505),
	"variants/unkscm2":    answered(416),
	"variants/dupto":      answered(400),
}

// tortureTCP overrides tortureExpect on a stream, where framing by
// Content-Length decides (RFC 3261 18.3) and no Via of ours is added.
var tortureTCP = map[string]tortureOutcome{
	"invalid/baddn":    dropped,       // no empty line after the headers: incomplete
	"invalid/clerr":    dropped,       // Content-Length 9999: waits for the rest of the body
	"invalid/badinv01": dropped,       // the top Via cannot be read: nowhere to answer
	"invalid/inv2543":  answered(400), // no Content-Length on a stream
}

// tortureCorpus reads every message in testdata/torture.
func tortureCorpus(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/torture/*/*.dat")
	mustf(t, err, "glob")
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		mustf(t, err, "read")
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(f), "testdata/torture/"), ".dat")
		out[name] = b
	}
	return out
}

var topViaRe = regexp.MustCompile(`(?m)^(Via|v)[ \t]*:`)

// tortureRun sends one corpus message over w (UDP: under a Via of ours,
// so the answer comes back; TCP: as it is) and reports what happened.
func tortureRun(t *testing.T, w *wire, uas *recUAS, transport string, data []byte) (got tortureOutcome, finals []int) {
	msg := data
	if transport == "udp" {
		if loc := topViaRe.FindIndex(data); loc != nil {
			via := fmt.Sprintf("Via: SIP/2.0/UDP %s;branch=z9hG4bK-t%d;rport\r\n", w.addr(), time.Now().UnixNano())
			msg = slices.Concat(data[:loc[0]], []byte(via), data[loc[0]:])
		}
	}
	if _, err := w.conn.Write(msg); err != nil {
		t.Fatal(err)
	}
	// Wait 700 ms, or 200 ms past the first final response: long enough
	// to see a second response, short enough for a hundred messages.
	deadline := time.Now().Add(700 * time.Millisecond)
	for time.Now().Before(deadline) {
		select {
		case m := <-w.msgs:
			w.lastRaw = m.raw
			if r := m.res(); r != nil && r.StatusCode >= 200 {
				finals = append(finals, r.StatusCode)
				if len(finals) == 1 {
					if soon := time.Now().Add(200 * time.Millisecond); soon.Before(deadline) {
						deadline = soon
					}
				}
				if r.CSeq() != nil && r.CSeq().MethodName == sip.INVITE {
					w.send(tortureAck(data, r))
				}
			}
		case m := <-uas.got:
			if r := m.req(); r != nil && !r.IsAck() {
				got.fwd = true
			}
		case <-time.After(time.Until(deadline)):
		}
	}
	if len(finals) > 0 && !got.fwd {
		got.code = finals[0]
	}
	return got, finals
}

// tortureAck builds the ACK for a final response to the INVITE in data.
func tortureAck(data []byte, r *sip.Response) string {
	line, _, _ := bytes.Cut(data, []byte("\r\n"))
	f := strings.Fields(string(line))
	ruri := "sip:x@example.com"
	if len(f) > 1 {
		ruri = f[1]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ACK %s SIP/2.0\r\n", ruri)
	if v := r.Via(); v != nil {
		b.WriteString(v.String() + "\r\n")
	}
	if h := r.From(); h != nil {
		b.WriteString(h.String() + "\r\n")
	}
	if h := r.To(); h != nil {
		b.WriteString(h.String() + "\r\n")
	}
	if h := r.CallID(); h != nil {
		b.WriteString(h.String() + "\r\n")
	}
	fmt.Fprintf(&b, "CSeq: %d ACK\r\nContent-Length: 0\r\n\r\n", r.CSeq().SeqNo)
	return b.String()
}

// TestTortureCorpus sends every RFC 4475 message (and our variants)
// through the proxy over UDP and TCP to a recording callee and checks the
// outcome RFC 3261/4475 expect: forwarded, answered with the right code
// or dropped; never more than one final response, never a crash.
func TestTortureCorpus(t *testing.T) {
	t.Parallel()
	corpus := tortureCorpus(t)
	for _, tr := range []string{"udp", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			uas := newRecUAS(t, "127.0.0.1")
			uas.setReply(func(req *sip.Request) []string {
				if req.IsAck() {
					return nil
				}
				return []string{response(req, 486, "Busy Here", "")}
			})
			e := newEnv(t, false, func(c *config.SIP) { c.Upstream = "sip:" + uas.udp })
			names := make([]string, 0, len(corpus))
			for n := range corpus {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, name := range names {
				want, ok := tortureExpect[name]
				if o, over := tortureTCP[name]; over && tr == "tcp" {
					want = o
				}
				if !ok {
					t.Errorf("%s: no expectation", name)
					continue
				}
				w := dialWire(t, tr, proxyListen(t, e.p, tr))
				got, finals := tortureRun(t, w, uas, tr, corpus[name])
				if got != want {
					t.Errorf("%s over %s: got %+v (finals %v), want %+v", name, tr, got, finals, want)
				}
				if got.code == 505 && !bytes.Contains(w.lastRaw, []byte("SIP/2.0 505")) {
					t.Errorf("%s: the 505 must be a SIP/2.0 response", name)
				}
				if distinct(finals) > 1 {
					t.Errorf("%s over %s: more than one final response %v", name, tr, finals)
				}
			}
		})
	}
}

func distinct(xs []int) int {
	s := slices.Clone(xs)
	slices.Sort(s)
	return len(slices.Compact(s))
}
