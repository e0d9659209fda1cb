package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cidproxy/config"
	"cidproxy/internal/testsupport"
)

// reloadEnv is a running daemon whose configuration file the test rewrites.
type reloadEnv struct {
	t        *testing.T
	base     string
	cfgPath  string
	original string
	token    string
}

func newReloadEnv(t *testing.T) (*reloadEnv, func() int, *testsupport.Buffer) {
	base, cfgPath, stop, out := startDaemon(t)
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := config.Load(cfgPath)
	tok, err := os.ReadFile(filepath.Join(cfg.Store.Dir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	return &reloadEnv{t: t, base: base, cfgPath: cfgPath, original: string(b), token: strings.TrimSpace(string(tok))}, stop, out
}

func (e *reloadEnv) write(extra string) {
	e.t.Helper()
	if err := os.WriteFile(e.cfgPath, []byte(e.original+extra), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func (e *reloadEnv) do(method, path string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

// POST /api/v1/reload applies extensions and the log level at once,
// reports the sections that need a restart, and refuses a bad file with
// every problem and its line while the running configuration stays.
func TestReloadThroughAPI(t *testing.T) {
	e, stop, out := newReloadEnv(t)
	if code, _ := e.do("GET", "/api/v1/extensions/1002"); code != 404 {
		t.Fatalf("1002 before reload: %d", code)
	}
	os.WriteFile(e.cfgPath, []byte(strings.Replace(e.original+"  - {number: \"1002\", name: Bob}\n", "format: json", "format: json\n  level: debug", 1)), 0o600)
	code, body := e.do("POST", "/api/v1/reload")
	var rep reloadReport
	if code != 200 || json.Unmarshal([]byte(body), &rep) != nil || len(rep.RestartRequired) != 0 {
		t.Fatalf("reload: %d %s", code, body)
	}
	if code, _ := e.do("GET", "/api/v1/extensions/1002"); code != 200 {
		t.Errorf("1002 after reload: %d", code)
	}
	e.do("GET", "/api/v1/extensions/1001")
	if !strings.Contains(out.String(), `"level":"DEBUG","msg":"api request"`) {
		t.Error("log level debug not applied")
	}

	// A bad file: every problem with its line, nothing applied.
	e.write("  - {number: \"1003\", name: Carol}\nlookup:\n  default_region: de\n  bogus: 1\n")
	code, body = e.do("POST", "/api/v1/reload")
	if code != 422 || !strings.Contains(body, `line 14: key lookup.default_region: \"de\" is not`) || !strings.Contains(body, `line 15: unknown key \"bogus\"`) {
		t.Fatalf("bad reload: %d %s", code, body)
	}
	if code, _ := e.do("GET", "/api/v1/extensions/1003"); code != 404 {
		t.Errorf("refused reload applied extensions: %d", code)
	}
	if code, body := httpGet(t, e.base+"/readyz"); code != 200 {
		t.Errorf("not ready after a refused reload: %d %s", code, body)
	}

	// A changed listener waits for a restart, and says so.
	os.WriteFile(e.cfgPath, []byte(strings.Replace(e.original, "tcp://127.0.0.1:0", "tcp://127.0.0.2:0", 1)), 0o600)
	code, body = e.do("POST", "/api/v1/reload")
	if code != 200 || !strings.Contains(body, `"restart_required":["sip"]`) {
		t.Errorf("listener change: %d %s", code, body)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// SIGHUP reloads instead of killing the daemon (Go's default for SIGHUP).
func TestSIGHUPReloads(t *testing.T) {
	e, stop, out := newReloadEnv(t)
	e.write("  - {number: \"1004\", name: Dora}\n")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _ := e.do("GET", "/api/v1/extensions/1004"); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SIGHUP did not reload:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A bad file on SIGHUP is logged; the daemon keeps serving.
	e.write("bogus: 1\n")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	for !strings.Contains(out.String(), "SIGHUP: configuration not reloaded") {
		if time.Now().After(deadline) {
			t.Fatalf("no refusal logged:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, _ := httpGet(t, e.base+"/readyz"); code != 200 {
		t.Errorf("not ready after a bad SIGHUP: %d", code)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

func TestRestartKeys(t *testing.T) {
	a, b := config.Default(), config.Default()
	b.Log.Level = "debug"
	b.Extensions = append(b.Extensions, config.Extension{Number: "1"})
	if got := restartKeys(a, b); len(got) != 0 {
		t.Errorf("live changes reported as needing a restart: %v", got)
	}
	b.Log.Format = "json"
	b.Admin.Listen = "127.0.0.1:1"
	b.SIP.LookupBudget = 1
	if got := strings.Join(restartKeys(a, b), ","); got != "sip,admin,log.format" {
		t.Errorf("restartKeys = %s", got)
	}
}

// A reload reads the CRM templates again: a broken template is refused
// (the running integration stays), a fixed one is taken.
func TestReloadRereadsTemplates(t *testing.T) {
	tpl, err := os.ReadFile("../../crm/builtin/templates/freshdesk.xml")
	if err != nil {
		t.Fatal(err)
	}
	tplPath := filepath.Join(t.TempDir(), "desk.xml")
	os.WriteFile(tplPath, tpl, 0o600)
	crmCfg := "crm:\n  integrations:\n    - name: desk\n      template: " + tplPath + "\n      fields: {domain: acme, api_key: k-123456789}\n"
	base, cfgPath, stop, _ := startDaemonWith(t, func(cfgPath string) {
		b, _ := os.ReadFile(cfgPath)
		os.WriteFile(cfgPath, append(b, crmCfg...), 0o600)
	})
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := os.ReadFile(filepath.Join(cfg.Store.Dir, "admin.token"))
	e := &reloadEnv{t: t, base: base, cfgPath: cfgPath, token: strings.TrimSpace(string(tok))}
	os.WriteFile(tplPath, []byte(strings.Replace(string(tpl), `{{.domain}}.freshdesk.com/api/v2/search`, `{{.domain}.freshdesk.com/api/v2/search`, 1)), 0o600)
	if code, body := e.do("POST", "/api/v1/reload"); code != 422 || !strings.Contains(body, "crm.integrations desk") {
		t.Fatalf("broken template: %d %s", code, body)
	}
	os.WriteFile(tplPath, tpl, 0o600)
	if code, body := e.do("POST", "/api/v1/reload"); code != 200 {
		t.Fatalf("fixed template: %d %s", code, body)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
}
