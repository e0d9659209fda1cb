package e2e

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"cidproxy/crm/crmtest"
)

// The CRM tests (crm_test.go) run the daemon with one Zoho integration
// ("zoho") against crmtest.ZohoLocal, a Zoho double on loopback: the
// built-in Zoho template with its hosts replaced by the double's URL,
// a refresh_token field instead of the browser consent, extension 100
// (the SIPp callee) and 101 linked to the CRM users u-100 and u-101.

const (
	zClient  = "1000.E2ECLIENT"
	zSecret  = "e2e-zoho-secret-0123456789"
	zRefresh = "1000.e2e-refresh-token-abcdef"
	zOwner   = "u-100"
	zOwner2  = "u-101"
)

// crmOpts configures startCRMDaemon.
type crmOpts struct {
	budget        time.Duration // crm lookup budget
	sipBudget     time.Duration // sip.lookup_budget (0: the default, 300ms)
	hitTTL        time.Duration // lookup.hit_ttl (0: 24h)
	sipExtra      string        // more lines for the sip section (indented two spaces)
	journal       bool
	maxConcurrent int      // template MaxConcurrentRequest (0: as built in)
	errorsLike    []string // ERROR log records the test provokes
}

// crmEnv is a Zoho double and a daemon using it, with a UDP callee port.
type crmEnv struct {
	z       *crmtest.ZohoLocal
	d       *daemon
	uasPort int
}

// newZoho starts the double; it closes after the daemon stopped.
func newZoho(t *testing.T) *crmtest.ZohoLocal {
	t.Helper()
	z := crmtest.NewZohoLocal(zClient, zSecret, zRefresh)
	t.Cleanup(z.Close)
	return z
}

// integration is one crm.integrations entry for crmYAML.
type integration struct {
	name   string
	tpl    []byte // template XML, written to a file
	fields map[string]string
	users  map[string]string // users.map
}

// zohoIntegration is the integration "zoho" against z.
func zohoIntegration(t *testing.T, z *crmtest.ZohoLocal, o crmOpts) integration {
	t.Helper()
	tpl, err := z.Template(o.maxConcurrent)
	if err != nil {
		t.Fatal(err)
	}
	return integration{name: "zoho", tpl: tpl, fields: z.Fields(zRefresh), users: map[string]string{"100": zOwner, "101": zOwner2}}
}

// crmYAML writes the template and returns the crm section.
func crmYAML(t *testing.T, in integration, o crmOpts) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), in.name+"-local.xml")
	if err := os.WriteFile(path, in.tpl, 0o644); err != nil {
		t.Fatal(err)
	}
	fields, err := json.Marshal(in.fields)
	if err != nil {
		t.Fatal(err)
	}
	users, err := json.Marshal(in.users)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`crm:
  integrations:
    - name: %s
      template: %q
      fields: %s
      lookup: {budget: %s, hit_ttl: %s}
      users: {map: %s}
      journal: {enabled: %t}
`, in.name, path, fields, o.budget, cmp.Or(o.hitTTL, 24*time.Hour), users, o.journal)
}

// startCRMDaemon starts a Zoho double and a daemon that uses it.
func startCRMDaemon(t *testing.T, o crmOpts) *crmEnv {
	t.Helper()
	needBinary(t)
	z := newZoho(t)
	e := startDaemonWith(t, zohoIntegration(t, z, o), o)
	e.z = z
	return e
}

// startDaemonWith starts a daemon with integration in (its double
// already running) and a UDP callee port.
func startDaemonWith(t *testing.T, in integration, o crmOpts) *crmEnv {
	t.Helper()
	needBinary(t)
	e := &crmEnv{uasPort: freePort(t)}
	do := daemonOpts{tr: transports[0], upstream: e.uasPort, extra: crmYAML(t, in, o)}
	if o.sipBudget > 0 {
		do.sip = fmt.Sprintf("  lookup_budget: %s\n", o.sipBudget)
	}
	do.sip += o.sipExtra
	e.d = startDaemon(t, do)
	e.d.errorsLike = o.errorsLike
	return e
}

// addContact adds a Zoho contact with one phone number.
func addContact(z *crmtest.ZohoLocal, id, first, last, phone string) {
	z.AddRecord("Contacts", map[string]any{"id": id, "First_Name": first, "Last_Name": last, "Phone": phone,
		"Email": strings.ToLower(first) + "@customer.example"})
}

// uacOpts tunes one SIPp caller run.
type uacOpts struct {
	rate  int  // calls per second (default 10)
	limit int  // simultaneous calls (default: SIPp's)
	hold  int  // ms between 200 and BYE (answer flow; default 200)
	rtt   bool // write SIPp's INVITE->180 response times
	// callee is the To and Request-URI user (default 100).
	callee string
}

// crmRun is one finished caller run and its callee.
type crmRun struct {
	uac, uas *sippRun
	rttFile  string
}

