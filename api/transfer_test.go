package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"cidproxy/api/vcard"
	"cidproxy/contactfile"
	"cidproxy/lookup"
	"cidproxy/store"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *env) count(path, token string) int {
	e.t.Helper()
	var p page[lookup.Contact]
	e.expect(req{method: "GET", path: path + "?limit=1000", token: token}, 200).decode(e.t, &p)
	return len(p.Items)
}

func TestImportCSV(t *testing.T) {
	e := newEnv(t)
	sales := "/api/v1/phonebooks/" + e.pb["sales"]
	var rep importReport
	e.expect(req{method: "POST", path: sales + "/import", token: e.tok["1002"], body: readFile(t, "testdata/contacts.csv"), ctype: "text/csv; charset=utf-8"}, 200).decode(t, &rep)
	if rep.Imported != 3 || len(rep.Rejected) != 0 {
		t.Fatalf("report %+v", rep)
	}
	var p page[lookup.Contact]
	e.expect(req{method: "GET", path: sales + "/contacts?q=m%C3%BCller", token: e.tok["1001"]}, 200).decode(t, &p)
	if len(p.Items) != 1 {
		t.Fatalf("Müller after import: %+v", p.Items)
	}
	c := p.Items[0]
	if c.Company != "Müller & Söhne, GmbH" || c.Remark != "two\nlines" || c.City != "München" || c.Source != lookup.ContactSourceCSV {
		t.Errorf("imported %+v", c)
	}
	if n := e.count(sales+"/contacts", e.tok["1001"]); n != 4 {
		t.Errorf("sales has %d contacts, want 4", n)
	}
	// The same through /contacts/import?phonebook=.
	e.expect(req{method: "POST", path: "/api/v1/contacts/import?phonebook=" + e.pb["sales"], token: e.tok["1002"], body: readFile(t, "testdata/contacts.csv"), ctype: "text/csv"}, 200)
	if n := e.count(sales+"/contacts", e.admin); n != 7 {
		t.Errorf("sales has %d contacts, want 7", n)
	}
}

func TestImportPermissions(t *testing.T) {
	e := newEnv(t)
	body := "first_name\nX\n"
	for _, tc := range []struct {
		path, who string
		code      int
	}{
		{"/api/v1/phonebooks/" + e.pb["sales"] + "/import", "1001", 403},
		{"/api/v1/phonebooks/" + e.pb["sales"] + "/import", "1003", 404},
		{"/api/v1/phonebooks/" + e.pb["secret"] + "/import", "1002", 404},
		{"/api/v1/phonebooks/" + e.pb["erp"] + "/import", "admin", 409},
		{"/api/v1/phonebooks/nope/import", "admin", 404},
		{"/api/v1/contacts/import", "1002", 403},
		{"/api/v1/contacts/import?phonebook=" + e.pb["secret"], "1002", 404},
		{"/api/v1/contacts/import", "admin", 200},
		{"/api/v1/extensions/1001/contacts/import", "1001", 200},
		{"/api/v1/extensions/1001/contacts/import", "1002", 404},
		{"/api/v1/extensions/1001/contacts/import", "admin", 200},
	} {
		r := e.do(req{method: "POST", path: tc.path, token: e.viewers()[tc.who], body: body, ctype: "text/csv"})
		if r.Code != tc.code {
			t.Errorf("%s as %s: %d, want %d: %s", tc.path, tc.who, r.Code, tc.code, r.Body)
		}
	}
	e.expect(req{method: "POST", path: "/api/v1/contacts/import", token: e.admin, body: `{"first_name":"x"}`}, 415)
	e.expect(req{method: "POST", path: "/api/v1/contacts/import", token: e.admin, body: body}, 415)
}

