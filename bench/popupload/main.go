// Command popupload measures the popup event stream under load (issue 13):
// 100 browsers' event streams, one per extension 1001..1100, while
// bench/latency places calls at a fixed rate to those extensions, every
// call from a number a Zoho double (in this process) knows, popups at
// ringing. It reports how long a popup takes from the SIP event (the
// popup's "at", stamped when the 180 passes) to the client, how many
// arrive, dropped clients, and INVITE-to-180 with and without the clients.
//
//	popupload -bin bin/cidproxy -latency /tmp/latency [-rate 200 -secs 10 -clients 100]
//
// It prints Markdown for docs/benchmarks.md and exits 1 when a run failed
// (calls lost, a daemon that did not start); a missed target is reported
// in the table, not as a failure.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cidproxy/bench/internal/loadenv"
	"cidproxy/crm/crmtest"
)

const (
	zClient, zSecret, zRefresh = "1000.POPUPBENCH", "popup-bench-secret-0123456789", "1000.popup-bench-refresh"
	firstExt                   = 1001
	target                     = 50 * time.Millisecond
)

type options struct {
	bin, latency, uas, work string
	rate, secs, clients     int
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/cidproxy", "cidproxy binary")
	flag.StringVar(&o.latency, "latency", "", "bench/latency binary (required)")
	flag.StringVar(&o.uas, "uas", "bench/scenarios/uas.xml", "SIPp callee scenario")
	flag.IntVar(&o.rate, "rate", 200, "calls per second")
	flag.IntVar(&o.secs, "secs", 10, "seconds per run")
	flag.IntVar(&o.clients, "clients", 100, "event stream clients, one per extension from 1001")
	flag.Parse()
	if o.latency == "" {
		fail(errors.New("-latency is required (go build -o X ./bench/latency)"))
	}
	dir, err := os.MkdirTemp("", "cidproxy-popupload-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	o.work = dir
	if o.uas, err = filepath.Abs(o.uas); err != nil {
		fail(err)
	}
	if err := o.run(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "popupload:", err)
	os.Exit(1)
}

func (o options) run() error {
	d, err := o.start()
	defer d.close()
	if err != nil {
		return err
	}
	cpu0 := d.cpu()
	base, err := o.calls(d, 30_000_000)
	if err != nil {
		return fmt.Errorf("without clients: %w", err)
	}
	cpu1 := d.cpu()
	cs, err := d.connect(o.clients)
	if err != nil {
		return err
	}
	cpu2 := d.cpu()
	with, err := o.calls(d, 40_000_000)
	if err != nil {
		return fmt.Errorf("with clients: %w", err)
	}
	cpu3 := d.cpu()
	time.Sleep(time.Second) // the last popups
	delays := cs.stop()
	fmt.Printf("Popups at %d calls/s for %d s to %d extensions (1001..%d), every caller a CRM contact (Zoho double in-process, popup trigger ringing); %d event stream clients, one per extension (admin token, plain HTTP/1.1 readers). Popup delay: the popup's `at` (the daemon's ringing event) to the client reading it.\n\n",
		o.rate, o.secs, o.clients, firstExt+o.clients-1, o.clients)
	fmt.Println("| run | calls | daemon CPU | INVITE→180 p50 / p99 / max | popups received | popup delay p50 / p99 / max | target p99 < 50 ms | clients dropped | bus drops (popup) |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	fmt.Printf("| no clients | %s | %.2f s | %s | — | — | — | — | — |\n", loadenv.Field(base, "calls"), cpu1-cpu0, inv180(base))
	verdict := "—"
	if len(delays) > 0 {
		verdict = "met"
		if pct(delays, 99) >= target {
			verdict = "**missed**"
		}
	}
	fmt.Printf("| %d clients | %s | %.2f s | %s | %d | %s | %s | %.0f | %.0f |\n", o.clients, loadenv.Field(with, "calls"), cpu3-cpu2, inv180(with),
		len(delays), durs(delays), verdict, d.metric("cidproxy_popup_clients_dropped_total"),
		d.metric("cidproxy_events_dropped_total", `subscriber="popup"`))
	return nil
}

// cpu returns the CPU seconds (user + system) the daemon used so far, from
// /proc/PID/stat; -1 when unreadable.
func (d *daemon) cpu() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", d.procs[0].Process.Pid))
	if err != nil {
		return -1
	}
	_, rest, _ := strings.Cut(string(b), ") ") // after the command name
	f := strings.Fields(rest)
	if len(f) < 13 {
		return -1
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// daemon is a Zoho double, cidproxy and a SIPp callee.
type daemon struct {
	z        *crmtest.ZohoLocal
	procs    []*exec.Cmd
	sipPort  int
	admin    string
	storeDir string
}

func (d *daemon) close() {
	loadenv.Stop(d.procs...)
	d.z.Close()
}

func (d *daemon) metric(name string, want ...string) float64 {
	return loadenv.Metric(d.admin, name, want...)
}

func (o options) start() (*daemon, error) {
	d := &daemon{z: crmtest.NewZohoLocal(zClient, zSecret, zRefresh), storeDir: filepath.Join(o.work, "data")}
	tpl, err := d.z.Template(40)
	if err != nil {
		return d, err
	}
	tplPath := filepath.Join(o.work, "zoho.xml")
	if err := os.WriteFile(tplPath, tpl, 0o644); err != nil {
		return d, err
	}
	fields, _ := json.Marshal(d.z.Fields(zRefresh))
	ports := make([]int, 3)
	for i := range ports {
		if ports[i], err = loadenv.FreePort(); err != nil {
			return d, err
		}
	}
	d.sipPort, d.admin = ports[0], fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	var exts strings.Builder
	for i := range o.clients {
		fmt.Fprintf(&exts, "  - {number: \"%d\"}\n", firstExt+i)
	}
	cfg := fmt.Sprintf(`log: {level: warn, format: json}
events: {log: false}
sip:
  listen: ["udp://127.0.0.1:%d"]
  upstream: "sip:127.0.0.1:%d"
  lookup_budget: 1s
  extensions: ["%d-%d"]
store: {dir: %q}
lookup: {default_region: DE}
admin: {listen: "127.0.0.1:%d"}
crm:
  integrations:
    - name: zoho
      template: %q
      fields: %s
      lookup: {budget: 300ms}
      popup: {trigger: ringing}
extensions:
%s`, d.sipPort, ports[1], firstExt, firstExt+o.clients-1, d.storeDir, ports[2], tplPath, fields, exts.String())
	cfgPath := filepath.Join(o.work, "cidproxy.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return d, err
	}
	logf, err := os.Create(filepath.Join(o.work, "daemon.log"))
	if err != nil {
		return d, err
	}
	for _, c := range []*exec.Cmd{
		exec.Command(o.bin, "serve", "--config", cfgPath),
		exec.Command("sipp", "-sf", o.uas, "-i", "127.0.0.1", "-p", strconv.Itoa(ports[1]), "-t", "u1",
			"-nostdin", "-buff_size", "4194304", "-timeout", "600s"),
	} {
		c.Dir, c.Stdout, c.Stderr = o.work, logf, logf
		if err := c.Start(); err != nil {
			return d, err
		}
		d.procs = append(d.procs, c)
	}
	return d, d.waitReady()
}

func (d *daemon) waitReady() error {
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if res, err := http.Get(d.admin + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				time.Sleep(500 * time.Millisecond) // the integration's start (token, org)
				return nil
			}
		}
	}
	return errors.New("cidproxy not ready after 20 s")
}

// calls places rate*secs calls from new CRM contacts (numbers from first)
// to the extensions in turn and returns bench/latency's line.
func (o options) calls(d *daemon, first int) (string, error) {
	n := o.rate * o.secs
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for i := range n {
		num := fmt.Sprintf("+4930%08d", first+i)
		fmt.Fprintf(&b, "%s;\n", num)
		d.z.AddRecord("Contacts", map[string]any{"id": fmt.Sprintf("p-%d", first+i), "First_Name": "Popup", "Last_Name": strconv.Itoa(first + i), "Phone": num})
	}
	path := filepath.Join(o.work, fmt.Sprintf("callers-%d.csv", first))
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", err
	}
	dur := time.Duration(o.secs) * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), dur+60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, o.latency, "-target", fmt.Sprintf("127.0.0.1:%d", d.sipPort), "-rate", strconv.Itoa(o.rate),
		"-duration", dur.String(), "-callers", path, "-service", strconv.Itoa(firstExt), "-services", strconv.Itoa(o.clients)).CombinedOutput()
	line := strings.TrimSpace(string(out))
	if err != nil {
		return "", fmt.Errorf("latency: %w: %s", err, line)
	}
	if loadenv.Field(line, "no180") != "0" || loadenv.Field(line, "no200") != "0" {
		return "", fmt.Errorf("calls lost: %s", line)
	}
	return line, nil
}

