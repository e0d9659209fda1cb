package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// daemon is one running `cidproxy serve`.
type daemon struct {
	cmd     *exec.Cmd
	cfgPath string
	sipPort int
	admin   string // http://127.0.0.1:PORT
	done    chan struct{}
	exitErr error
	// errorsOK tolerates ERROR-level log records (tests that feed garbage).
	errorsOK bool
	// errorsLike tolerates ERROR-level records containing one of these.
	errorsLike []string
	// killed: the test crashed it on purpose (kill -9); cleanup skips it.
	killed bool

	mu    sync.Mutex
	lines []string         // every stderr line
	evs   []map[string]any // JSON records with msg "call event"
}

// daemonOpts configures startDaemon.
type daemonOpts struct {
	tr       transport
	upstream int    // UAS port
	contacts string // CSV file to import before start ("" = none)
	prefixes string // prefix-rule CSV to import before start ("" = none)
	extra    string // YAML appended to the configuration (top-level keys)
	sip      string // YAML lines added to the sip section (indented two spaces)
}

// writeConfig writes a configuration with fresh ports and returns its path.
func writeConfig(t *testing.T, dir string, sipPort, adminPort int, o daemonOpts) string {
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
%[5]sevents:
  log: true
store:
  dir: %[3]q
lookup:
  default_region: DE
  # The SIP-path scenarios import contacts without phonebooks; let every
  # company contact name the caller (phonebook visibility has its own tests).
  identify_from_all_company_contacts: true
admin:
  listen: "127.0.0.1:%[4]d"
`, sipPort, up, filepath.Join(dir, "data"), adminPort, o.sip)
	return writeConfigFile(t, dir, cfg+o.extra)
}

// upstreamURI is the sip.upstream value for a callee on port over tr.
func upstreamURI(tr transport, port int) string {
	up := fmt.Sprintf("sip:127.0.0.1:%d", port)
	if tr.Name != "udp" {
		up += ";transport=" + tr.Name
	}
	return up
}

// writeConfigFile writes cfg as dir/cidproxy.yaml and returns its path.
func writeConfigFile(t *testing.T, dir, cfg string) string {
	t.Helper()
	path := filepath.Join(dir, "cidproxy.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// cli runs a short cidproxy command and returns its combined output.
func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binPath, args...).CombinedOutput()
	return string(out), err
}

// startDaemon imports the contacts and starts `cidproxy serve`; it waits
// for /healthz and the SIP listeners and stops the daemon (SIGTERM) at
// cleanup, failing the test if it crashed or did not exit cleanly.
func startDaemon(t *testing.T, o daemonOpts) *daemon {
	t.Helper()
	needBinary(t)
	dir := t.TempDir()
	d := &daemon{sipPort: freePort(t), done: make(chan struct{})}
	adminPort := freePort(t)
	d.admin = fmt.Sprintf("http://127.0.0.1:%d", adminPort)
	d.cfgPath = writeConfig(t, dir, d.sipPort, adminPort, o)
	if o.contacts != "" {
		if out, err := cli(t, "contacts", "import", "-config", d.cfgPath, o.contacts); err != nil {
			t.Fatalf("contacts import %s: %v\n%s", o.contacts, err, out)
		}
	}
	if o.prefixes != "" {
		importPrefixes(t, d.cfgPath, o.prefixes)
	}
	d.launch(t)
	return d
}

// launch starts `cidproxy serve` with d's configuration, stops it at
// cleanup and waits until it is ready.
func (d *daemon) launch(t *testing.T) {
	t.Helper()
	d.start(t)
	t.Cleanup(func() { d.stop(t) })
	d.waitReady(t)
}

// start execs `cidproxy serve` with d's configuration and collects its log;
// the caller arranges the stop and waits for readiness (see launch).
func (d *daemon) start(t *testing.T) {
	t.Helper()
	d.cmd = exec.Command(binPath, "serve", "-config", d.cfgPath)
	d.cmd.Env = append(os.Environ(), "GOMAXPROCS=2")
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	d.cmd.Stdout = io.Discard
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start cidproxy serve: %v", err)
	}
	go d.readLog(stderr)
}

// crash kills the daemon with SIGKILL (kill -9) and waits for its exit.
func (d *daemon) crash(t *testing.T) {
	t.Helper()
	d.killed = true
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 cidproxy: %v", err)
	}
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		t.Fatal("cidproxy did not die of SIGKILL within 10 s")
	}
	d.logProblems(t)
}

// restarted starts a new `cidproxy serve` on d's configuration, store
// and ports (after stop or crash) and returns it.
func (d *daemon) restarted(t *testing.T) *daemon {
	t.Helper()
	n := &daemon{cfgPath: d.cfgPath, sipPort: d.sipPort, admin: d.admin, done: make(chan struct{}),
		errorsOK: d.errorsOK, errorsLike: d.errorsLike}
	n.launch(t)
	return n
}

// readLog collects stderr lines and parses "call event" records.
func (d *daemon) readLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var rec map[string]any
		isEv := json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "call event"
		d.mu.Lock()
		d.lines = append(d.lines, line)
		if isEv {
			d.evs = append(d.evs, rec)
		}
		d.mu.Unlock()
	}
	d.exitErr = d.cmd.Wait()
	close(d.done)
}

// logTail returns the last n log lines.
func (d *daemon) logTail(n int) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.lines
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

func (d *daemon) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-d.done:
			t.Fatalf("cidproxy serve exited during start-up: %v\n%s", d.exitErr, d.logTail(40))
		default:
		}
		res, err := http.Get(d.admin + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK && listening("udp", d.sipPort) && listening("tcp", d.sipPort) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("cidproxy not ready after 20 s\n%s", d.logTail(40))
}

// alive fails the test if the daemon has exited.
func (d *daemon) alive(t *testing.T) {
	t.Helper()
	select {
	case <-d.done:
		t.Fatalf("cidproxy exited: %v\n%s", d.exitErr, d.logTail(60))
	default:
	}
}

// stop sends SIGTERM and expects a clean exit within 10 s.
func (d *daemon) stop(t *testing.T) {
	if d.killed {
		return
	}
	select {
	case <-d.done:
		t.Errorf("cidproxy had already exited: %v\n%s", d.exitErr, d.logTail(60))
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		if d.exitErr != nil {
			t.Errorf("cidproxy exit after SIGTERM: %v\n%s", d.exitErr, d.logTail(30))
		}
		d.logProblems(t)
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
		t.Errorf("cidproxy did not stop within 10 s of SIGTERM\n%s", d.logTail(30))
	}
}

// logProblems reports log records at ERROR level and any panic output.
// sipgo's transport "Read error" (a SIPp peer closing its TCP connection
// with a reset when it exits) is expected here and only logged.
func (d *daemon) logProblems(t *testing.T) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, l := range d.lines {
		isErr := strings.Contains(l, `"level":"ERROR"`) && !strings.Contains(l, `"msg":"Read error"`) && !containsAny(l, d.errorsLike)
		if (!d.errorsOK && isErr) || strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "fatal error:") {
			t.Errorf("cidproxy logged: %s", l)
		}
		if strings.Contains(l, `"level":"WARN"`) || strings.Contains(l, `"level":"ERROR"`) && !isErr {
			t.Logf("cidproxy warned: %s", l)
		}
	}
}

// target is the proxy's SIP address for sipp.
func (d *daemon) target() string { return fmt.Sprintf("127.0.0.1:%d", d.sipPort) }

// events returns the call events logged for callID so far.
func (d *daemon) events(callID string) []map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []map[string]any
	for _, e := range d.evs {
		if e["call_id"] == callID {
			out = append(out, e)
		}
	}
	return out
}

// waitEvents waits until the events for callID end with a terminal kind
// (or timeout) and returns them.
func (d *daemon) waitEvents(callID string, last string, timeout time.Duration) []map[string]any {
	deadline := time.Now().Add(timeout)
	for {
		evs := d.events(callID)
		if n := len(evs); (n > 0 && evs[n-1]["kind"] == last) || time.Now().After(deadline) {
			// Give a late duplicate a moment to show up so the test sees it.
			time.Sleep(50 * time.Millisecond)
			return d.events(callID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kinds lists the kind field of each event.
func kinds(evs []map[string]any) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i], _ = e["kind"].(string)
	}
	return out
}

// metrics fetches /metrics and returns the sample values keyed by
// `name{labels}` exactly as exposed.
func (d *daemon) metrics(t *testing.T) map[string]float64 {
	t.Helper()
	res, err := http.Get(d.admin + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// sumMetric adds up every sample of name whose labels match all of want
// (e.g. `kind="ended"`).
func sumMetric(m map[string]float64, name string, want ...string) float64 {
	var s float64
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `(\{.*\})?$`)
next:
	for k, v := range m {
		if !re.MatchString(k) {
			continue
		}
		for _, w := range want {
			if !strings.Contains(k, w) {
				continue next
			}
		}
		s += v
	}
	return s
}

// containsAny reports whether s contains one of subs.
func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