func TestImportCSVErrors(t *testing.T) {
	e := newEnv(t)
	path := "/api/v1/phonebooks/" + e.pb["support"] + "/import"
	for _, tc := range []struct {
		name, body, field, detail string
	}{
		{"unknown column", string(readFile(t, "testdata/contacts_badcol.csv")), "nickname", `unknown column "nickname"`},
		{"repeated column", "first_name,first_name\na,b\n", "first_name", "twice"},
		{"empty file", "", "header", "header row"},
		{"bad quoting", "first_name\n\"open\n", "", "row 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.expect(req{method: "POST", path: path, token: e.admin, body: tc.body, ctype: "text/csv"}, 422).problem(t)
			if p.Field != tc.field || !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("problem %+v", p)
			}
		})
	}
	p := e.expect(req{method: "POST", path: path, token: e.admin, body: readFile(t, "testdata/contacts_badcol.csv"), ctype: "text/csv"}, 422).problem(t)
	for _, col := range store.CSVColumns {
		if !strings.Contains(p.Detail, col) {
			t.Errorf("detail does not list column %s: %s", col, p.Detail)
		}
	}
	// Row errors: nothing is written, bad rows are named with line and field.
	// Unreadable rows (field count) are reported before values are checked.
	before := e.count("/api/v1/contacts", e.admin)
	for file, want := range map[string]lookup.ImportError{
		"testdata/contacts_bad.csv":      {Row: 4, Field: ""},
		"testdata/contacts_badvalue.csv": {Row: 3, Field: "mobile_number"},
	} {
		p = e.expect(req{method: "POST", path: path, token: e.admin, body: readFile(t, file), ctype: "text/csv"}, 422).problem(t)
		if len(p.Errors) != 1 || p.Errors[0].Row != want.Row || p.Errors[0].Field != want.Field || p.Field != want.Field {
			t.Errorf("%s: problem %+v", file, p)
		}
		if !strings.Contains(p.Detail, fmt.Sprintf("row %d", want.Row)) {
			t.Errorf("%s: detail %q", file, p.Detail)
		}
	}
	if after := e.count("/api/v1/contacts", e.admin); after != before {
		t.Errorf("all-or-nothing import wrote %d contacts", after-before)
	}
	// ?partial=1 writes the good rows and reports the others.
	var rep importReport
	e.expect(req{method: "POST", path: path + "?partial=1", token: e.admin, body: readFile(t, "testdata/contacts_bad.csv"), ctype: "text/csv"}, 200).decode(t, &rep)
	rows := map[int]string{}
	for _, ie := range rep.Rejected {
		rows[ie.Row] = ie.Field
	}
	if rep.Imported != 2 || len(rows) != 2 || rows[3] != "mobile_number" {
		t.Errorf("partial report %+v", rep)
	}
	if after := e.count("/api/v1/contacts", e.admin); after != before+2 {
		t.Errorf("partial import wrote %d contacts, want 2", after-before)
	}
}

