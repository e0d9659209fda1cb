package e2e

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tortureWant is what a subset of the RFC 4475 corpus (and our variants,
// sip/testdata/torture) must get from the running daemon: a status code,
// or 0 for "forwarded to the callee". The sip package's TestTortureCorpus
// checks every message against the in-process proxy; this runs the same
// files through the binary.
var tortureWant = map[string]int{
	"invalid/badvers":     505,
	"invalid/unkscm":      416,
	"invalid/novelsc":     416,
	"invalid/multi01":     400,
	"invalid/mcl01":       400,
	"invalid/bext01":      420,
	"invalid/zeromf":      483,
	"invalid/regbadct":    400,
	"invalid/lwsstart":    400,
	"invalid/trws":        400,
	"invalid/ltgtruri":    400,
	"invalid/quotbal":     400,
	"invalid/scalar02":    400,
	"invalid/ncl":         400,
	"variants/manyvias":   483,
	"variants/proxyreq":   420,
	"variants/vers3":      505,
	"valid/intmeth":       0,
	"valid/esc01":         0,
	"valid/lwsdisp":       0,
	"variants/wsparams":   0,
	"variants/lcmethod":   0,
	"invalid/badbranch":   0,
	"invalid/cparam01":    0,
	"variants/compact":    0,
	"variants/dupto":      400,
	"variants/csmismatch": 400,
}

var (
	tortureVia    = regexp.MustCompile(`(?m)^(Via|v)[ \t]*:`)
	tortureStatus = regexp.MustCompile(`(?m)^SIP/2\.0 (\d{3}) `)
)

// TestTortureThroughDaemon sends every message of sip/testdata/torture to
// the running daemon over UDP (under a Via of ours, so answers come back)
// and over TCP (as it is), with a raw callee that answers 486. Every
// message: at most one distinct final status, never a crash; the subset
// in tortureWant: the expected answer or forwarded. An ACK that matches
// nothing is never answered. The daemon serves a normal call afterwards
// (TestMalformedSIPDoesNotKillProxy covers that path) and its /metrics
// counts the malformed messages.
func TestTortureThroughDaemon(t *testing.T) {
	files, err := filepath.Glob("../sip/testdata/torture/*/*.dat")
	if err != nil || len(files) < 50 {
		t.Fatalf("torture corpus: %d files, %v", len(files), err)
	}
	uasPort := freePort(t)
	d := startDaemon(t, daemonOpts{tr: transports[0], upstream: uasPort})
	d.errorsOK = true // sipgo reports unparseable messages at error level
	sk := startSink(t, uasPort)
	for _, tr := range []string{"udp", "tcp"} {
		for _, f := range files {
			name := strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(f), "../sip/testdata/torture/"), ".dat")
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			codes, id := tortureSend(t, d.target(), tr, data)
			if distinctFinals(codes) > 1 {
				t.Errorf("%s over %s: more than one final response %v", name, tr, codes)
			}
			want, checked := tortureWant[name]
			if !checked {
				continue
			}
			sk.mu.Lock()
			fwd := sk.got[id]
			sk.mu.Unlock()
			switch {
			case want == 0 && !fwd && !slices.Contains(codes, 486): // 486: the callee's answer
				t.Errorf("%s over %s: not forwarded (answers %v)", name, tr, codes)
			case want != 0 && (fwd || !slices.Contains(codes, want)):
				t.Errorf("%s over %s: answers %v, forwarded %v; want %d", name, tr, codes, fwd, want)
			}
		}
	}
	// An ACK that matches no transaction is never answered (issue 12 defect 1).
	c, err := net.Dial("udp", d.target())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "ACK sip:1001@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s\r\nFrom: <sip:a@example.com>\r\nTo: <sip:1001@example.com>;tag=x\r\nCall-ID: torture-ack\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n", d.target(), c.LocalAddr())
	if got := readAnswers(c, 500*time.Millisecond); len(got) != 0 {
		t.Errorf("an ACK was answered: %v", got)
	}
	d.alive(t)
	if m := sumMetric(d.metrics(t), "cidproxy_sip_malformed_total"); m == 0 {
		t.Error("cidproxy_sip_malformed_total is 0 after the invalid corpus")
	}
}

// tortureSend sends one message and returns the status codes that came
// back (100 excluded) within 700 ms, or 200 ms after the first final, and
// the message's Call-ID.
func tortureSend(t *testing.T, target, tr string, data []byte) ([]int, string) {
	t.Helper()
	c, err := net.Dial(tr, target)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := data
	if tr == "udp" {
		if loc := tortureVia.FindIndex(data); loc != nil {
			via := fmt.Sprintf("Via: SIP/2.0/UDP %s;branch=z9hG4bK-e2e%d;rport\r\n", c.LocalAddr(), time.Now().UnixNano())
			msg = slices.Concat(data[:loc[0]], []byte(via), data[loc[0]:])
		}
	}
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	var codes []int
	deadline := time.Now().Add(700 * time.Millisecond)
	buf := make([]byte, 65535)
	for time.Now().Before(deadline) {
		c.SetReadDeadline(deadline)
		n, err := c.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			if tr == "tcp" {
				break // closed
			}
			continue
		}
		for _, m := range tortureStatus.FindAllStringSubmatch(string(buf[:n]), -1) {
			code, _ := strconv.Atoi(m[1])
			if code == 100 {
				continue
			}
			codes = append(codes, code)
			if code >= 200 {
				if soon := time.Now().Add(200 * time.Millisecond); soon.Before(deadline) {
					deadline = soon
				}
			}
		}
	}
	return codes, callIDOf(strings.SplitN(string(data), "\r\n\r\n", 2)[0])
}

func distinctFinals(codes []int) int {
	var f []int
	for _, c := range codes {
		if c >= 200 && !slices.Contains(f, c) {
			f = append(f, c)
		}
	}
	return len(f)
}
