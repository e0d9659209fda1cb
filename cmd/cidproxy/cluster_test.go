package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// appendConfig adds yaml to the daemon's configuration file.
func appendConfig(t *testing.T, path, yaml string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(yaml); err != nil {
		t.Fatal(err)
	}
}

// waitBody polls url until it answers code with a body containing want.
func waitBody(t *testing.T, url string, code int, want string) string {
	t.Helper()
	var got string
	var c int
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if c, got = httpGet(t, url); c == code && strings.Contains(got, want) {
			return got
		}
	}
	t.Fatalf("%s: %d %q; want %d with %q", url, c, got, code, want)
	return ""
}

// TestServeClusterMode: with a cluster section the daemon joins NATS (the
// shared server), sets up the journal stream and buckets under its
// prefix, is ready and reports the connection in its metrics.
func TestServeClusterMode(t *testing.T) {
	prefix := fmt.Sprintf("t%d", time.Now().UnixNano()%1e12)
	nc, err := nats.Connect("nats://127.0.0.1:4222", nats.Timeout(3*time.Second))
	if err != nil {
		t.Fatalf("NATS at 127.0.0.1:4222 (scripts/start-services.sh): %v", err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var del []string
		for n := range js.StreamNames(ctx).Name() {
			if strings.Contains(n, strings.ToUpper(prefix)+"_") {
				del = append(del, n)
			}
		}
		for _, n := range del {
			_ = js.DeleteStream(ctx, n)
		}
	})
	base, _, _, out := startDaemonWith(t, func(p string) {
		appendConfig(t, p, fmt.Sprintf("cluster: {node: n1, prefix: %s, nats: {urls: [\"nats://127.0.0.1:4222\"]}}\n", prefix))
	})
	waitBody(t, base+"/readyz", 200, "ready")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range []string{"_JOURNAL", "KV_" + strings.ToUpper(prefix) + "_LEASES", "KV_" + strings.ToUpper(prefix) + "_CRM_MISSES", "KV_" + strings.ToUpper(prefix) + "_POPUP_CLAIMS"} {
		name := s
		if strings.HasPrefix(s, "_") {
			name = strings.ToUpper(prefix) + s
		}
		if _, err := js.Stream(ctx, name); err != nil {
			t.Errorf("stream %s: %v\n%s", name, err, out.String())
		}
	}
	_, m := httpGet(t, base+"/metrics")
	if !strings.Contains(m, "cidproxy_cluster_nats_connected 1") {
		t.Errorf("metrics lack cidproxy_cluster_nats_connected 1")
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool missing: run scripts/install-deps.sh (Debian package prometheus)")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(m)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, b)
	}
}

// TestServeClusterNATSDown: with NATS unreachable the daemon still starts
// and serves (healthz), but /readyz says it is not in the cluster.
func TestServeClusterNATSDown(t *testing.T) {
	port := freePort(t)
	base, _, _, _ := startDaemonWith(t, func(p string) {
		appendConfig(t, p, fmt.Sprintf("cluster: {node: n1, prefix: tdown, nats: {urls: [\"nats://127.0.0.1:%d\"]}}\n", port))
	})
	waitBody(t, base+"/readyz", 503, "cluster: ")
	if c, _ := httpGet(t, base+"/healthz"); c != 200 {
		t.Fatalf("healthz %d", c)
	}
	if _, m := httpGet(t, base+"/metrics"); !strings.Contains(m, "cidproxy_cluster_nats_connected 0") {
		t.Errorf("metrics lack cidproxy_cluster_nats_connected 0")
	}
}
