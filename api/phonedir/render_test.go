package phonedir

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"cidproxy/lookup"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// testDir has ordinary, hostile and edge-case contacts.
func testDir() Directory {
	return Directory{
		Title:  "ACME <Sales> & \"Support\"\x00",
		Groups: map[string]string{"pb-sales": "Sales", "pb-support": "Support & <Service>"},
		Contacts: []lookup.Contact{
			{ID: "1", FirstName: "Jürgen", LastName: "Müller", Company: "ACME GmbH", Email: "jm@example.com",
				Business: "+49 30 1234567", Mobile: "+49 171 1234567", HomeFax: "030 999", Phonebooks: []string{"pb-hidden", "pb-sales"}},
			{ID: "2", FirstName: `<script>alert("x")</script>`, LastName: "O'Brien & Sons", Other: "1001"},
			{ID: "3", FirstName: "Bell\x07\x00\x1b", LastName: "Control\r\nChars\t", Mobile: "+1\x00555\u00850100"},
			{ID: "4", FirstName: "Bad\xffUTF8\xc3", LastName: "Nonchar\uFFFE\uFFFF", Business: "200"},
			{ID: "5", Company: "Only Company 🚀 Ltd", Business: "300", Business2: "301", Phonebooks: []string{"pb-support"}},
			{ID: "6", FirstName: "No", LastName: "Numbers", Email: "nobody@example.com"},
			{ID: "7", FirstName: "A Very Long Name That Exceeds Thirty-Two Characters", Mobile: "400", Home: "401"},
		},
	}
}

func render(t testing.TB, f Format, dir Directory, p Page) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, f, dir, p); err != nil {
		t.Fatalf("Render(%s): %v", f, err)
	}
	return buf.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (check, then run with -update):\n%s", name, got)
	}
}

func TestGolden(t *testing.T) {
	dir := testDir()
	labelled := dir
	labelled.Labels = true
	gs := dir
	gs.Account = 2
	base := "http://pbx.example:8080/phonebook/cisco?token=t%26k&view=all"
	tests := []struct {
		file string
		f    Format
		dir  Directory
		page Page
		root string
	}{
		{"yealink.xml", Yealink, dir, Page{}, "YealinkIPPhoneDirectory"},
		{"yealink_labels.xml", Yealink, labelled, Page{}, "YealinkIPPhoneDirectory"},
		{"grandstream.xml", Grandstream, gs, Page{}, "AddressBook"},
		{"cisco_page1.xml", Cisco, dir, Page{Limit: 4, BaseURL: base}, "CiscoIPPhoneDirectory"},
		{"cisco_page2.xml", Cisco, dir, Page{Offset: 4, Limit: 4, BaseURL: base}, "CiscoIPPhoneDirectory"},
		{"cisco_nokeys.xml", Cisco, dir, Page{}, "CiscoIPPhoneDirectory"},
		{"snom.xml", Snom, dir, Page{}, "SnomIPPhoneDirectory"},
		{"plain.xml", XML, dir, Page{}, "Directory"},
		{"plain.json", JSON, dir, Page{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out := render(t, tt.f, tt.dir, tt.page)
			if tt.root != "" {
				if err := checkSchema(out, tt.root); err != nil {
					t.Fatalf("schema: %v\n%s", err, out)
				}
			} else if !json.Valid(out) {
				t.Fatalf("invalid JSON:\n%s", out)
			}
			golden(t, tt.file, out)
		})
	}
	var buf bytes.Buffer
	if err := RenderCiscoSearch(&buf, "Search <ACME>", "http://pbx.example/phonebook/cisco?token=a&b=c"); err != nil {
		t.Fatal(err)
	}
	if err := checkSchema(buf.Bytes(), "CiscoIPPhoneInput"); err != nil {
		t.Fatalf("schema: %v", err)
	}
	t.Run("cisco_search.xml", func(t *testing.T) { golden(t, "cisco_search.xml", buf.Bytes()) })
}

