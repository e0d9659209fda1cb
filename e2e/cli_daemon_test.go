package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The command line talks to the running binary (issue 16 item 2): while
// `cidproxy serve` holds the store, tokens, phonebooks, contact imports
// and lookups (with --explain) go through its API with the admin token
// file it wrote at start.
func TestCLIAgainstRunningBinary(t *testing.T) {
	needBinary(t)
	udp := transports[0]
	d := startDaemon(t, daemonOpts{tr: udp, upstream: freePort(t)})
	if fi, err := os.Stat(filepath.Join(filepath.Dir(d.cfgPath), "data", "admin.token")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin token file: %v %v", fi, err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := cli(t, append(args, "--config", d.cfgPath)...)
		if err != nil {
			t.Fatalf("cidproxy %v: %v\n%s", args, err, out)
		}
		return out
	}
	if out := run("phonebook", "create", "Company", "--view-all"); !strings.Contains(out, `created phonebook "Company"`) {
		t.Errorf("phonebook create: %s", out)
	}
	contacts, _ := filepath.Abs("../contactfile/testdata/outlook.csv")
	if out := run("contacts", "import", "--phonebook", "Company", contacts); !strings.Contains(out, "through the daemon): 2 added") {
		t.Errorf("import: %s", out)
	}
	out := run("lookup", "0160 9998888", "--callee", "100", "--explain")
	for _, want := range []string{`in phonebook "Company", which the callee may view`, "name: Dieter Fischer", "phonebook: Company"} {
		if !strings.Contains(out, want) {
			t.Errorf("lookup --explain lacks %q:\n%s", want, out)
		}
	}
	if tok := strings.TrimSpace(run("token", "create", "--admin", "--label", "e2e")); !strings.Contains(tok, "shown only once") || len(strings.Fields(tok)[len(strings.Fields(tok))-1]) != 43 {
		t.Errorf("token create: %q", tok)
	}
	if out := run("token", "list"); !strings.Contains(out, "e2e") || !strings.Contains(out, "cidproxy CLI (admin.token)") {
		t.Errorf("token list: %s", out)
	}
	d.alive(t)
}