// clients are the event stream readers; they record each popup's delay.
type clients struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	delays []time.Duration
}

func (d *daemon) connect(n int) (*clients, error) {
	tok, err := os.ReadFile(filepath.Join(d.storeDir, "admin.token"))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cs := &clients{cancel: cancel}
	for i := range n {
		url := fmt.Sprintf("%s/api/v1/extensions/%d/events?token=%s", d.admin, firstExt+i, strings.TrimSpace(string(tok)))
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			return nil, err
		}
		if res.StatusCode != http.StatusOK {
			cancel()
			return nil, fmt.Errorf("event stream of %d: %s", firstExt+i, res.Status)
		}
		cs.wg.Go(func() { cs.read(res) })
	}
	return cs, nil
}

func (cs *clients) read(res *http.Response) {
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	popup := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "event: popup":
			popup = true
		case popup && strings.HasPrefix(line, "data: "):
			now := time.Now()
			var p struct {
				At time.Time `json:"at"`
			}
			if json.Unmarshal([]byte(line[6:]), &p) == nil {
				cs.mu.Lock()
				cs.delays = append(cs.delays, now.Sub(p.At))
				cs.mu.Unlock()
			}
			popup = false
		case line == "":
			popup = false
		}
	}
}

func (cs *clients) stop() []time.Duration {
	cs.cancel()
	cs.wg.Wait()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.delays
}

// inv180 formats bench/latency's INVITE-to-180 p50/p99/max in ms.
func inv180(line string) string {
	p := strings.Split(loadenv.Field(line, "inv180_us"), "/") // p50/p90/p99/max
	if len(p) != 4 {
		return "?"
	}
	ms := func(us string) string {
		v, _ := strconv.ParseFloat(us, 64)
		return fmt.Sprintf("%.1f", v/1000)
	}
	return ms(p[0]) + " / " + ms(p[2]) + " / " + ms(p[3]) + " ms"
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, max(0, (len(s)*p+99)/100-1))]
}

func durs(ds []time.Duration) string {
	if len(ds) == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f / %.1f / %.1f ms", ms(pct(ds, 50)), ms(pct(ds, 99)), ms(slices.Max(ds)))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
