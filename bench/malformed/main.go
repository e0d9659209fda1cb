// Command malformed sends malformed SIP over UDP at a fixed rate: the RFC
// 4475 invalid messages (sip/testdata/torture/invalid) as they are, plus
// truncated and garbled variants of a well-formed INVITE and random junk.
// It is the hostile second sender of bench/soak.sh, bounded in count and
// time, and refuses any target that is not a loopback address.
//
//	malformed -target 127.0.0.1:25060 -rate 15 -duration 90s -torture sip/testdata/torture/invalid
//
// It reads (and counts) whatever comes back and prints one line:
// sent=N by kind, and the responses received by status class.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

func main() {
	target := flag.String("target", "127.0.0.1:5060", "proxy host:port (UDP, loopback only)")
	rate := flag.Int("rate", 10, "messages per second")
	dur := flag.Duration("duration", 10*time.Second, "how long to send")
	maxMsgs := flag.Int("max", 0, "stop after this many messages (0: rate × duration)")
	torture := flag.String("torture", "", "directory of RFC 4475 invalid messages (*.dat); empty: variants only")
	seed := flag.Uint64("seed", 4475, "random seed (the same seed sends the same messages)")
	replyLog := flag.String("replies", "", "append each reply's status line and Call-ID to this file")
	flag.Parse()
	if err := run(*target, *rate, *dur, *maxMsgs, *torture, *seed, *replyLog); err != nil {
		fmt.Fprintln(os.Stderr, "malformed:", err)
		os.Exit(1)
	}
}

// kinds of messages, in the order they are cycled through.
var kinds = []string{"torture", "truncated", "garbled", "junk"}

func run(target string, rate int, dur time.Duration, maxMsgs int, dir string, seed uint64, replyLog string) error {
	ap, err := netip.ParseAddrPort(target)
	if err != nil || !ap.Addr().IsLoopback() {
		return fmt.Errorf("target %q: need a loopback ip:port", target)
	}
	if rate <= 0 || dur <= 0 || dur > time.Hour {
		return errors.New("need -rate > 0 and 0 < -duration <= 1h")
	}
	if maxMsgs <= 0 {
		maxMsgs = int(float64(rate) * dur.Seconds())
	}
	torture, err := loadTorture(dir)
	if err != nil {
		return err
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var replies [7]atomic.Int64 // index = status class (1..6), 0 = not a response
	var logw io.Writer = io.Discard
	if replyLog != "" {
		f, err := os.OpenFile(replyLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		logw = f
	}
	go readReplies(conn, &replies, logw)

	rng := rand.New(rand.NewPCG(seed, seed))
	local := conn.LocalAddr().(*net.UDPAddr)
	sent := map[string]int{}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	dst := net.UDPAddrFromAddrPort(ap)
	for n := 0; n < maxMsgs; n++ {
		select {
		case <-ctx.Done():
			n = maxMsgs
			continue
		case <-tick.C:
		}
		kind := kinds[n%len(kinds)]
		if kind == "torture" && len(torture) == 0 {
			kind = "junk"
		}
		msg := build(kind, n, rng, torture, target, local.Port)
		if _, err := conn.WriteToUDP(msg, dst); err != nil {
			sent["write_error"]++
			continue
		}
		sent[kind]++
	}
	time.Sleep(500 * time.Millisecond) // late replies
	total := 0
	for _, k := range kinds {
		total += sent[k]
	}
	fmt.Printf("sent=%d torture=%d truncated=%d garbled=%d junk=%d write_errors=%d replies_1xx=%d 2xx=%d 3xx=%d 4xx=%d 5xx=%d 6xx=%d other=%d\n",
		total, sent["torture"], sent["truncated"], sent["garbled"], sent["junk"], sent["write_error"],
		replies[1].Load(), replies[2].Load(), replies[3].Load(), replies[4].Load(), replies[5].Load(), replies[6].Load(), replies[0].Load())
	return nil
}

func loadTorture(dir string) ([][]byte, error) {
	if dir == "" {
		return nil, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.dat"))
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// build returns message n of the given kind. Variants start from a
// well-formed INVITE with a fresh Call-ID and branch, so the proxy cannot
// take them for retransmissions of each other.
func build(kind string, n int, rng *rand.Rand, torture [][]byte, target string, port int) []byte {
	switch kind {
	case "torture":
		return torture[(n/len(kinds))%len(torture)]
	case "junk":
		b := make([]byte, 1+rng.IntN(1400))
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}
	msg := []byte(invite(n, target, port))
	if kind == "truncated" {
		return msg[:1+rng.IntN(len(msg)-1)]
	}
	for range 1 + rng.IntN(8) { // garbled: bytes replaced at random places
		msg[rng.IntN(len(msg))] = byte(rng.UintN(256))
	}
	return msg
}

func invite(n int, target string, port int) string {
	body := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
	return strings.Join([]string{
		fmt.Sprintf("INVITE sip:100@%s SIP/2.0", target),
		fmt.Sprintf("Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKmal%d", port, n),
		"Max-Forwards: 70",
		fmt.Sprintf("From: <sip:+4930%07d@127.0.0.1:%d>;tag=mal%d", n%10000000, port, n),
		fmt.Sprintf("To: <sip:100@%s>", target),
		fmt.Sprintf("Call-ID: malformed-%d@127.0.0.1", n),
		"CSeq: 1 INVITE",
		fmt.Sprintf("Contact: <sip:mal@127.0.0.1:%d>", port),
		"Content-Type: application/sdp",
		fmt.Sprintf("Content-Length: %d", len(body)),
		"", body,
	}, "\r\n")
}

func readReplies(conn *net.UDPConn, replies *[7]atomic.Int64, logw io.Writer) {
	buf := make([]byte, 65536)
	for {
		n, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		class := 0
		if s := string(buf[:n]); strings.HasPrefix(s, "SIP/2.0 ") && len(s) >= 9 && s[8] >= '1' && s[8] <= '6' {
			class = int(s[8] - '0')
		}
		replies[class].Add(1)
		fmt.Fprintf(logw, "%s | %s\n", firstLine(buf[:n]), header(buf[:n], "Call-ID"))
	}
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\r\n")
	return s
}

// header returns the first value of header name (case-insensitive), or "".
func header(b []byte, name string) string {
	for _, l := range strings.Split(string(b), "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
