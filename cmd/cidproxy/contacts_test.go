package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cidproxy/config"
	"cidproxy/contactfile"
	"cidproxy/lookup"
	"cidproxy/store"
)

func testCLIConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Store.Dir = filepath.Join(t.TempDir(), "data")
	return cfg
}

type cliResult struct {
	code           int
	stdout, stderr string
}

type cliMain func(context.Context, *config.Config, *slog.Logger, []string, io.Writer, io.Writer) int

// runWith runs "cidproxy ARGS..." on cfg instead of a --config file.
func runWith(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) int {
	c := newCLI(ctx, stdout, stderr)
	c.cfg, c.log = cfg, log
	return c.execute(args)
}

// command returns a cliMain for one top-level command.
func command(name string) cliMain {
	return func(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) int {
		return runWith(ctx, cfg, log, append([]string{name}, args...), stdout, stderr)
	}
}

var (
	contacts  = command("contacts")
	lookupCmd = command("lookup")
)

func runCLI(t *testing.T, cfg *config.Config, main cliMain, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := main(context.Background(), cfg, slog.New(slog.DiscardHandler), args, &out, &errb)
	return cliResult{code, out.String(), errb.String()}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodCSV = "first_name,last_name,company,mobile_number,business_number\nAnna,Alt,,0171 1111111,+49 30 1234567\n,,\"ACME, GmbH\",,030 9999999\n"

func TestContactsImportExportLookup(t *testing.T) {
	cfg := testCLIConfig(t)
	r := runCLI(t, cfg, contacts, "import", writeFile(t, "c.csv", goodCSV))
	if r.code != 0 || !strings.Contains(r.stdout, "imported 2 contacts") {
		t.Fatalf("import: %+v", r)
	}
	// In no phonebook, a company contact names nobody by default...
	if r := runCLI(t, cfg, lookupCmd, "030 1234567", "--callee", "1001"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("contact in no phonebook named a caller: %+v", r)
	}
	// ...unless every company contact may name callers.
	cfg.Lookup.IdentifyFromAllCompanyContacts = true
	r = runCLI(t, cfg, contacts, "export")
	if r.code != 0 || !strings.HasPrefix(r.stdout, strings.Join(contactfile.Columns, ",")+"\n") || !strings.Contains(r.stdout, `"ACME, GmbH"`) {
		t.Fatalf("export: %+v", r)
	}
	tests := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"030 1234567"}, 0, []string{"number: +49301234567\n", "name: Anna Alt\n", "source: company\n", "contact: "}},
		{[]string{"004930 9999999", "--callee", "1001"}, 0, []string{"name: ACME, GmbH\n"}},
		{[]string{"--callee=1001", "+491711111111"}, 0, []string{"name: Anna Alt\n"}},
		{[]string{"+4940 555"}, 1, nil},
	}
	for _, tt := range tests {
		r := runCLI(t, cfg, lookupCmd, tt.args...)
		if r.code != tt.code {
			t.Errorf("lookup %v: status %d, want %d (%+v)", tt.args, r.code, tt.code, r)
		}
		for _, w := range tt.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("lookup %v: stdout %q lacks %q", tt.args, r.stdout, w)
			}
		}
	}
}

func TestContactsImportPrefixes(t *testing.T) {
	cfg := testCLIConfig(t)
	r := runCLI(t, cfg, contacts, "import-prefixes", writeFile(t, "p.csv", "prefix,name\n+4930123*,ACME Berlin\n"))
	if r.code != 0 || !strings.Contains(r.stdout, "imported 1 prefix rules") {
		t.Fatalf("import-prefixes: %+v", r)
	}
	r = runCLI(t, cfg, lookupCmd, "030 1234567")
	if r.code != 0 || !strings.Contains(r.stdout, "name: ACME Berlin\nsource: prefix\n") {
		t.Errorf("lookup: %+v", r)
	}
	r = runCLI(t, cfg, contacts, "export-prefixes")
	if r.code != 0 || r.stdout != "prefix,name\n+4930123*,ACME Berlin\n" {
		t.Errorf("export-prefixes: %+v", r)
	}
}

