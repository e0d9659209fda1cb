package phonedir

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"testing"

	"cidproxy/lookup"
)

var fuzzRoots = map[Format]string{
	Yealink: "YealinkIPPhoneDirectory", Grandstream: "AddressBook",
	Cisco: "CiscoIPPhoneDirectory", XML: "Directory",
}

// FuzzRender checks that any contact strings give well-formed XML that
// follows the vendor schema, valid JSON, and the same sanitised name in
// every format.
func FuzzRender(f *testing.F) {
	f.Add("Sales", "Jürgen", "Müller", "ACME", "+49 30 123", "1001", "http://pbx/dir?t=1")
	f.Add("<&>", "<script>", "\"'&", "]]>", "\x00\x01", "\xff\xfe", "%zz")
	f.Add("\uFFFE", "\r\n\t", "  ", "🚀", "\u0085", "tel:1", "")
	f.Fuzz(func(t *testing.T, title, first, last, company, num1, num2, base string) {
		for _, s := range []string{title, first, last, company, num1} {
			if isPlain(s) != (clean(s) == s) {
				t.Fatalf("isPlain(%q) = %v, clean = %q", s, isPlain(s), clean(s))
			}
		}
		c := lookup.Contact{ID: first, FirstName: first, LastName: last, Company: company, Email: last, Mobile: num1, Other: num2}
		dir := Directory{Title: title, Contacts: []lookup.Contact{c, c}, Labels: true}
		var names []string
		for f, root := range fuzzRoots {
			var buf bytes.Buffer
			if err := Render(&buf, f, dir, Page{BaseURL: base}); err != nil {
				if f == Cisco && base != "" {
					continue // unparsable base URL is an error, not output
				}
				t.Fatalf("%s: %v", f, err)
			}
			if err := checkSchema(buf.Bytes(), root); err != nil {
				t.Fatalf("%s: %v\n%s", f, err, buf.Bytes())
			}
			if f == Yealink {
				var y yealinkDir
				if err := xml.Unmarshal(buf.Bytes(), &y); err != nil {
					t.Fatal(err)
				}
				for _, e := range y.Entries {
					names = append(names, e.Name)
				}
			}
		}
		var buf bytes.Buffer
		if err := Render(&buf, JSON, dir, Page{}); err != nil {
			t.Fatal(err)
		}
		var jd JSONDirectory
		if err := json.Unmarshal(buf.Bytes(), &jd); err != nil {
			t.Fatalf("json: %v\n%s", err, buf.Bytes())
		}
		if len(jd.Contacts) != len(names) {
			t.Fatalf("json has %d contacts, yealink %d", len(jd.Contacts), len(names))
		}
		for i, jc := range jd.Contacts {
			if jc.Name != names[i] || jc.Name == "" {
				t.Fatalf("name %q in JSON, %q in Yealink", jc.Name, names[i])
			}
		}
		buf.Reset()
		if err := RenderCiscoSearch(&buf, title, base); err == nil {
			if err := checkSchema(buf.Bytes(), "CiscoIPPhoneInput"); err != nil {
				t.Fatalf("search: %v\n%s", err, buf.Bytes())
			}
		}
	})
}