func TestYealinkContent(t *testing.T) {
	dir := testDir()
	dir.Labels = true
	var y yealinkDir
	if err := xml.Unmarshal(render(t, Yealink, dir, Page{}), &y); err != nil {
		t.Fatal(err)
	}
	if len(y.Entries) != 6 {
		t.Fatalf("%d entries, want 6 (contact without numbers skipped)", len(y.Entries))
	}
	wantNames := []string{"Jürgen Müller", `<script>alert("x")</script> O'Brien & Sons`, "Bell Control Chars", "BadUTF8 Nonchar", "Only Company 🚀 Ltd", "A Very Long Name That Exceeds Thirty-Two Characters"}
	for i, e := range y.Entries {
		if e.Name != wantNames[i] {
			t.Errorf("entry %d name %q, want %q", i, e.Name, wantNames[i])
		}
	}
	first := y.Entries[0].Telephones
	if len(first) != 3 || first[0].Number != "+49 30 1234567" || first[0].Label != "Work" || first[1].Label != "Mobile" || first[2].Label != "Home Fax" {
		t.Errorf("telephones %+v", first)
	}
	if got := y.Entries[2].Telephones[0].Number; got != "+15550100" {
		t.Errorf("control characters not stripped from number: %q", got)
	}
}

func TestGrandstreamContent(t *testing.T) {
	dir := testDir()
	dir.Account = 9 // clamped to the documented 0-5
	var g grandstreamBook
	if err := xml.Unmarshal(render(t, Grandstream, dir, Page{}), &g); err != nil {
		t.Fatal(err)
	}
	if g.Version != 1 || len(g.Contacts) != 6 {
		t.Fatalf("version %d, %d contacts", g.Version, len(g.Contacts))
	}
	c := g.Contacts[0]
	if c.FirstName != "Jürgen" || c.LastName != "Müller" || len(c.Phones) != 3 {
		t.Fatalf("contact %+v", c)
	}
	for i, want := range []string{"Work", "Mobile", "Fax"} {
		if c.Phones[i].Type != want || c.Phones[i].AccountIndex != 5 {
			t.Errorf("phone %d: %+v, want type %s account 5", i, c.Phones[i], want)
		}
	}
	if co := g.Contacts[4]; co.FirstName != "Only Company 🚀 Ltd" || co.LastName != "" {
		t.Errorf("company-only contact: %+v", co)
	}
	// E-mail, company and the phonebook as a group (issue 16 item 11).
	if len(g.Groups) != 2 || g.Groups[0].ID != 1 || g.Groups[0].Name != "Sales" || g.Groups[1].Name != "Support & <Service>" {
		t.Errorf("pbgroups %+v", g.Groups)
	}
	if c.Mail.Type != "Work" || c.Mail.Address != "jm@example.com" || c.Company != "ACME GmbH" || c.Group != 1 {
		t.Errorf("contact fields %+v", c)
	}
	if co := g.Contacts[4]; co.Group != 2 || co.Mail.Address != "" {
		t.Errorf("company-only contact's group: %+v", co)
	}
}

// Snom gets one DirectoryEntry per number, labelled when a contact has
// several (issue 16 item 11: /phonebook/snom answered 404).
func TestSnomContent(t *testing.T) {
	var d snomDir
	if err := xml.Unmarshal(render(t, Snom, testDir(), Page{}), &d); err != nil {
		t.Fatal(err)
	}
	if d.Title != `ACME <Sales> & "Support"` || len(d.Entries) != 10 {
		t.Fatalf("title %q, %d entries", d.Title, len(d.Entries))
	}
	want := [][2]string{{"Jürgen Müller (Work)", "+49 30 1234567"}, {"Jürgen Müller (Mobile)", "+49 171 1234567"}, {"Jürgen Müller (Home Fax)", "030 999"},
		{`<script>alert("x")</script> O'Brien & Sons`, "1001"}}
	for i, w := range want {
		if e := d.Entries[i]; e.Name != w[0] || e.Telephone != w[1] {
			t.Errorf("entry %d: %+v, want %v", i, e, w)
		}
	}
	if got := render(t, Snom, testDir(), Page{Offset: 5, Limit: 1}); !bytes.Contains(got, []byte("A Very Long Name That Exceeds Thirty-Two Characters (Mobile)")) || bytes.Count(got, []byte("<DirectoryEntry>")) != 2 {
		t.Errorf("page: %s", got)
	}
}

