package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cidproxy/config"
)

// The CLI talks to the running daemon through its API and the admin token
// file the daemon wrote at start: token create/list/revoke and lookup work
// without stopping it.
func TestCLIAgainstRunningDaemon(t *testing.T) {
	base, cfgPath, stop, _ := startDaemon(t)
	defer stop()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(cfg.Store.Dir, "admin.token"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi, err)
	}
	cli := func(args ...string) cliResult { return runArgs(append(args, "--config", cfgPath)...) }

	r := cli("token", "create", "--ext", "1001", "--label", "desk")
	tok := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(tok) < 40 || !strings.Contains(r.stderr, "extension 1001") {
		t.Fatalf("token create: %+v", r)
	}
	get := func(path, tok string) int {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("/api/v1/extensions/1001", tok); code != 200 {
		t.Fatalf("new token: %d", code)
	}
	if r := cli("token", "create", "--ext", "9999"); r.code != 1 || !strings.Contains(r.stderr, "extension 9999 does not exist") {
		t.Errorf("token for a missing extension: %+v", r)
	}
	r = cli("token", "list")
	var id string
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.Contains(line, "desk") {
			id = strings.Fields(line)[0]
		}
	}
	if r.code != 0 || id == "" || !strings.Contains(r.stdout, "cidproxy CLI (admin.token)") || strings.Contains(r.stdout, tok) {
		t.Fatalf("token list: %+v", r)
	}
	if r := cli("token", "revoke", id); r.code != 0 || r.stdout != "revoked token "+id+"\n" {
		t.Fatalf("token revoke: %+v", r)
	}
	if code := get("/api/v1/extensions/1001", tok); code != 401 {
		t.Errorf("revoked token still works: %d", code)
	}
	if r := cli("token", "revoke", id); r.code != 1 {
		t.Errorf("second revoke: %+v", r)
	}

	if r := cli("lookup", "030 1234567"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("lookup before the rule: %+v", r)
	}
	adminTok, _ := os.ReadFile(filepath.Join(cfg.Store.Dir, "admin.token"))
	req, _ := http.NewRequest("POST", base+"/api/v1/prefixes", strings.NewReader(`{"prefix":"+4930123*","name":"ACME Berlin"}`))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(adminTok)))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create prefix: %v %v", resp, err)
	}
	r = cli("lookup", "030 1234567", "--callee", "1001")
	if r.code != 0 || r.stdout != "number: +49301234567\nname: ACME Berlin\nsource: prefix\ncontact: "+strings.Fields(r.stdout)[len(strings.Fields(r.stdout))-1]+"\n" {
		t.Errorf("lookup through the daemon: %+v", r)
	}
	// --explain works through the daemon too.
	r = cli("lookup", "030 1234567", "--callee", "1001", "--explain")
	for _, want := range []string{"number: +49301234567\n", "callee: extension 1001 (Alice Agent)", `4. prefix rules: +4930123* "ACME Berlin" is the longest match`,
		"5. CRM integrations: asked by the daemon", "name: ACME Berlin\n"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("lookup --explain through the daemon lacks %q: %+v", want, r)
		}
	}
	if r := cli("lookup", "040 555", "--explain"); r.code != 1 || !strings.Contains(r.stdout, "3. company contacts: none") || !strings.Contains(r.stderr, "not found") {
		t.Errorf("explained miss through the daemon: %+v", r)
	}
	// Contact imports go through the daemon's import, merging the same way.
	for i, want := range []string{": 3 added, 0 updated, 0 unchanged, 0 deleted\n", ": 0 added, 0 updated, 3 unchanged, 0 deleted\n"} {
		r := cli("contacts", "import", samples+"google.csv")
		if r.code != 0 || !strings.Contains(r.stdout, "(google, merge, through the daemon)") || !strings.HasSuffix(r.stdout, want) {
			t.Errorf("import %d through the daemon: %+v", i+1, r)
		}
	}
	if r := cli("contacts", "import", writeFile(t, "bad.csv", "first_name,mobile_number\nA,0171 1\nB,not a number\n")); r.code != 1 || !strings.Contains(r.stderr, "line 3: mobile_number") {
		t.Errorf("bad import through the daemon: %+v", r)
	}
	// Phonebooks too.
	if r := cli("phonebook", "create", "Partners", "--view", "1001"); r.code != 0 || !strings.Contains(r.stdout, `created phonebook "Partners"`) {
		t.Errorf("phonebook create through the daemon: %+v", r)
	}
	if r := cli("phonebook", "list"); r.code != 0 || !strings.Contains(r.stdout, "Partners") {
		t.Errorf("phonebook list through the daemon: %+v", r)
	}
	// Commands without an API path still say the daemon holds the store.
	if r := cli("contacts", "import-prefixes", writeFile(t, "p.csv", "prefix,name\n+49,x\n")); r.code != 1 || !strings.Contains(r.stderr, "in use by another cidproxy process") {
		t.Errorf("import-prefixes while serving: %+v", r)
	}
}

// Extensions listed in the configuration exist from the first command on:
// a token for one can be created before the daemon ever ran.
func TestConfiguredExtensionsBeforeFirstServe(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeFile(t, "c.yaml", "store:\n  dir: "+filepath.Join(dir, "data")+"\nextensions:\n  - {number: \"1001\", name: Alice}\n")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"token", "create", "--ext", "1001", "--config", cfgPath}, &out, &errb); code != 0 {
		t.Fatalf("token create on a fresh store: %d %s", code, errb.String())
	}
}

// Without a token file the CLI reports the lock and why it cannot use the API.
func TestLockedStoreWithoutTokenFile(t *testing.T) {
	cfg := testCLIConfig(t)
	db, err := openStore(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := runCLI(t, cfg, command("token"), "list")
	if r.code != 1 || !strings.Contains(r.stderr, "in use by another cidproxy process") || !strings.Contains(r.stderr, "admin.token") {
		t.Errorf("%+v", r)
	}
}