func TestContactsImportRejected(t *testing.T) {
	cfg := testCLIConfig(t)
	r := runCLI(t, cfg, contacts, "import", writeFile(t, "bad.csv", "first_name,mobile_number\nAnna,0171 1\nBert,not a number\n"))
	if r.code != 1 || !strings.Contains(r.stderr, "line 3: mobile_number") || !strings.Contains(r.stderr, "nothing written") {
		t.Fatalf("bad import: %+v", r)
	}
	if r := runCLI(t, cfg, contacts, "export"); r.stdout != strings.Join(contactfile.Columns, ",")+"\n" {
		t.Errorf("rejected import wrote contacts: %q", r.stdout)
	}
	if r := runCLI(t, cfg, contacts, "import", filepath.Join(t.TempDir(), "missing.csv")); r.code != 1 {
		t.Errorf("missing file: %+v", r)
	}
}

func TestContactsUsage(t *testing.T) {
	cfg := testCLIConfig(t)
	for _, args := range [][]string{{}, {"frob"}, {"import"}, {"import", "a", "b"}, {"export", "x"}} {
		if r := runCLI(t, cfg, contacts, args...); r.code != 2 || !strings.Contains(r.stderr, "usage:") {
			t.Errorf("contacts %v: %+v", args, r)
		}
	}
	for _, args := range [][]string{{}, {"--callee"}, {"1", "2"}, {"--callee", "1001"}, {"-x", "1"}} {
		if r := runCLI(t, cfg, lookupCmd, args...); r.code != 2 || !strings.Contains(r.stderr, "usage:") {
			t.Errorf("lookup %v: %+v", args, r)
		}
	}
}

func TestCommandsReportLockedStore(t *testing.T) {
	cfg := testCLIConfig(t)
	db, err := store.Open(cfg.Store, nil, store.WithLookup(cfg.Lookup))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, r := range []cliResult{
		runCLI(t, cfg, contacts, "import", writeFile(t, "c.csv", goodCSV)),
		runCLI(t, cfg, contacts, "export"),
		runCLI(t, cfg, lookupCmd, "030 1234567"),
	} {
		if r.code != 1 || !strings.Contains(r.stderr, "is in use by another cidproxy process") || !strings.Contains(r.stderr, "stop it or use its API") {
			t.Errorf("locked store: %+v", r)
		}
	}
}

func TestContactsImportIntoPhonebook(t *testing.T) {
	cfg := testCLIConfig(t)
	db, err := store.Open(cfg.Store, nil, store.WithLookup(cfg.Lookup))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.PutExtension(ctx, lookup.Extension{Number: "1001", Name: "Alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutPhonebook(ctx, lookup.Phonebook{Name: "Sales", View: []string{"1001"}}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	if r := runCLI(t, cfg, contacts, "import", "--phonebook", "Nope", writeFile(t, "c.csv", goodCSV)); r.code != 1 {
		t.Fatalf("import into a missing phonebook: %+v", r)
	}
	if r := runCLI(t, cfg, contacts, "import", "--phonebook", "sales", writeFile(t, "c.csv", goodCSV)); r.code != 0 {
		t.Fatalf("import --phonebook: %+v", r)
	}
	r := runCLI(t, cfg, lookupCmd, "030 1234567", "--callee", "1001")
	if r.code != 0 || !strings.Contains(r.stdout, "name: Anna Alt\n") || !strings.Contains(r.stdout, "phonebook: Sales\n") {
		t.Fatalf("lookup for a viewer of Sales: %+v", r)
	}
	if r := runCLI(t, cfg, lookupCmd, "030 1234567", "--callee", "1002"); r.code != 1 {
		t.Fatalf("extension 1002 may not see Sales but got a name: %+v", r)
	}
}

// TestContactsImportOnFullDisk: with less free space than
// store.min_free_space, an import fails with a message saying why
// (instead of Badger dying with SIGBUS on a full disk), and lookups work.
func TestContactsImportOnFullDisk(t *testing.T) {
	cfg := testCLIConfig(t)
	if r := runCLI(t, cfg, contacts, "import", writeFile(t, "c.csv", goodCSV)); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	cfg.Store.MinFreeSpace = 1 << 60 // more than any disk has free
	r := runCLI(t, cfg, contacts, "import", writeFile(t, "d.csv", "first_name,mobile_number\nBob,0171 2222222\n"))
	if r.code != 1 || !strings.Contains(r.stderr, "below the reserve") || !strings.Contains(r.stderr, "writes are refused until space is freed") {
		t.Fatalf("import on a full disk: %+v", r)
	}
	cfg.Lookup.IdentifyFromAllCompanyContacts = true
	if r := runCLI(t, cfg, lookupCmd, "030 1234567"); r.code != 0 || !strings.Contains(r.stdout, "name: Anna Alt") {
		t.Errorf("lookup on a full disk: %+v", r)
	}
}
