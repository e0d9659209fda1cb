package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The per-callee tests (contacts_*_test.go) run their own daemon:
// extensions from YAML, phonebook routes, the default phonebook
// visibility (or identify_from_all_company_contacts: true) and an admin
// token created with the CLI before start; the contacts come in through
// the management API (pbSeed).

// pbOpts configures startPBDaemon.
type pbOpts struct {
	tr         transport // callee transport (upstream)
	upstream   int       // UAS port
	allCompany bool      // lookup.identify_from_all_company_contacts
}

// writePBConfig writes the per-callee test configuration.
func writePBConfig(t *testing.T, dir string, sipPort, adminPort int, o pbOpts) string {
	t.Helper()
	up := upstreamURI(o.tr, o.upstream)
	cfg := fmt.Sprintf(`log:
  level: info
  format: json
sip:
  listen: ["udp://127.0.0.1:%[1]d", "tcp://127.0.0.1:%[1]d"]
  upstream: %[2]q
  source_header: true
  ring_timeout: 20s
  extensions: ["100-999", "1000-9999"]
  phonebook_routes:
    - {phonebook: Sales, header: true, request_uri_user: "600"}
    - {phonebook: Support, header: true}
events:
  log: true
store:
  dir: %[3]q
lookup:
  default_region: DE
  identify_from_all_company_contacts: %[5]t
admin:
  listen: "127.0.0.1:%[4]d"
extensions:
  - {number: "1001", name: "Alice Agent", email: alice@example.com}
  - {number: "1002", name: "Bob Desk", email: bob@example.com}
  - {number: "1003", name: "Carol Lobby"}
`, sipPort, up, filepath.Join(dir, "data"), adminPort, o.allCompany)
	return writeConfigFile(t, dir, cfg)
}

// pbToken creates a token with the CLI (`cidproxy token create` with
// --admin or --ext N) and returns it. The daemon must not be running: it
// holds the store lock.
func pbToken(t *testing.T, cfg string, who ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	args := append([]string{"token", "create", "-config", cfg, "--label", "e2e"}, who...)
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("cidproxy token create %v: %v\n%s", who, err, stderr.String())
	}
	tok := strings.TrimSpace(stdout.String())
	if tok == "" || strings.ContainsAny(tok, " \n") {
		t.Fatalf("token create printed %q, want one token", tok)
	}
	return tok
}

// pbDaemon is the running daemon of a per-callee test, its admin token and
// what it takes to start it again on the same ports and store.
type pbDaemon struct {
	*daemon
	token     string
	sipAt     int    // SIP port, UDP and TCP
	adminURL  string // http://127.0.0.1:PORT
	cfg       string // configuration file
	stopFirst func() // stops the running instance (restart)
}

// startPBDaemon writes the configuration, creates an admin token and
// starts `cidproxy serve`. At cleanup the event counters on /metrics are
// checked against the logged events and the daemon gets SIGTERM (see
// daemon.stop).
func startPBDaemon(t *testing.T, o pbOpts) *pbDaemon {
	t.Helper()
	needBinary(t)
	dir := t.TempDir()
	d := &pbDaemon{sipAt: freePort(t)}
	adminPort := freePort(t)
	d.adminURL = fmt.Sprintf("http://127.0.0.1:%d", adminPort)
	d.cfg = writePBConfig(t, dir, d.sipAt, adminPort, o)
	d.token = pbToken(t, d.cfg, "--admin")
	d.launch(t)
	return d
}

// launch starts `cidproxy serve` and waits until it is ready.
func (d *pbDaemon) launch(t *testing.T) {
	t.Helper()
	inst := &daemon{sipPort: d.sipAt, admin: d.adminURL, cfgPath: d.cfg, done: make(chan struct{})}
	inst.start(t)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			checkEventMetrics(t, inst)
			inst.stop(t)
		}
	})
	d.stopFirst = func() { stopped = true; inst.stop(t) }
	d.daemon = inst
	inst.waitReady(t)
}

// restart stops the daemon (SIGTERM, clean exit, no errors logged), runs
// between (CLI commands that need the store) and starts it again with the
// same configuration, store and ports.
func (d *pbDaemon) restart(t *testing.T, between func()) {
	t.Helper()
	checkEventMetrics(t, d.daemon)
	d.stopFirst()
	if d.exitErr != nil {
		t.Fatalf("cidproxy did not exit cleanly: %v", d.exitErr)
	}
	between()
	d.launch(t)
}

// api sends one request with the admin token; see apiAs.
func (d *pbDaemon) api(t *testing.T, method, path string, body any, want int) []byte {
	t.Helper()
	return d.apiAs(t, d.token, method, path, body, want)
}

// apiAs sends one request with token and fails the test unless the status
// is want; it returns the response body.
func (d *pbDaemon) apiAs(t *testing.T, token, method, path string, body any, want int) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, d.adminURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, out)
	}
	return out
}

// pbObj is a JSON object for API bodies.
type pbObj = map[string]any