// placeCalls runs a SIPp callee for flow with the name check chk and a
// caller placing one call per caller, and fails unless both succeed.
func (e *crmEnv) placeCalls(t *testing.T, flow string, chk nameCheck, o uacOpts, callers ...caller) crmRun {
	t.Helper()
	e.d.alive(t)
	uas := startUAS(t, renderUAS(t, flow, chk), transports[0], e.uasPort, len(callers))
	r := e.startUAC(t, flow, o, callers...)
	r.wait(t)
	if code := uas.wait(t); r.code != 0 || code != 0 {
		t.Fatalf("uac exit %d, uas exit %d\n%s\n%s\n--- daemon log:\n%s", r.code, code, r.report(), uas.report(), e.d.logTail(30))
	}
	run := crmRun{uac: r, uas: uas}
	if o.rtt {
		m, _ := filepath.Glob(filepath.Join(filepath.Dir(r.msgFile), "*_rtt.csv"))
		if len(m) != 1 {
			t.Fatalf("SIPp rtt trace: %v", m)
		}
		run.rttFile = m[0]
	}
	return run
}

// startUAC starts a SIPp caller placing one call per caller (uac_<flow>)
// and returns without waiting.
func (e *crmEnv) startUAC(t *testing.T, flow string, o uacOpts, callers ...caller) *sippRun {
	t.Helper()
	r := newRun(t, "uac")
	dir := filepath.Dir(r.msgFile)
	inf := filepath.Join(dir, "callers.csv")
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for _, c := range callers {
		fmt.Fprintf(&b, "%s;%s;%s;\n", c.User, c.Display, c.PAI)
	}
	if err := os.WriteFile(inf, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// A copy of the scenario, so SIPp's trace files land in dir.
	src, err := os.ReadFile(filepath.Join("testdata", "uac_"+flow+".xml"))
	if err != nil {
		t.Fatal(err)
	}
	scenario := filepath.Join(dir, "uac_"+flow+".xml")
	if err := os.WriteFile(scenario, src, 0o644); err != nil {
		t.Fatal(err)
	}
	rate, hold, callee := orDefault(o.rate, 10), orDefault(o.hold, 200), o.callee
	if callee == "" {
		callee = "100"
	}
	args := append(r.baseArgs(scenario, transports[0], freePort(t), len(callers)),
		"-inf", inf, "-s", callee, "-d", strconv.Itoa(hold), "-r", strconv.Itoa(rate))
	if o.limit > 0 {
		args = append(args, "-l", strconv.Itoa(o.limit))
	}
	if o.rtt {
		args = append(args, "-trace_rtt", "-rtt_freq", "1")
	}
	r.start(t, append(args, e.d.target()))
	return r
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// invites returns the INVITEs the callee received.
func (r crmRun) invites(t *testing.T) []sipMsg {
	t.Helper()
	var out []sipMsg
	for _, m := range readMessages(t, r.uas.msgFile) {
		if m.Received && strings.HasPrefix(m.Start, "INVITE ") {
			out = append(out, m)
		}
	}
	return out
}

// checkSource fails unless every INVITE the callee got has X-Cid-Source
// src ("" = no such header) and there are n of them.
func (r crmRun) checkSource(t *testing.T, n int, src string) {
	t.Helper()
	inv := r.invites(t)
	if len(inv) != n {
		t.Fatalf("callee got %d INVITEs, want %d", len(inv), n)
	}
	for _, m := range inv {
		got := m.Header("X-Cid-Source")
		if (src == "" && len(got) != 0) || (src != "" && !slices.Equal(got, []string{src})) {
			t.Errorf("X-Cid-Source = %q, want %q (From %q)", got, src, m.Header("From"))
		}
	}
}

// rtts reads SIPp's response-time trace: INVITE->180 in milliseconds.
func (r crmRun) rtts(t *testing.T) []float64 {
	t.Helper()
	b, err := os.ReadFile(r.rttFile)
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Split(strings.TrimSpace(line), ";")
		if len(f) < 3 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			t.Fatalf("rtt line %q: %v", line, err)
		}
		out = append(out, v)
	}
	return out
}

// percentile returns the nearest-rank p-th percentile of vs.
func percentile(vs []float64, p float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// unnamed is the callee's check for a caller that keeps the name it sent.
func unnamed(c caller) nameCheck {
	return nameCheck{From: displayRE(c.Display), PAI: noDisplayRE(c.PAI), RPID: noDisplayRE(c.PAI)}
}

// unnamedAny is unnamed for callers that send plainCaller's +number.
var unnamedAny = nameCheck{From: `^ *"\+[0-9]+" *<`, PAI: `^ *<sip:\+[0-9]+@`, RPID: `^ *<sip:\+[0-9]+@`}

// plainCaller sends number as From user, From display and PAI/RPID user.
func plainCaller(number string) caller {
	return caller{User: number, Display: `"` + number + `"`, PAI: number}
}

// waitFor polls cond every 100 ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// crmMetric returns one sample of the daemon's metrics (0 when absent).
func (e *crmEnv) crmMetric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	return sumMetric(e.d.metrics(t), name, labels...)
}

// adminGET sends GET path to the admin API with the admin token the
// daemon writes for the CLI (store dir/admin.token) and decodes the JSON.
func (e *crmEnv) adminGET(t *testing.T, path string, out any) {
	t.Helper()
	tok, err := os.ReadFile(filepath.Join(filepath.Dir(e.d.cfgPath), "data", "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, e.d.admin+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

// jsonString marshals v for substring checks.
func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