func TestImportVCard(t *testing.T) {
	e := newEnv(t)
	path := "/api/v1/phonebooks/" + e.pb["support"] + "/import"
	want := map[string]string{
		"outlook21.vcf": "Jörg Grüßer",          // vCard 2.1, QUOTED-PRINTABLE, ISO-8859-1
		"google30.vcf":  "Jürgen Müller",        // 3.0, escapes
		"v40.vcf":       "Ada Augusta Lovelace", // 4.0, BOM, tel: URIs
	}
	for file, name := range want {
		var rep importReport
		e.expect(req{method: "POST", path: path, token: e.admin, body: readFile(t, "vcard/testdata/"+file), ctype: "text/vcard"}, 200).decode(t, &rep)
		if rep.Imported == 0 || len(rep.Rejected) != 0 {
			t.Errorf("%s: report %+v", file, rep)
		}
		got := names(t, e.expect(req{method: "GET", path: "/api/v1/contacts?q=" + strings.Fields(name)[len(strings.Fields(name))-1], token: e.tok["1003"]}, 200))
		if !slices.Contains(got, name) {
			t.Errorf("%s: search finds %v, want %s", file, got, name)
		}
	}
	// Content outside any card rejects the file.
	p := e.expect(req{method: "POST", path: path, token: e.admin, body: readFile(t, "vcard/testdata/hostile.vcf"), ctype: "text/x-vcard"}, 422).problem(t)
	if !strings.Contains(p.Detail, "line 1") {
		t.Errorf("hostile detail %q", p.Detail)
	}
	// A broken card: all-or-nothing names card and property; partial imports the rest.
	personal := "/api/v1/extensions/1003/contacts/import"
	p = e.expect(req{method: "POST", path: personal, token: e.tok["1003"], body: readFile(t, "testdata/partial.vcf"), ctype: "text/vcard"}, 422).problem(t)
	if len(p.Errors) != 1 || p.Errors[0].Row != 2 || p.Errors[0].Field != "NOTE" {
		t.Errorf("errors %+v", p.Errors)
	}
	var rep importReport
	e.expect(req{method: "POST", path: personal + "?partial=1", token: e.tok["1003"], body: readFile(t, "testdata/partial.vcf"), ctype: "text/vcard"}, 200).decode(t, &rep)
	if rep.Imported != 2 || len(rep.Rejected) != 1 || rep.Rejected[0].Row != 2 {
		t.Errorf("partial report %+v", rep)
	}
	got := names(t, e.expect(req{method: "GET", path: "/api/v1/extensions/1003/contacts", token: e.tok["1003"]}, 200))
	slices.Sort(got)
	if !slices.Equal(got, []string{"Good First", "Good Second"}) {
		t.Errorf("personal after partial import %v", got)
	}
}

func TestExport(t *testing.T) {
	e := newEnv(t)
	r := e.expect(req{method: "GET", path: "/api/v1/phonebooks/" + e.pb["sales"] + "/export", token: e.tok["1001"]}, 200)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], store.CSVColumns) || len(recs) != 2 || recs[1][0] != "Sam" {
		t.Errorf("export %q", recs)
	}
	// Round trip: the export imports again.
	var pb lookup.Phonebook
	e.expect(req{method: "POST", path: "/api/v1/phonebooks", token: e.admin, body: map[string]string{"name": "copy"}}, 201).decode(t, &pb)
	var rep importReport
	e.expect(req{method: "POST", path: "/api/v1/phonebooks/" + pb.ID + "/import", token: e.admin, body: r.Body, ctype: "text/csv"}, 200).decode(t, &rep)
	if rep.Imported != 1 {
		t.Errorf("round trip imported %d", rep.Imported)
	}
	// Visibility applies to exports.
	r = e.expect(req{method: "GET", path: "/api/v1/contacts/export?format=vcard&version=4.0", token: e.tok["1003"]}, 200)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/vcard") {
		t.Errorf("Content-Type %q", ct)
	}
	cards, err := vcard.Decode(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cards {
		if c.Version != "4.0" {
			t.Errorf("card version %q", c.Version)
		}
		got = append(got, c.Contact.DisplayName())
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"Eve Erp", "Sue Support"}) {
		t.Errorf("1003 exports %v", got)
	}
	r = e.expect(req{method: "GET", path: "/api/v1/extensions/1001/contacts/export", token: e.tok["1001"], header: map[string]string{"Accept": "text/vcard"}}, 200)
	if !bytes.Contains(r.Body, []byte("VERSION:3.0")) || !bytes.Contains(r.Body, []byte("FN:Paula Private")) {
		t.Errorf("personal vCard export %s", r.Body)
	}
	e.expect(req{method: "GET", path: "/api/v1/contacts/export?format=xls", token: e.admin}, 400)
	e.expect(req{method: "GET", path: "/api/v1/contacts/export?format=vcard&version=2.1", token: e.admin}, 400)
	e.expect(req{method: "GET", path: "/api/v1/contacts/export?phonebook=" + e.pb["secret"], token: e.tok["1001"]}, 404)
}

