// Package deploy holds the files that ship cidproxy (systemd unit,
// Prometheus alert rules, Grafana dashboard, container configuration);
// its tests check them with the tools that read them.
package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The unit passes systemd-analyze verify (with the binary's path pointed
// at an executable that exists here) and has the hardening the issue asks
// for.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile("systemd/cidproxy.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DynamicUser=yes", "StateDirectory=cidproxy", "NoNewPrivileges=yes", "ProtectSystem=strict",
		"AmbientCapabilities=CAP_NET_BIND_SERVICE", "ExecReload=/bin/kill -HUP $MAINPID", "ExecStartPre=/usr/local/bin/cidproxy config check"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("unit lacks %s", want)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed: the unit is checked where systemd is available")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "cidproxy.service")
	bin, _ := exec.LookPath("true")
	os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/cidproxy", bin)), 0o644)
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool missing: run scripts/install-deps.sh (Debian package prometheus)")
	}
	return p
}

func TestAlertRules(t *testing.T) {
	out, err := exec.Command(promtool(t), "check", "rules", "prometheus/alerts.yaml").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

type dashboard struct {
	Title  string `json:"title"`
	UID    string `json:"uid"`
	Panels []struct {
		ID      int    `json:"id"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		GridPos struct{ X, Y, W, H int } `json:"gridPos"`
	} `json:"panels"`
}

// The dashboard is valid JSON with unique panel ids, and every query is
// valid PromQL (promtool checks them as recording rules).
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("grafana/cidproxy.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	ids := map[int]bool{}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	n := 0
	for _, p := range d.Panels {
		if ids[p.ID] || p.GridPos.W == 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: id %d repeated or bad gridPos %+v", p.Title, p.ID, p.GridPos)
		}
		ids[p.ID] = true
		for _, tg := range p.Targets {
			expr := strings.NewReplacer("$__rate_interval", "5m", "$instance", ".*").Replace(tg.Expr)
			n++
			rules.WriteString("      - record: dashboard:q" + strings.Repeat("x", n) + "\n        expr: " + strconvQuote(expr) + "\n")
		}
	}
	if n < 20 {
		t.Fatalf("only %d queries", n)
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yaml")
	os.WriteFile(path, []byte(rules.String()), 0o644)
	if out, err := exec.Command(promtool(t), "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("dashboard queries: %v\n%s", err, out)
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

var metricName = regexp.MustCompile(`cidproxy_[a-z_]+`)

// Every cidproxy metric the rules and the dashboard use exists in the code.
func TestMonitoringUsesRealMetrics(t *testing.T) {
	var code strings.Builder
	filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") && !strings.Contains(path, "third_party") {
			b, _ := os.ReadFile(path)
			code.Write(b)
		}
		return nil
	})
	src := code.String()
	exists := func(name string) bool {
		if strings.Contains(src, `"`+name+`"`) {
			return true
		}
		// Namespace/Subsystem/Name split, as the API's metrics are declared.
		rest := strings.TrimPrefix(name, "cidproxy_")
		sub, n, _ := strings.Cut(rest, "_")
		return strings.Contains(src, `Subsystem: "`+sub+`", Name: "`+n+`"`)
	}
	used := map[string]bool{}
	for _, f := range []string{"prometheus/alerts.yaml", "grafana/cidproxy.json"} {
		b, _ := os.ReadFile(f)
		for _, m := range metricName.FindAllString(string(b), -1) {
			used[strings.TrimSuffix(m, "_bucket")] = true
		}
	}
	var names []string
	for m := range used {
		names = append(names, m)
	}
	sort.Strings(names)
	for _, m := range names {
		if !exists(m) {
			t.Errorf("%s is not a metric of cidproxy", m)
		}
	}
	if len(names) < 15 {
		t.Errorf("only %d metrics used: %v", len(names), names)
	}
}

// The Dockerfile (no image is built in the tests: no registry here) copies
// files that exist, builds with the go.mod Go version, runs as non-root
// with the store in a volume, and uses the checked container config.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	mod, _ := os.ReadFile("../go.mod")
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(string(mod))
	if goVersion == nil || !strings.Contains(df, "FROM golang:"+goVersion[1]+"-") {
		t.Errorf("build stage does not use Go %v", goVersion)
	}
	for _, want := range []string{"CGO_ENABLED=0", "USER 65532:65532", `VOLUME ["/var/lib/cidproxy"]`, "COPY deploy/docker/cidproxy.yaml /etc/cidproxy/cidproxy.yaml",
		"config check deploy/docker/cidproxy.yaml", "EXPOSE 5060/udp 5060/tcp 8080/tcp"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^COPY (?:--\S+ )*(\S+) `).FindAllStringSubmatch(df, -1) {
		if src := m[1]; src != "." && !strings.HasPrefix(src, "/") {
			if _, err := os.Stat(filepath.Join("..", src)); err != nil {
				t.Errorf("COPY %s: %v", src, err)
			}
		}
	}
}
