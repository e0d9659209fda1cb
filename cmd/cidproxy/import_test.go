package main

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cidproxy/config"
	"cidproxy/lookup"
)

const samples = "../../contactfile/testdata/"

// The exports people have import from the CLI, detected by their header
// (or the vCard BEGIN), and name callers.
func TestImportRealExports(t *testing.T) {
	tests := []struct {
		file, format string
		n            int
		number, name string
	}{
		{"google.csv", "google", 3, "+4917111111 11", "Anna Schmidt"},
		{"google-legacy.csv", "google", 1, "040 5556666", "Carla Weber"},
		{"outlook.csv", "outlook", 2, "0160 9998888", "Dieter Fischer"},
		{"outlook-de-semicolon-bom.csv", "outlook", 2, "0711 2223334", "Jürgen Müller"},
		{"contacts.vcf", "vcard", 2, "0351 1212121", "Ingo Wagner"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			cfg := testCLIConfig(t)
			cfg.Lookup.IdentifyFromAllCompanyContacts = true
			r := runCLI(t, cfg, contacts, "import", samples+tc.file)
			want := "imported " + itoa(tc.n) + " contacts from " + samples + tc.file + " (" + tc.format + ", merge): " + itoa(tc.n) + " added"
			if r.code != 0 || !strings.HasPrefix(r.stdout, want) {
				t.Fatalf("import: %+v\nwant %s", r, want)
			}
			if r := runCLI(t, cfg, lookupCmd, tc.number); r.code != 0 || !strings.Contains(r.stdout, "name: "+tc.name+"\n") {
				t.Errorf("lookup %s: %+v", tc.number, r)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// Re-importing a file changes nothing; a changed row updates its contact;
// replace deletes what the file no longer has.
func TestReimportIdempotent(t *testing.T) {
	cfg := testCLIConfig(t)
	cfg.Lookup.IdentifyFromAllCompanyContacts = true
	file := samples + "google.csv"
	for i, want := range []string{": 3 added, 0 updated, 0 unchanged, 0 deleted", ": 0 added, 0 updated, 3 unchanged, 0 deleted"} {
		if r := runCLI(t, cfg, contacts, "import", file); r.code != 0 || !strings.HasSuffix(r.stdout, want+"\n") {
			t.Fatalf("import %d: %+v", i+1, r)
		}
	}
	b, _ := os.ReadFile(file)
	changed := writeFile(t, "g.csv", strings.Replace(string(b), "030 7654321", "030 7654000", 1))
	if r := runCLI(t, cfg, contacts, "import", changed); r.code != 0 || !strings.HasSuffix(r.stdout, ": 0 added, 1 updated, 2 unchanged, 0 deleted\n") {
		t.Fatalf("changed row: %+v", r)
	}
	if r := runCLI(t, cfg, lookupCmd, "030 7654000"); r.code != 0 || !strings.Contains(r.stdout, "Bernd Becker") {
		t.Errorf("updated number: %+v", r)
	}
	if r := runCLI(t, cfg, lookupCmd, "030 7654321"); r.code != 1 {
		t.Errorf("old number still names the caller: %+v", r)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	fewer := writeFile(t, "g2.csv", strings.Join(append(lines[:1], lines[len(lines)-1]), "\n")+"\n")
	if r := runCLI(t, cfg, contacts, "import", "--mode", "replace", fewer); r.code != 0 || !strings.HasSuffix(r.stdout, ": 0 added, 0 updated, 1 unchanged, 2 deleted\n") {
		t.Fatalf("replace: %+v", r)
	}
	if r := runCLI(t, cfg, contacts, "export"); strings.Count(r.stdout, "\n") != 2 || !strings.Contains(r.stdout, "Pizzeria Roma") {
		t.Errorf("after replace: %q", r.stdout)
	}
	if r := runCLI(t, cfg, contacts, "import", "--mode", "add", fewer); r.code != 0 || !strings.HasSuffix(r.stdout, ": 1 added, 0 updated, 0 unchanged, 0 deleted\n") {
		t.Errorf("add: %+v", r)
	}
	for _, bad := range [][]string{{"--mode", "upsert"}, {"--format", "excel"}} {
		if r := runCLI(t, cfg, contacts, append(append([]string{"import"}, bad...), file)...); r.code != 2 {
			t.Errorf("%v: %+v", bad, r)
		}
	}
}

// Export carries the phonebooks; importing the export changes nothing, and
// into another store it gives the same export.
func TestExportImportRoundTrip(t *testing.T) {
	cfg := testCLIConfig(t)
	makeBooks(t, cfg)
	if r := runCLI(t, cfg, contacts, "import", samples+"cidproxy-semicolon-bom.csv"); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	runCLI(t, cfg, contacts, "import", "--phonebook", "Support", samples+"contacts.vcf")
	first := runCLI(t, cfg, contacts, "export").stdout
	if !strings.Contains(first, `,Sales|Support`) || !strings.Contains(first, "Hanna,Hoffmann") || strings.Count(first, "\n") != 5 {
		t.Fatalf("export:\n%s", first)
	}
	exported := writeFile(t, "export.csv", first)
	if r := runCLI(t, cfg, contacts, "import", exported); r.code != 0 || !strings.HasSuffix(r.stdout, ": 0 added, 0 updated, 4 unchanged, 0 deleted\n") {
		t.Errorf("re-import of the export: %+v", r)
	}
	other := testCLIConfig(t)
	makeBooks(t, other)
	if r := runCLI(t, other, contacts, "import", exported); r.code != 0 {
		t.Fatalf("import into another store: %+v", r)
	}
	if again := runCLI(t, other, contacts, "export").stdout; sortedLines(again) != sortedLines(first) {
		t.Errorf("round trip changed the export:\n%s\nwant\n%s", again, first)
	}
	// A phonebook the file names must exist.
	if r := runCLI(t, testCLIConfig(t), contacts, "import", exported); r.code != 1 || !strings.Contains(r.stderr, `phonebook "Sales" does not exist`) || !strings.Contains(r.stderr, "nothing written") {
		t.Errorf("missing phonebook: %+v", r)
	}
}

// makeBooks creates the phonebooks Sales and Support.
func makeBooks(t *testing.T, cfg *config.Config) {
	t.Helper()
	db, err := openStore(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range []string{"Sales", "Support"} {
		if _, err := db.PutPhonebook(context.Background(), lookup.Phonebook{Name: name, ViewAll: true}); err != nil {
			t.Fatal(err)
		}
	}
}

func sortedLines(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(l)
	return strings.Join(l, "\n")
}

// Importing without a phonebook says why the contacts name nobody yet.
func TestImportWithoutPhonebookSaysWhy(t *testing.T) {
	cfg := testCLIConfig(t)
	r := runCLI(t, cfg, contacts, "import", samples+"outlook.csv")
	if r.code != 0 || !strings.Contains(r.stderr, "in no phonebook, so they name no caller yet") {
		t.Errorf("%+v", r)
	}
}

// The newcomer's first hour from the README: a phonebook everyone views,
// an import into it, and callers have names.
func TestFirstHourPhonebookImportLookup(t *testing.T) {
	cfg := testCLIConfig(t)
	pb := command("phonebook")
	if r := runCLI(t, cfg, pb, "create", "Company", "--view-all"); r.code != 0 || !strings.Contains(r.stdout, `created phonebook "Company"`) || !strings.Contains(r.stdout, "viewed by everyone") {
		t.Fatalf("create: %+v", r)
	}
	if r := runCLI(t, cfg, pb, "create", "Sales", "--view", "1001,1002"); r.code != 0 || !strings.Contains(r.stdout, "viewed by 1001,1002") {
		t.Fatalf("create Sales: %+v", r)
	}
	if r := runCLI(t, cfg, pb, "list"); r.code != 0 || !strings.Contains(r.stdout, "Company") || !strings.Contains(r.stdout, "everyone") || strings.Count(r.stdout, "\n") != 3 {
		t.Errorf("list: %+v", r)
	}
	if r := runCLI(t, cfg, contacts, "import", "--phonebook", "company", samples+"outlook.csv"); r.code != 0 || strings.Contains(r.stderr, "no phonebook") {
		t.Fatalf("import: %+v", r)
	}
	if r := runCLI(t, cfg, lookupCmd, "0160 9998888", "--callee", "1234"); r.code != 0 || !strings.Contains(r.stdout, "name: Dieter Fischer\n") || !strings.Contains(r.stdout, "phonebook: Company\n") {
		t.Errorf("lookup: %+v", r)
	}
	if r := runCLI(t, cfg, pb, "create", "Company"); r.code != 1 {
		t.Errorf("a second phonebook of the same name: %+v", r)
	}
}
