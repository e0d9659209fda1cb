// Package loadenv holds what the load commands under bench/ share: free
// loopback ports, stopping child processes, reading the daemon's metrics
// and bench/latency's output line.
package loadenv

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// FreePort returns a loopback port free for UDP and TCP.
func FreePort() (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err == nil {
			u.Close()
			return port, nil
		}
	}
	return 0, errors.New("no free port")
}

// Stop sends SIGTERM to each started command and kills it after 10 s.
func Stop(cmds ...*exec.Cmd) {
	for _, c := range cmds {
		if c == nil || c.Process == nil {
			continue
		}
		_ = c.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = c.Process.Kill()
		}
	}
}

// Metric sums the samples of name on admin's /metrics whose labels
// contain every want; -1 when /metrics cannot be read.
func Metric(admin, name string, want ...string) float64 {
	res, err := http.Get(admin + "/metrics")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	var sum float64
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		key, val, _ := strings.Cut(sc.Text(), " ")
		if k, _, _ := strings.Cut(key, "{"); k != name || !containsAll(key, want) {
			continue
		}
		v, _ := strconv.ParseFloat(val, 64)
		sum += v
	}
	return sum
}

func containsAll(s string, subs []string) bool {
	for _, w := range subs {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// Field returns key=value's value from a bench/latency line.
func Field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}
