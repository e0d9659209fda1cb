// Command crmload measures the daemon with a CRM in the call (issue 10):
// INVITE-to-180 through cidproxy at a fixed call rate while a Zoho double
// (crm/crmtest.ZohoLocal, in this process) answers every caller search in
// 50 ms, the same with the CRM hung, and the journal's delivery rate with
// Calls answering in 50 ms and MaxConcurrentRequest 3. Calls come from
// bench/latency (µs resolution) towards a SIPp callee; every call is from
// a different number, so every call asks the CRM.
//
//	crmload -bin bin/cidproxy -latency /tmp/latency [-rate 200 -secs 10]
//
// It prints a Markdown table for docs/benchmarks.md and exits 1 when a run
// failed (calls lost, a daemon that did not start); a missed target is
// reported in the table, not as a failure.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"cidproxy/bench/internal/loadenv"
	"cidproxy/crm/crmtest"
)

const (
	client  = "1000.BENCHCLIENT"
	secret  = "bench-zoho-secret-0123456789"
	refresh = "1000.bench-refresh-token"
)

type options struct {
	bin, latency, uas string
	rate, secs        int
	journalCalls      int
	work              string
	pprof             string        // directory for CPU profiles of the daemon ("" = none)
	pprofAt           time.Duration // when in a run the profile starts
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/cidproxy", "cidproxy binary")
	flag.StringVar(&o.latency, "latency", "", "bench/latency binary (required)")
	flag.StringVar(&o.uas, "uas", "bench/scenarios/uas.xml", "SIPp callee scenario")
	flag.IntVar(&o.rate, "rate", 200, "calls per second")
	flag.IntVar(&o.secs, "secs", 10, "seconds per latency run")
	flag.IntVar(&o.journalCalls, "journal-calls", 600, "calls for the journal throughput run")
	keep := flag.Bool("keep", false, "keep the work directory (logs)")
	flag.StringVar(&o.pprof, "pprof", "", "write a 4 s CPU profile of the daemon per run into this directory")
	flag.DurationVar(&o.pprofAt, "pprof-at", 3*time.Second, "when in each run the profile starts")
	flag.Parse()
	if o.latency == "" {
		fmt.Fprintln(os.Stderr, "crmload: -latency is required (go build -o X ./bench/latency)")
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("", "cidproxy-crmload-")
	if err != nil {
		fail(err)
	}
	if *keep {
		fmt.Fprintln(os.Stderr, "crmload: work directory", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	o.work = dir
	if o.uas, err = filepath.Abs(o.uas); err != nil {
		fail(err)
	}
	var rows []string
	for _, r := range []run{
		{name: "control: SIPp callee direct, no proxy", direct: true},
		{name: "CRM answers in 50 ms", delay: 50 * time.Millisecond, budget: 300 * time.Millisecond, maxConc: 40, target: 60 * time.Millisecond},
		{name: "CRM answers in 50 ms, built-in MaxConcurrentRequest 5", delay: 50 * time.Millisecond, budget: 300 * time.Millisecond},
		{name: "CRM hung", hang: true, budget: 100 * time.Millisecond, maxConc: 40, target: 105 * time.Millisecond},
	} {
		row, err := o.latencyRun(r)
		if err != nil {
			fail(fmt.Errorf("%s: %w", r.name, err))
		}
		rows = append(rows, row)
	}
	jrow, err := o.journalRun()
	if err != nil {
		fail(fmt.Errorf("journal: %w", err))
	}
	fmt.Printf("INVITE-to-180 through cidproxy at %d calls/s for %d s (bench/latency, µs; every call from a different number, so every call searches the CRM: 3 requests, Contacts, Leads, Accounts); Zoho double in-process on loopback.\n\n", o.rate, o.secs)
	fmt.Println("| run | budget | MaxConcurrentRequest | calls | CRM hit / budget exceeded / breaker open | double's search p50 / p99 | INVITE→180 p50 / p99 / max | target p99 |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Println(r)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("\nLoad average after the runs (1/5/15 min): %s\n", strings.Join(strings.Fields(string(load))[:3], " / "))
	fmt.Println()
	fmt.Println(jrow)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "crmload:", err)
	os.Exit(1)
}

// run is one latency configuration.
type run struct {
	name    string
	delay   time.Duration // search latency
	hang    bool
	budget  time.Duration
	maxConc int           // 0: the template's 5
	target  time.Duration // 0: none
	direct  bool          // calls go to the callee, not through cidproxy
}

// env is a Zoho double, a daemon and a SIPp callee.
type env struct {
	z       *crmtest.ZohoLocal
	daemon  *exec.Cmd
	uas     *exec.Cmd
	sipPort int
	uasPort int
	admin   string
}

func (e *env) close() {
	loadenv.Stop(e.daemon, e.uas)
	e.z.Close()
}

// start writes the template and configuration and starts the daemon and
// the callee.
func (o options) start(name string, maxConc int, budget time.Duration, journal bool) (*env, error) {
	e := &env{z: crmtest.NewZohoLocal(client, secret, refresh)}
	dir := filepath.Join(o.work, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return e, err
	}
	tpl, err := e.z.Template(maxConc)
	if err != nil {
		return e, err
	}
	tplPath := filepath.Join(dir, "zoho.xml")
	if err := os.WriteFile(tplPath, tpl, 0o644); err != nil {
		return e, err
	}
	fields, _ := json.Marshal(e.z.Fields(refresh))
	e.sipPort, err = loadenv.FreePort()
	if err != nil {
		return e, err
	}
	e.uasPort, err = loadenv.FreePort()
	if err != nil {
		return e, err
	}
	adminPort, err := loadenv.FreePort()
	if err != nil {
		return e, err
	}
	e.admin = fmt.Sprintf("http://127.0.0.1:%d", adminPort)
	cfg := fmt.Sprintf(`log: {level: warn, format: json}
sip:
  listen: ["udp://127.0.0.1:%d"]
  upstream: "sip:127.0.0.1:%d"
  lookup_budget: 1s
store: {dir: %q}
lookup: {default_region: DE}
admin: {listen: "127.0.0.1:%d", pprof: %t}
crm:
  integrations:
    - name: zoho
      template: %q
      fields: %s
      lookup: {budget: %s}
      users: {map: {"100": "u-100"}}
      journal: {enabled: %t}
`, e.sipPort, e.uasPort, filepath.Join(dir, "data"), adminPort, o.pprof != "", tplPath, fields, budget, journal)
	cfgPath := filepath.Join(dir, "cidproxy.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return e, err
	}
	e.daemon = exec.Command(o.bin, "serve", "-config", cfgPath)
	logf, err := os.Create(filepath.Join(dir, "daemon.log"))
	if err != nil {
		return e, err
	}
	e.daemon.Stderr, e.daemon.Stdout = logf, logf
	if err := e.daemon.Start(); err != nil {
		return e, err
	}
	e.uas = exec.Command("sipp", "-sf", o.uas, "-i", "127.0.0.1", "-p", strconv.Itoa(e.uasPort), "-t", "u1",
		"-nostdin", "-buff_size", "4194304", "-timeout", "600s")
	e.uas.Dir = dir
	if err := e.uas.Start(); err != nil {
		return e, err
	}
	return e, e.waitReady()
}

func (e *env) waitReady() error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(e.admin + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				time.Sleep(500 * time.Millisecond) // the integration's start (token, org)
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("cidproxy not ready after 20 s")
}

// metric sums the samples of name whose labels contain every want.
func (e *env) metric(name string, want ...string) float64 {
	return loadenv.Metric(e.admin, name, want...)
}

// callers writes n caller numbers (SIPp -inf) starting at first; with
// z, each is also a Zoho contact.
func callers(path string, first, n int, z *crmtest.ZohoLocal) error {
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for i := range n {
		num := fmt.Sprintf("+4930%08d", first+i)
		fmt.Fprintf(&b, "%s;\n", num)
		if z != nil {
			z.AddRecord("Contacts", map[string]any{"id": fmt.Sprintf("b-%d", first+i), "First_Name": "Bench",
				"Last_Name": strconv.Itoa(first + i), "Phone": num})
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// latency runs bench/latency and returns its output line.
func (o options) runLatency(port int, callersFile string, rate int, d time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d+60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, o.latency, "-target", fmt.Sprintf("127.0.0.1:%d", port),
		"-rate", strconv.Itoa(rate), "-duration", d.String(), "-callers", callersFile, "-service", "100").CombinedOutput()
	line := strings.TrimSpace(string(out))
	if err != nil {
		return line, fmt.Errorf("latency: %w: %s", err, line)
	}
	return line, nil
}

func (o options) latencyRun(r run) (string, error) {
	e, err := o.start(strings.ReplaceAll(strings.ToLower(r.name), " ", "-"), r.maxConc, r.budget, false)
	defer e.close()
	if err != nil {
		return "", err
	}
	e.z.SearchDelay.Store(int64(r.delay))
	e.z.SearchHang.Store(r.hang)
	n := o.rate * o.secs
	path := filepath.Join(o.work, "callers-"+strconv.Itoa(len(r.name))+".csv")
	if err := callers(path, 10_000_000, n+o.rate, e.z); err != nil {
		return "", err
	}
	e.z.IndexPhones()
	port := e.sipPort
	if r.direct {
		port = e.uasPort
	}
	if o.pprof != "" && !r.direct {
		go e.profile(filepath.Join(o.pprof, strings.ReplaceAll(strings.ToLower(r.name), " ", "-")+".pprof"), o.pprofAt)
	}
	line, err := o.runLatency(port, path, o.rate, time.Duration(o.secs)*time.Second)
	if err != nil {
		return "", err
	}
	if loadenv.Field(line, "no180") != "0" || loadenv.Field(line, "no200") != "0" {
		return "", fmt.Errorf("calls lost: %s", line)
	}
	p := strings.Split(loadenv.Field(line, "inv180_us"), "/") // p50/p90/p99/max
	if len(p) != 4 {
		return "", fmt.Errorf("latency output %q", line)
	}
	ms := func(us string) string {
		v, _ := strconv.ParseFloat(us, 64)
		return fmt.Sprintf("%.1f", v/1000)
	}
	p99, _ := strconv.ParseFloat(p[2], 64)
	target := "—"
	if r.target > 0 {
		verdict := "met"
		if time.Duration(p99*float64(time.Microsecond)) >= r.target {
			verdict = "**missed**"
		}
		target = fmt.Sprintf("< %s: %s", r.target, verdict)
	}
	conc := "5 (built-in)"
	if r.maxConc > 0 {
		conc = strconv.Itoa(r.maxConc)
	}
	outcomes := "—"
	if !r.direct {
		outcomes = fmt.Sprintf("%.0f / %.0f / %.0f", e.metric("cidproxy_crm_lookups_total", `outcome="hit"`),
			e.metric("cidproxy_crm_lookups_total", `outcome="budget_exceeded"`), e.metric("cidproxy_crm_lookups_total", `outcome="breaker_open"`))
	} else {
		conc = "—"
	}
	served := "—"
	if st := e.z.SearchTimes(); len(st) > 0 {
		slices.Sort(st)
		served = fmt.Sprintf("%.1f / %.1f ms", float64(st[len(st)/2].Microseconds())/1000, float64(st[len(st)*99/100].Microseconds())/1000)
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s / %s / %s ms | %s |",
		r.name, r.budget, conc, loadenv.Field(line, "calls"), outcomes, served, ms(p[0]), ms(p[2]), ms(p[3]), target), nil
}

// journalRun places journalCalls answered calls (one known caller, named
// locally after the first call) and measures how fast the journal
// delivers them with Calls answering in 50 ms and MaxConcurrentRequest 3.
func (o options) journalRun() (string, error) {
	const maxConc, delay = 3, 50 * time.Millisecond
	e, err := o.start("journal", maxConc, 300*time.Millisecond, true)
	defer e.close()
	if err != nil {
		return "", err
	}
	e.z.CallsDelay.Store(int64(delay))
	path := filepath.Join(o.work, "callers-journal.csv")
	if err := callers(path, 20_000_000, 1, e.z); err != nil {
		return "", err
	}
	e.z.IndexPhones()
	n := o.journalCalls
	rate := min(o.rate, n)
	// Poll the double from the first call on: records arrive while calls
	// are still being placed.
	var first, last time.Time
	var placed atomic.Int64
	placed.Store(math.MaxInt64)
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		deadline := time.Now().Add(10 * time.Minute)
		for time.Now().Before(deadline) {
			c := len(e.z.Created("Calls"))
			if c > 0 && first.IsZero() {
				first = time.Now()
			}
			if int64(c) >= placed.Load() {
				last = time.Now()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	start, placing := time.Now(), time.Duration(n/rate)*time.Second
	line, err := o.runLatency(e.sipPort, path, rate, placing)
	if err != nil {
		return "", err
	}
	answered, _ := strconv.Atoi(loadenv.Field(line, "answered"))
	placed.Store(int64(answered))
	<-polled
	if last.IsZero() {
		return "", fmt.Errorf("%d of %d records after 10 minutes", len(e.z.Created("Calls")), answered)
	}
	got := len(e.z.Created("Calls"))
	rateGot := float64(got-1) / max(last.Sub(first).Seconds(), 1e-3)
	return fmt.Sprintf("Journal: %d answered calls at %d calls/s over %s; the Zoho double's Calls endpoint answers in %s, template MaxConcurrentRequest %d (at most %.0f records/s): %d records delivered, %.1f records/s, the last %.1f s after the last call; at most %d Calls requests in flight; outbox depth at the end %.0f.",
		answered, rate, placing, delay, maxConc, float64(maxConc)/delay.Seconds(), got, rateGot,
		last.Sub(start.Add(placing)).Seconds(), e.z.MaxCallsInFlight(), e.metric("cidproxy_journal_outbox_depth")), nil
}

// profile saves a 4 s CPU profile of the daemon, taken at into a run.
func (e *env) profile(path string, at time.Duration) {
	time.Sleep(at)
	res, err := http.Get(e.admin + "/debug/pprof/profile?seconds=4")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crmload: profile:", err)
		return
	}
	defer res.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crmload: profile:", err)
		return
	}
	defer f.Close()
	_, _ = io.Copy(f, res.Body)
}
