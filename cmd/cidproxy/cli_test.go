package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func runArgs(args ...string) cliResult {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return cliResult{code, out.String(), errb.String()}
}

// Every command answers --help on stdout with status 0, and the global
// --config flag appears in each help text.
func TestHelpEverywhere(t *testing.T) {
	var paths [][]string
	var walk func(*cobra.Command, []string)
	walk = func(c *cobra.Command, path []string) {
		if c.Hidden {
			return
		}
		paths = append(paths, path)
		for _, s := range c.Commands() {
			walk(s, append(append([]string{}, path...), s.Name()))
		}
	}
	walk(newCLI(context.Background(), nil, nil).root(), nil)
	if len(paths) < 15 {
		t.Fatalf("only %d commands found: %v", len(paths), paths)
	}
	for _, p := range paths {
		r := runArgs(append(p, "--help")...)
		if r.code != 0 || !strings.Contains(r.stdout, "usage:") || !strings.Contains(r.stdout, "--config") || r.stderr != "" {
			t.Errorf("%v --help: %+v", p, r)
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, marker := range map[string]string{"bash": "__start_cidproxy", "zsh": "#compdef cidproxy", "fish": "complete -c cidproxy"} {
		r := runArgs("completion", shell)
		if r.code != 0 || !strings.Contains(r.stdout, marker) {
			t.Errorf("completion %s: code %d, stdout lacks %q (%d bytes)", shell, r.code, marker, len(r.stdout))
		}
	}
	if r := runArgs("completion", "tcsh"); r.code != 2 {
		t.Errorf("completion tcsh: %+v", r)
	}
}

// "cidproxy man DIR" (behind make man) writes one page per command.
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	if r := runArgs("man", dir); r.code != 0 {
		t.Fatalf("man: %+v", r)
	}
	for _, page := range []string{"cidproxy.1", "cidproxy-serve.1", "cidproxy-contacts-import.1", "cidproxy-token-create.1"} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(".TH \"CIDPROXY\" \"1\"")) || !bytes.Contains(b, []byte("config")) {
			t.Errorf("%s: not a man page:\n%.300s", page, b)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"nosuch"}, {"config"}, {"config", "check"}, {"token", "frob"}, {"serve", "extra"},
		{"template", "test", "x.xml"}, {"lookup", "--nope", "1"}} {
		if r := runArgs(args...); r.code != 2 || !strings.Contains(r.stderr, "usage:") || r.stdout != "" {
			t.Errorf("%q: %+v", args, r)
		}
	}
	if r := runArgs("--version"); r.code != 0 || !strings.HasPrefix(r.stdout, "cidproxy ") {
		t.Errorf("--version: %+v", r)
	}
}

// Scripts written for the old Go-flag style keep working: "-config FILE",
// "-config=FILE" and "-callee EXT" are the long flags.
func TestLongFlagsWithOneDash(t *testing.T) {
	root := newCLI(context.Background(), nil, nil).root()
	for _, tc := range []struct{ in, want []string }{
		{[]string{"serve", "-config", "a.yaml"}, []string{"serve", "--config", "a.yaml"}},
		{[]string{"lookup", "-callee=1001", "-c", "x", "-1"}, []string{"lookup", "--callee=1001", "-c", "x", "-1"}},
		{[]string{"lookup", "-nope", "--", "-config"}, []string{"lookup", "-nope", "--", "-config"}},
	} {
		if got := longFlagsOneDash(root, tc.in); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	cfgPath := writeFile(t, "c.yaml", "store:\n  dir: "+filepath.Join(t.TempDir(), "data")+"\n")
	if r := runArgs("contacts", "export", "-config="+cfgPath); r.code != 0 || !strings.HasPrefix(r.stdout, "first_name,") {
		t.Errorf("-config=FILE: %+v", r)
	}
}

func TestConfigCheckReportsEveryProblem(t *testing.T) {
	r := runArgs("config", "check", "../../config/testdata/multi-errors.yaml")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != 2 || len(lines) != 7 || lines[6] != "../../config/testdata/multi-errors.yaml: invalid (6 problems)" {
		t.Fatalf("%+v", r)
	}
	for i, l := range lines[:6] {
		if !strings.HasPrefix(l, "../../config/testdata/multi-errors.yaml: line ") {
			t.Errorf("line %d: %q", i, l)
		}
	}
}

// The example configurations (three topologies) and the container's
// configuration pass "cidproxy config check".
func TestExampleConfigsCheck(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	files = append(files, "../../deploy/docker/cidproxy.yaml")
	if len(files) < 4 {
		t.Fatalf("examples: %v", files)
	}
	for _, f := range files {
		if r := runArgs("config", "check", f); r.code != 0 || r.stdout != f+": ok\n" {
			t.Errorf("%s: %+v", f, r)
		}
	}
}

// CIDPROXY_CONFIG names the configuration when --config is not given.
func TestConfigFromEnvironment(t *testing.T) {
	p := writeFile(t, "bad.yaml", "nosuch: 1\n")
	t.Setenv("CIDPROXY_CONFIG", p)
	if r := runArgs("contacts", "export"); r.code != 2 || !strings.Contains(r.stderr, `unknown key "nosuch"`) {
		t.Errorf("CIDPROXY_CONFIG not used: %+v", r)
	}
	good := writeFile(t, "good.yaml", "store:\n  dir: "+filepath.Join(t.TempDir(), "data")+"\n")
	if r := runArgs("contacts", "export", "--config", good); r.code != 0 {
		t.Errorf("--config does not win over CIDPROXY_CONFIG: %+v", r)
	}
}

// config check also loads the CRM templates the file names, so that a
// broken template is found before a reload refuses it.
func TestConfigCheckLoadsTemplates(t *testing.T) {
	tpl, err := os.ReadFile("../../crm/builtin/templates/freshdesk.xml")
	if err != nil {
		t.Fatal(err)
	}
	tplPath := writeFile(t, "desk.xml", strings.Replace(string(tpl), `{{.domain}}.freshdesk.com/api/v2/search`, `{{.domain}.freshdesk.com/api/v2/search`, 1))
	cfg := writeFile(t, "c.yaml", "crm:\n  integrations:\n    - name: desk\n      template: "+tplPath+"\n      fields: {domain: acme, api_key: \"${env:CIDPROXY_TEST_NO_SUCH_VAR}\"}\n")
	r := runArgs("config", "check", cfg)
	if r.code != 2 || !strings.Contains(r.stderr, "crm.integrations desk: template") || !strings.Contains(r.stderr, "line ") ||
		!strings.Contains(r.stderr, "warning: crm.integrations desk: field api_key: environment variable CIDPROXY_TEST_NO_SUCH_VAR is not set") {
		t.Errorf("%+v", r)
	}
	os.WriteFile(tplPath, tpl, 0o600)
	if r := runArgs("config", "check", cfg); r.code != 0 || r.stdout != cfg+": ok\n" || !strings.Contains(r.stderr, "warning:") {
		t.Errorf("fixed template: %+v", r)
	}
}
