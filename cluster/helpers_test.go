package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"cidproxy/config"
	"cidproxy/crm"
	"cidproxy/crm/service"
	"cidproxy/sip/event"
)

// sharedURL is the NATS server with JetStream that scripts/start-services.sh starts.
const sharedURL = "nats://127.0.0.1:4222"

var prefixSeq atomic.Int64

// testPrefix is a prefix no other test (or run) uses.
func testPrefix(t *testing.T) string {
	return fmt.Sprintf("t%d_%d", time.Now().UnixNano()%1e9, prefixSeq.Add(1))
}

// connect returns a Conn to urls with prefix, closed (and its streams and
// buckets deleted, when clean) at the end of the test.
func connect(t *testing.T, prefix string, replicas int, urls ...string) *Conn {
	t.Helper()
	c, err := Connect(&config.Cluster{Node: "n" + prefix, StreamReplicas: replicas, NATS: config.NATS{URLs: urls}}, Options{Prefix: prefix, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.NC.Close)
	return c
}

// shared connects to the shared server; it fails (never skips) when the
// server is down, and deletes the test's streams and buckets afterwards.
func shared(t *testing.T) *Conn {
	t.Helper()
	prefix := testPrefix(t)
	c := connect(t, prefix, 1, sharedURL)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.JS.AccountInfo(ctx); err != nil {
		t.Fatalf("NATS JetStream at %s is not answering (run scripts/start-services.sh): %v", sharedURL, err)
	}
	t.Cleanup(func() { deleteAll(c) })
	return c
}

// deleteAll removes every stream of c's prefix (buckets are streams KV_NAME).
func deleteAll(c *Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	base := c.name("")
	names := c.JS.StreamNames(ctx)
	var del []string
	for n := range names.Name() {
		if strings.HasPrefix(n, base) || strings.HasPrefix(n, "KV_"+base) {
			del = append(del, n)
		}
	}
	for _, n := range del {
		_ = c.JS.DeleteStream(ctx, n)
	}
}

func testSealer(t *testing.T) *crm.Sealer {
	s, err := crm.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func entry(integration, callID string, now time.Time) service.Entry {
	return service.Entry{
		Key: service.EntryKey(integration, callID), Integration: integration, Created: now, NextTry: now,
		Event: event.Event{CallID: callID, Kind: event.Ended, Caller: event.Party{Number: "+4930123"}},
	}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// freePort returns a loopback TCP port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// natsServer is a nats-server process started by a test.
type natsServer struct {
	t    *testing.T
	conf string
	port int
	cmd  *exec.Cmd
}

func (s *natsServer) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

// startServers starts n JetStream servers on loopback (a cluster when
// n > 1) with fresh ports and store directories, stopped at the end of t.
func startServers(t *testing.T, n int) []*natsServer {
	t.Helper()
	bin := "/usr/sbin/nats-server"
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("nats-server not installed at %s (scripts/install-deps.sh): %v", bin, err)
	}
	dir := t.TempDir()
	ports, routes := make([]int, n), make([]int, n)
	for i := range n {
		ports[i], routes[i] = freePort(t), freePort(t)
	}
	out := make([]*natsServer, n)
	for i := range n {
		conf := fmt.Sprintf("server_name: s%d\nlisten: 127.0.0.1:%d\njetstream { store_dir: %q }\n", i, ports[i], filepath.Join(dir, fmt.Sprint(i)))
		if n > 1 {
			var rs []string
			for j := range n {
				if j != i {
					rs = append(rs, fmt.Sprintf("nats-route://127.0.0.1:%d", routes[j]))
				}
			}
			conf += fmt.Sprintf("cluster { name: c, listen: 127.0.0.1:%d, routes: [%s] }\n", routes[i], strings.Join(rs, ", "))
		}
		p := filepath.Join(dir, fmt.Sprintf("s%d.conf", i))
		if err := os.WriteFile(p, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		out[i] = &natsServer{t: t, conf: p, port: ports[i]}
		out[i].start()
		t.Cleanup(out[i].kill)
	}
	return out
}

func (s *natsServer) start() {
	s.t.Helper()
	s.cmd = exec.Command("/usr/sbin/nats-server", "-c", s.conf)
	s.cmd.Stdout, s.cmd.Stderr = nil, nil
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
}

// kill stops the server at once (SIGKILL), as a crash would.
func (s *natsServer) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// waitJS waits until JetStream on c answers (a cluster has a meta leader).
func waitJS(t *testing.T, c *Conn, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.JS.AccountInfo(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("JetStream not ready after %s: %v", d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var _ = jetstream.ErrNoMessages