func TestPlainWindows(t *testing.T) {
	dir := testDir()
	for _, tt := range []struct {
		p           Page
		ids         []string
		total, from int
	}{
		{Page{}, []string{"1", "2", "3", "4", "5", "7"}, 6, 0},
		{Page{Offset: 2, Limit: 2}, []string{"3", "4"}, 6, 2},
		{Page{Offset: 5, Limit: 10}, []string{"7"}, 6, 5},
		{Page{Offset: 50}, nil, 6, 6},
	} {
		var px plainDir
		if err := xml.Unmarshal(render(t, XML, dir, tt.p), &px); err != nil {
			t.Fatal(err)
		}
		var jd JSONDirectory
		if err := json.Unmarshal(render(t, JSON, dir, tt.p), &jd); err != nil {
			t.Fatal(err)
		}
		var xids, jids []string
		for _, c := range px.Contacts {
			xids = append(xids, c.ID)
		}
		for _, c := range jd.Contacts {
			jids = append(jids, c.ID)
		}
		if !reflect.DeepEqual(xids, tt.ids) || !reflect.DeepEqual(jids, tt.ids) || px.Total != tt.total || jd.Total != tt.total || px.Offset != tt.from || jd.Offset != tt.from {
			t.Errorf("%+v: xml %v/%d/%d json %v/%d/%d", tt.p, xids, px.Total, px.Offset, jids, jd.Total, jd.Offset)
		}
	}
	var jd JSONDirectory
	if err := json.Unmarshal(render(t, JSON, dir, Page{Limit: 1}), &jd); err != nil {
		t.Fatal(err)
	}
	want := JSONContact{ID: "1", Name: "Jürgen Müller", FirstName: "Jürgen", LastName: "Müller", Company: "ACME GmbH", Email: "jm@example.com",
		Numbers: []JSONNumber{{"business_number", "Work", "+49 30 1234567"}, {"mobile_number", "Mobile", "+49 171 1234567"}, {"home_fax", "Home Fax", "030 999"}}}
	if !reflect.DeepEqual(jd.Contacts[0], want) || jd.Title != `ACME <Sales> & "Support"` {
		t.Errorf("got %+v title %q", jd.Contacts[0], jd.Title)
	}
}

func TestRenderErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, "polycom", testDir(), Page{}); !errors.Is(err, ErrFormat) {
		t.Errorf("unknown format: %v", err)
	}
	if err := Render(&buf, XML, testDir(), Page{Offset: -1}); err == nil {
		t.Error("negative offset accepted")
	}
	if err := Render(&buf, Cisco, testDir(), Page{BaseURL: "http://[::1"}); err == nil {
		t.Error("bad base URL accepted")
	}
	if err := Render(failWriter{}, Yealink, testDir(), Page{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("write error: %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("failed renders wrote %q", buf.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"yealink", "YEALINK", " cisco ", "Grandstream", "snom", "Snom", "xml", "json"} {
		if _, err := ParseFormat(s); err != nil {
			t.Errorf("ParseFormat(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "polycom", "xml2"} {
		if _, err := ParseFormat(s); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseFormat(%q) = %v", s, err)
		}
	}
	if JSON.ContentType() != "application/json; charset=utf-8" || Cisco.ContentType() != "text/xml; charset=utf-8" {
		t.Error("content types")
	}
}

func TestSearch(t *testing.T) {
	cs := testDir().Contacts
	ids := func(cs []lookup.Contact) (out []string) {
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	tests := []struct {
		name, number string
		want         []string
	}{
		{"MULL", "", []string{"1"}},
		{"jurgen", "", []string{"1"}},
		{"acme", "", []string{"1"}},
		{"", "171 123", []string{"1"}},
		{"", "(030) 999", []string{"1"}},
		{"o'brien", "1001", []string{"2"}},
		{"müller", "1001", nil},
		{"", "", ids(cs)},
		{"company", "", []string{"5"}},
	}
	for _, tt := range tests {
		if got := ids(Search(cs, tt.name, tt.number)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Search(%q, %q) = %v, want %v", tt.name, tt.number, got, tt.want)
		}
	}
}

func TestDialable(t *testing.T) {
	for in, want := range map[string]string{
		"+49 (30) 123-45": "+493012345", "0049 30 1": "0049301", "*21#": "*21#", "1+2": "12", "abc": "", "": "",
	} {
		if got := DialString(in); got != want {
			t.Errorf("DialString(%q) = %q, want %q", in, got, want)
		}
	}
	dir := testDir()
	dir.Dialable = DialString
	var y yealinkDir
	if err := xml.Unmarshal(render(t, Yealink, dir, Page{}), &y); err != nil {
		t.Fatal(err)
	}
	if got := y.Entries[0].Telephones[0].Number; got != "+49301234567" {
		t.Errorf("Dialable not applied: %q", got)
	}
	// A rewrite to nothing keeps the number as written, so Cisco row
	// counts (made before rewriting) stay right.
	dir.Dialable = func(string) string { return "" }
	var c ciscoDir
	if err := xml.Unmarshal(render(t, Cisco, dir, Page{Offset: 8}), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Entries) != 2 || c.Prompt != "9-10 of 10" || c.Entries[1].Telephone != "401" {
		t.Errorf("got %d entries, prompt %q", len(c.Entries), c.Prompt)
	}
}