// Company imports with ?format= or ?mode= read the exports people have
// and re-import without duplicates, all or nothing (issue 16 item 5).
func TestMergedImportAPI(t *testing.T) {
	e := newEnv(t)
	google := "First Name,Last Name,Organization Name,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value\nGina,Google,G Corp,gina@g.example,Mobile,+49 171 7777777\n"
	path := "/api/v1/phonebooks/" + e.pb["sales"] + "/import?format=auto"
	for i, want := range []string{`"added":1,"updated":0,"unchanged":0`, `"added":0,"updated":0,"unchanged":1`} {
		r := e.expect(req{method: "POST", path: path, token: e.tok["1002"], body: google, ctype: "text/csv"}, 200)
		if !strings.Contains(string(r.Body), `"format":"google","mode":"merge","imported":1,`+want) {
			t.Errorf("import %d: %s", i+1, r.Body)
		}
	}
	if r := e.expect(req{method: "GET", path: "/api/v1/contacts?q=Gina", token: e.admin}, 200); strings.Count(string(r.Body), "Gina") != 1 {
		t.Errorf("re-import duplicated: %s", r.Body)
	}
	semicolon := "\ufefffirst_name;last_name;mobile_number\nSemi;Colon;0171 8888888\n"
	if r := e.expect(req{method: "POST", path: "/api/v1/contacts/import?mode=add", token: e.admin, body: semicolon, ctype: "text/csv"}, 200); !strings.Contains(string(r.Body), `"format":"cidproxy","mode":"add","imported":1,"added":1`) {
		t.Errorf("semicolon with BOM: %s", r.Body)
	}
	p := e.expect(req{method: "POST", path: "/api/v1/contacts/import?mode=merge", token: e.admin, body: "first_name,mobile_number\nA,0171 1\nB,not a number\n", ctype: "text/csv"}, 422).problem(t)
	if len(p.Errors) != 1 || p.Errors[0].Row != 3 || p.Errors[0].Field != "mobile_number" {
		t.Errorf("bad row: %+v", p)
	}
	e.expect(req{method: "POST", path: "/api/v1/contacts/import?mode=upsert", token: e.admin, body: google, ctype: "text/csv"}, 400)
	e.expect(req{method: "POST", path: "/api/v1/contacts/import?mode=merge&partial=1", token: e.admin, body: google, ctype: "text/csv"}, 400)
	e.expect(req{method: "POST", path: "/api/v1/contacts/import?format=auto", token: e.admin, body: "nope,col\n1,2\n", ctype: "text/csv"}, 422)
	// An extension token still needs a phonebook it manages.
	e.expect(req{method: "POST", path: "/api/v1/contacts/import?format=auto", token: e.tok["1002"], body: google, ctype: "text/csv"}, 403)
}

// The cidproxy export carries the phonebooks (by name) and imports back
// unchanged (issue 16 item 5).
func TestExportCidproxyRoundTrip(t *testing.T) {
	e := newEnv(t)
	r := e.expect(req{method: "GET", path: "/api/v1/contacts/export?format=cidproxy", token: e.admin}, 200)
	body := string(r.Body)
	if !strings.HasPrefix(body, strings.Join(contactfile.Columns, ",")+"\n") || !strings.Contains(body, "Sam,Sales,") || !strings.Contains(body, ",sales\n") ||
		r.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("export: %v\n%s", r.Header, body)
	}
	r = e.expect(req{method: "POST", path: "/api/v1/contacts/import?format=auto&mode=merge", token: e.admin, body: body, ctype: "text/csv"}, 200)
	if !strings.Contains(string(r.Body), `"added":0,"updated":0,"unchanged":`) {
		t.Errorf("re-import of the export changed something: %s", r.Body)
	}
	// An extension sees only the names of phonebooks it may view.
	r = e.expect(req{method: "GET", path: "/api/v1/contacts/export?format=cidproxy", token: e.tok["1003"]}, 200)
	if strings.Contains(string(r.Body), "secret") || strings.Contains(string(r.Body), ",sales") {
		t.Errorf("1003's export names a phonebook it may not view:\n%s", r.Body)
	}
}
