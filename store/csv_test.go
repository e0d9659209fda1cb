package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cidproxy/lookup"
	"cidproxy/store/storetest"
)

func importFile(t *testing.T, db *DB, name string) (int, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return db.ImportCSV(context.Background(), f, "")
}

func TestImportCSV(t *testing.T) {
	db := openTest(t, t.TempDir())
	n, err := importFile(t, db, "contacts-good.csv")
	if err != nil || n != 3 {
		t.Fatalf("ImportCSV = %d, %v", n, err)
	}
	tests := []struct{ number, name string }{
		{"+49 30 1234567", "Anna Alt"},
		{"01711111111", "Anna Alt"},
		{"+49309999999", "ACME, GmbH"},
		{"+4940555555", "Jürgen Öüztürk"},
	}
	for _, tt := range tests {
		r, err := db.Index().LookupNumber(tt.number)
		if err != nil || r.Name != tt.name || r.Source != lookup.SourceCompany {
			t.Errorf("%s: %+v %v, want %s", tt.number, r, err, tt.name)
		}
	}
	r, _ := db.Index().LookupNumber("+49301234567")
	c, err := db.GetContact(context.Background(), r.ContactID)
	if err != nil || c.Remark != "line one\nline two" || c.Source != "csv" || c.ReadOnly {
		t.Errorf("stored contact %+v %v", c, err)
	}
}

func TestImportCSVSyncedSourceIsReadOnly(t *testing.T) {
	db := openTest(t, t.TempDir())
	if _, err := db.ImportCSV(context.Background(), strings.NewReader("company\nX\n"), "sql:erp"); err != nil {
		t.Fatal(err)
	}
	page, _, _ := db.ListContacts(context.Background(), "", 10)
	if len(page) != 1 || !page[0].ReadOnly || page[0].Source != "sql:erp" {
		t.Errorf("contact %+v", page)
	}
}

func TestImportCSVErrorsWriteNothing(t *testing.T) {
	tests := []struct {
		file string
		want []string // substrings of the error
	}{
		{"bad-unknown-column.csv", []string{"line 1", `unknown column "fax"`}},
		{"bad-number.csv", []string{"line 3: mobile_number", `"not a number"`, "nothing written"}},
		{"bad-fieldcount.csv", []string{"line 3", "1 fields, the header has 2"}},
		{"bad-duplicate-column.csv", []string{"line 1", `"first_name" appears twice`}},
		{"bad-no-name.csv", []string{"line 2: first_name", "needs first_name, last_name or company"}},
		{"bad-quote.csv", []string{"line 2"}},
		{"bad-empty.csv", []string{"header row is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			dir := t.TempDir()
			db := openTest(t, dir)
			n, err := importFile(t, db, tt.file)
			if err == nil || n != 0 {
				t.Fatalf("ImportCSV = %d, %v; want an error", n, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			var ce *CSVError
			if !errors.As(err, &ce) {
				t.Errorf("error %v is not a *CSVError", err)
			}
			if db.Index().Contacts() != 0 {
				t.Errorf("index holds %d contacts", db.Index().Contacts())
			}
			if page, _, _ := db.ListContacts(context.Background(), "", 10); len(page) != 0 {
				t.Errorf("store holds %d contacts", len(page))
			}
		})
	}
}

func TestImportCSVReportsSeveralRows(t *testing.T) {
	db := openTest(t, t.TempDir())
	in := "first_name,mobile_number\nA,abc\nB,0171 1\nC,def\n"
	_, err := db.ImportCSV(context.Background(), strings.NewReader(in), "")
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "line 4") || strings.Contains(err.Error(), "line 3") {
		t.Errorf("err = %v", err)
	}
}

func TestImportCSVCancelled(t *testing.T) {
	db := openTest(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	_ = storetest.WriteContactsCSV(&buf, 10, 1)
	if _, err := db.ImportCSV(ctx, &buf, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if db.Index().Contacts() != 0 {
		t.Error("cancelled import wrote contacts")
	}
}

func readRows(t *testing.T, b []byte) (header []string, rows []string) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		rows = append(rows, strings.Join(r, "|"))
	}
	slices.Sort(rows)
	return recs[0], rows
}

func TestExportImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	var in bytes.Buffer
	if err := storetest.WriteContactsCSV(&in, 200, 7); err != nil {
		t.Fatal(err)
	}
	db := openTest(t, t.TempDir())
	if n, err := db.ImportCSV(ctx, &in, ""); err != nil || n != 200 {
		t.Fatalf("import: %d %v", n, err)
	}
	r, err := db.Index().LookupNumber(storetest.Mobile(42))
	if err != nil || r.Name != storetest.Name(42, 7) {
		t.Errorf("lookup generated contact: %+v %v, want %s", r, err, storetest.Name(42, 7))
	}
	var out1 bytes.Buffer
	if n, err := db.ExportCSV(ctx, &out1); err != nil || n != 200 {
		t.Fatalf("export: %d %v", n, err)
	}
	db2 := openTest(t, t.TempDir())
	if _, err := db2.ImportCSV(ctx, bytes.NewReader(out1.Bytes()), ""); err != nil {
		t.Fatalf("re-import of the export: %v", err)
	}
	var out2 bytes.Buffer
	if _, err := db2.ExportCSV(ctx, &out2); err != nil {
		t.Fatal(err)
	}
	h1, rows1 := readRows(t, out1.Bytes())
	_, rows2 := readRows(t, out2.Bytes())
	if !slices.Equal(h1, CSVColumns) {
		t.Errorf("export header %v", h1)
	}
	if !slices.Equal(rows1, rows2) {
		t.Error("export -> import -> export changed the rows")
	}
}

