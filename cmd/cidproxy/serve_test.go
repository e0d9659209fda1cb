package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"cidproxy/internal/testsupport"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startDaemon runs "cidproxy serve" in-process and returns the admin base
// URL, the config path and a stop function that returns the exit status.
func startDaemon(t *testing.T) (string, string, func() int, *testsupport.Buffer) {
	return startDaemonWith(t, nil)
}

// startDaemonWith calls before(cfgPath) before the daemon starts.
func startDaemonWith(t *testing.T, before func(cfgPath string)) (string, string, func() int, *testsupport.Buffer) {
	t.Helper()
	dir := t.TempDir()
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfgPath := filepath.Join(dir, "cidproxy.yaml")
	cfg := fmt.Sprintf(`sip:
  listen: ["udp://127.0.0.1:0", "tcp://127.0.0.1:0"]
  upstream: "sip:127.0.0.1:9"
store:
  dir: %s
admin:
  listen: %s
log:
  format: json
extensions:
  - {number: "1001", name: "Alice Agent", email: alice@example.com}
`, filepath.Join(dir, "data"), admin)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(cfgPath)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &testsupport.Buffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "-config", cfgPath}, io.Discard, out) }()
	base := "http://" + admin
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case code := <-done:
			t.Fatalf("daemon exited with %d before it was healthy:\n%s", code, out.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("daemon not healthy after 15s:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var once sync.Once
	code := -1
	stop := func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("daemon did not stop within 20s:\n%s", out.String())
			}
		})
		return code
	}
	t.Cleanup(func() { stop() })
	return base, cfgPath, stop, out
}

func TestServeMetricsHealthAndShutdown(t *testing.T) {
	base, cfgPath, stop, out := startDaemon(t)

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, name := range []string{
		"cidproxy_build_info", "cidproxy_contacts", "cidproxy_prefix_rules",
		"cidproxy_events_emitted_total", "cidproxy_events_dropped_total", "cidproxy_dialogs_active",
		"go_goroutines", "process_resident_memory_bytes",
	} {
		if !strings.Contains(text, "\n"+name) && !strings.HasPrefix(text, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}

	// Profiling is off unless admin.pprof is set.
	if resp, err := http.Get(base + "/debug/pprof/"); err != nil || resp.StatusCode != 404 {
		t.Errorf("/debug/pprof/ exposed by default: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// While the daemon holds the store, a CLI command says so clearly.
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"contacts", "export", "-config", cfgPath}, io.Discard, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "in use by another cidproxy process") {
		t.Errorf("contacts export while serving: code %d, stderr %q", code, stderr.String())
	}

	if code := stop(); code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), `"msg":"cidproxy stopped"`) {
		t.Errorf("no clean stop logged:\n%s", out.String())
	}
	// The store was closed: it opens again.
	stderr.Reset()
	if code := run(context.Background(), []string{"contacts", "export", "-config", cfgPath}, io.Discard, &stderr); code != 0 {
		t.Errorf("store not released after shutdown: %d %s", code, stderr.String())
	}
}

func TestServeBadConfigExit2(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(p, []byte("sip:\n  listne: []\n"), 0o600)
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"serve", "-config", p}, io.Discard, &stderr); code != 2 {
		t.Fatalf("code %d", code)
	}
	if !strings.Contains(stderr.String(), `bad.yaml: line 2: unknown key "listne" in section sip`) {
		t.Errorf("stderr %q", stderr.String())
	}
}

func TestConfigCheckAndDefault(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"config", "check", "../../config/testdata/good-full.yaml"}, &out, &errb); code != 0 {
		t.Fatalf("check good: %d %s", code, errb.String())
	}
	if code := run(context.Background(), []string{"config", "check", "../../config/testdata/invalid-region.yaml"}, &out, &errb); code != 2 {
		t.Fatalf("check invalid: %d", code)
	}
	out.Reset()
	run(context.Background(), []string{"config", "default"}, &out, &errb)
	if !strings.Contains(out.String(), "lookup_budget: 300ms") {
		t.Errorf("config default printed %q", out.String())
	}
	if code := run(context.Background(), []string{"nosuch"}, &out, &errb); code != 2 {
		t.Errorf("unknown command: %d", code)
	}
	out.Reset()
	if code := run(context.Background(), []string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "cidproxy ") {
		t.Errorf("version: %d %q", code, out.String())
	}
}

func TestServeMountsAPIWithTokens(t *testing.T) {
	var token string
	base, _, _, _ := startDaemonWith(t, func(cfgPath string) {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"token", "create", "--admin", "-config", cfgPath, "--label", "ci"}, &out, &errb); code != 0 {
			t.Fatalf("token create: %d %s", code, errb.String())
		}
		for _, f := range strings.Fields(out.String()) {
			if len(f) >= 40 {
				token = f
			}
		}
		if token == "" {
			t.Fatalf("no token in %q", out.String())
		}
	})
	get := func(tok string) (int, string) {
		req, _ := http.NewRequest("GET", base+"/api/v1/extensions", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(""); code != 401 {
		t.Errorf("no token: %d, want 401", code)
	}
	if code, _ := get(token + "x"); code != 401 {
		t.Errorf("wrong token: %d, want 401", code)
	}
	code, body := get(token)
	if code != 200 || !strings.Contains(body, "Alice Agent") {
		t.Errorf("admin token: %d %s (the configured extension must be seeded)", code, body)
	}
}

// TestServeOnFullDisk (issue 15 item 1): a daemon whose store has less
// free space than store.min_free_space starts (a warning says why writes
// are refused), answers writes with 507 and counts them, and still looks
// numbers up from memory.
func TestServeOnFullDisk(t *testing.T) {
	var token string
	base, _, _, out := startDaemonWith(t, func(cfgPath string) {
		var o, e bytes.Buffer
		if code := run(context.Background(), []string{"token", "create", "--admin", "-config", cfgPath}, &o, &e); code != 0 {
			t.Fatalf("token create: %d %s", code, e.String())
		}
		for _, f := range strings.Fields(o.String()) {
			if len(f) >= 40 {
				token = f
			}
		}
		csv := filepath.Join(filepath.Dir(cfgPath), "p.csv")
		if err := os.WriteFile(csv, []byte("prefix,name\n+4930123*,ACME Berlin\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if code := run(context.Background(), []string{"contacts", "import-prefixes", "-config", cfgPath, csv}, &o, &e); code != 0 {
			t.Fatalf("import-prefixes: %d %s", code, e.String())
		}
		b, err := os.ReadFile(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.Replace(b, []byte("store:\n"), []byte("store:\n  min_free_space: 900000GB\n"), 1) // more than any disk has free
		if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
			t.Fatal(err)
		}
	})
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := do("POST", "/api/v1/contacts", `{"company":"ACME"}`); code != http.StatusInsufficientStorage {
		t.Errorf("write on a full disk: %d %s, want 507", code, body)
	}
	if code, body := do("GET", "/api/v1/lookup?number=%2B49301234567", ""); code != 200 || !strings.Contains(body, "ACME Berlin") {
		t.Errorf("lookup on a full disk: %d %s", code, body)
	}
	_, body := do("GET", "/metrics", "")
	if !strings.Contains(body, `cidproxy_store_write_errors_total{reason="disk_full"} `) || strings.Contains(body, `cidproxy_store_write_errors_total{reason="disk_full"} 0`) {
		t.Errorf("metrics lack the refused writes")
	}
	for _, w := range []string{"writes are refused until space is freed", "admin token file not written"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("log lacks %q:\n%s", w, out.String())
		}
	}
}