func TestPrefixRules(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	f, _ := os.Open("testdata/prefixes-good.csv")
	defer f.Close()
	if n, err := db.ImportPrefixCSV(ctx, f); err != nil || n != 3 {
		t.Fatalf("ImportPrefixCSV = %d %v", n, err)
	}
	for number, name := range map[string]string{"+49301231234": "ACME Berlin", "0221 12345": "Köln", "2001": "Internal"} {
		if r, err := db.Index().LookupNumber(number); err != nil || r.Name != name || r.Source != lookup.SourcePrefix {
			t.Errorf("%s: %+v %v", number, r, err)
		}
	}
	// Re-import replaces by prefix instead of failing or duplicating.
	if _, err := db.ImportPrefixCSV(ctx, strings.NewReader("prefix,name\n030123,ACME Mitte\n")); err != nil {
		t.Fatal(err)
	}
	rules, _ := db.ListPrefixRules(ctx)
	if len(rules) != 3 {
		t.Errorf("%d rules after re-import", len(rules))
	}
	if r, _ := db.Index().LookupNumber("+49301231234"); r.Name != "ACME Mitte" {
		t.Errorf("renamed rule: %+v", r)
	}
	// CRUD.
	r, err := db.PutPrefixRule(ctx, lookup.PrefixRule{Prefix: "+4940", Name: "Hamburg"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutPrefixRule(ctx, lookup.PrefixRule{Prefix: "040", Name: "HH"}); !errors.Is(err, lookup.ErrPrefixTaken) {
		t.Errorf("same prefix: %v", err)
	}
	if got, err := db.GetPrefixRule(ctx, r.ID); err != nil || got != r {
		t.Errorf("Get = %+v %v", got, err)
	}
	if err := db.DeletePrefixRule(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Index().LookupNumber("+49401234567"); !errors.Is(err, lookup.ErrNotFound) {
		t.Errorf("deleted rule still matches: %v", err)
	}
	var out bytes.Buffer
	if n, err := db.ExportPrefixCSV(ctx, &out); err != nil || n != 3 || !strings.HasPrefix(out.String(), "prefix,name\n") {
		t.Errorf("export %d %v %q", n, err, out.String())
	}
}

func TestPrefixImportErrors(t *testing.T) {
	for file, want := range map[string]string{
		"prefixes-bad-duplicate.csv": "line 3: prefix",
		"prefixes-bad-prefix.csv":    "line 2: prefix",
	} {
		db := openTest(t, t.TempDir())
		f, _ := os.Open(filepath.Join("testdata", file))
		_, err := db.ImportPrefixCSV(context.Background(), f)
		f.Close()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", file, err, want)
		}
		if db.Index().Rules() != 0 {
			t.Errorf("%s: rules written", file)
		}
	}
	db := openTest(t, t.TempDir())
	if _, err := db.ImportPrefixCSV(context.Background(), strings.NewReader("prefix\n1\n")); err == nil {
		t.Error("header without name accepted")
	}
}

func TestWithoutContactIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(testConfig(dir), nil, WithoutContactIndex())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importFile(t, db, "contacts-good.csv"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutPrefixRule(ctx, lookup.PrefixRule{Prefix: "+4930", Name: "Berlin"}); err != nil {
		t.Fatal(err)
	}
	if db.Index().Contacts() != 0 {
		t.Errorf("contacts indexed: %d", db.Index().Contacts())
	}
	if r, _ := db.Index().LookupNumber("+49301234567"); r.Source != lookup.SourcePrefix {
		t.Errorf("without contact index: %+v", r)
	}
	_ = db.Close()
	db2 := openTest(t, dir)
	mustLookupName(t, db2, "+49301234567", "Anna Alt")
}

func mustLookupName(t *testing.T, db *DB, number, name string) {
	t.Helper()
	if r, err := db.Index().LookupNumber(number); err != nil || r.Name != name {
		t.Errorf("%s: %+v %v, want %s", number, r, err, name)
	}
}

func TestImportSpoolDirIsCleanedUp(t *testing.T) {
	spool := t.TempDir()
	db := openTest(t, t.TempDir(), WithSpoolDir(spool))
	if _, err := importFile(t, db, "contacts-good.csv"); err != nil {
		t.Fatal(err)
	}
	if _, err := importFile(t, db, "bad-number.csv"); err == nil {
		t.Fatal("bad file imported")
	}
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Errorf("spool files left: %v", left)
	}
	bad := openTest(t, t.TempDir(), WithSpoolDir(filepath.Join(spool, "missing")))
	if _, err := importFile(t, bad, "contacts-good.csv"); err == nil {
		t.Error("import without a spool dir succeeded")
	}
}

// TestImportCSVRefusesControlCharacters (issue 15 item 11): a NUL byte in
// a CSV field is a row error naming line and column, not a stored name
// (the old code stored it and exported it as a space).
func TestImportCSVRefusesControlCharacters(t *testing.T) {
	db := openTest(t, t.TempDir())
	_, err := db.ImportCSV(context.Background(), strings.NewReader("first_name,company\nAnn,ACME\nB\x00b,X\n"), lookup.ContactSourceCSV)
	var ce *CSVError
	if !errors.As(err, &ce) || ce.Line != 3 || ce.Field != "first_name" || !strings.Contains(err.Error(), "control character") {
		t.Fatalf("import: %v", err)
	}
	if _, err := db.PutContact(context.Background(), lookup.Contact{Company: "A\x07B"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutContact with BEL: %v", err)
	}
	if _, err := db.PutPhonebook(context.Background(), lookup.Phonebook{Name: "N\x00"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutPhonebook with NUL: %v", err)
	}
}

// TestExportCSVNeutralisesFormulas (issue 15 item 12): the CLI's CSV
// exports quote-prefix text that a spreadsheet would run as a formula and
// keep phone numbers and prefixes as written.
func TestExportCSVNeutralisesFormulas(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	if _, err := db.PutContact(ctx, lookup.Contact{FirstName: "=1+2", Company: "@cmd", Mobile: "+49 171 2345678"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutPrefixRule(ctx, lookup.PrefixRule{Prefix: "+4930*", Name: "-Berlin"}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if _, err := db.ExportCSV(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "'=1+2,,'@cmd,,,,,+49 171 2345678,") {
		t.Errorf("contact export:\n%s", b.String())
	}
	b.Reset()
	if _, err := db.ExportPrefixCSV(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if b.String() != "prefix,name\n+4930*,'-Berlin\n" {
		t.Errorf("prefix export %q", b.String())
	}
}

func TestSafeCSVCell(t *testing.T) {
	for _, tc := range []struct {
		in     string
		number bool
		want   string
	}{
		{"", false, ""}, {"Ann", false, "Ann"}, {"=A1", false, "'=A1"}, {"+1", false, "'+1"},
		{"+49 (30) 123-4", true, "+49 (30) 123-4"}, {"+4930*", true, "+4930*"},
		{"=1+2", true, "'=1+2"}, {"+49 cmd|' /C calc'!A0", true, "'+49 cmd|' /C calc'!A0"}, {"@x", true, "'@x"},
	} {
		if got := SafeCSVCell(tc.in, tc.number); got != tc.want {
			t.Errorf("SafeCSVCell(%q, %v) = %q, want %q", tc.in, tc.number, got, tc.want)
		}
	}
}
