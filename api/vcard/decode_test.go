package vcard

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"cidproxy/lookup"
)

func decodeFile(t *testing.T, name string) []Record {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := Decode(f)
	if err != nil {
		t.Fatalf("Decode(%s): %v", name, err)
	}
	return recs
}

func TestDecodeExporterFixtures(t *testing.T) {
	tests := []struct {
		file string
		want []lookup.Contact
	}{
		{"google30.vcf", []lookup.Contact{{
			FirstName: "Jürgen", LastName: "Müller", Company: "ACME GmbH",
			Email:  "juergen.mueller@example.com",
			Mobile: "+49 171 1234567", Business: "+49 30 1234567", Home: "030 7654321", Other: "+49 30 999",
			Street: "Hauptstraße 1", City: "Berlin", Zip: "10115", Country: "Deutschland",
			Remark: "Ruft meist vormittags an, bitte\nan Vertrieb weiterleiten.",
		}, {
			FirstName: "Siobhán", LastName: "O'Brien",
			Business: "+353 1 555 0100", Business2: "+353 1 555 0101", BusinessFax: "+353 1 555 0199",
		}}},
		{"icloud30.vcf", []lookup.Contact{{
			ID: "2F6F8E3A-1111-2222-3333-444455556666", FirstName: "Johnny", LastName: "Appleseed",
			Company: "Apple Inc.", Email: "johnny@example.com",
			Mobile: "(408) 555-0101", Mobile2: "(408) 555-0102", Business: "(408) 555-0103",
			HomeFax: "(408) 555-0104", Business2: "(408) 555-0105", Other: "(408) 555-0106",
			BusinessFax: "(408) 555-0107", // "Other" label, other field taken: first free field
			Street:      "1 Infinite Loop", City: "Cupertino", State: "CA", Zip: "95014", Country: "United States",
		}, {
			Company: "Apple Store Union Square", Other: "(415) 555-0199",
		}}},
		{"outlook21.vcf", []lookup.Contact{{
			FirstName: "Jörg", LastName: "Grüßer", Company: "Bäckerei Grüßer & Söhne", Email: "joerg@example.de",
			Business: "+49 89 1234-0", Business2: "+49 89 1234-10", Home: "089 555 1234", Mobile: "0172 5551234",
			BusinessFax: "+49 89 1234-99", HomeFax: "089 555 1299", Other: "089 555 0000", Mobile2: "089 555 0001",
			Street: "Straße des 17. Juni 5", City: "München", State: "Bayern", Zip: "80331", Country: "Deutschland",
			Remark: "Erste Zeile\nZweite Zeile mit € und einem sehr langen Text, der umbrochen wurde.",
		}, {
			FirstName: "Renée", LastName: "Lefèvre", Mobile: "+33 6 12 34 56 78",
		}}},
		{"v40.vcf", []lookup.Contact{{
			ID: "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1", FirstName: "Ada Augusta", LastName: "Lovelace",
			Email: "ada@example.org", Business: "+44-20-7946-0000", Mobile: "+44-7700-900123",
			Home: "+44-20-7946-0999", Other: "+44 7700 900 456",
			Street: "12 St James's Square", City: "London", Zip: "SW1Y 4JH", Country: "United Kingdom",
			Remark: "Multi\nline, with \\backslash; and semicolon",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			recs := decodeFile(t, tt.file)
			if len(recs) != len(tt.want) {
				t.Fatalf("got %d records, want %d", len(recs), len(tt.want))
			}
			for i, r := range recs {
				if len(r.Errors) > 0 || len(r.Warnings) > 0 {
					t.Errorf("card %d: errors %v warnings %v", i+1, r.Errors, r.Warnings)
				}
				if r.Card != i+1 {
					t.Errorf("card %d: Card = %d", i+1, r.Card)
				}
				if !reflect.DeepEqual(r.Contact, tt.want[i]) {
					t.Errorf("card %d:\n got %+v\nwant %+v", i+1, r.Contact, tt.want[i])
				}
			}
		})
	}
}

func TestDecodeHostile(t *testing.T) {
	f, err := os.Open("testdata/hostile.vcf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := Decode(f)
	var ve *Error
	if !errors.As(err, &ve) || ve.Line != 1 || ve.Card != 0 || !errors.Is(err, ErrSyntax) {
		t.Fatalf("stray content: err = %v, want *Error at line 1", err)
	}
	type loc struct {
		line int
		prop string
		is   error
	}
	want := []struct {
		card, line int
		contact    lookup.Contact
		errs       []loc
		warnings   int
	}{
		{1, 2, lookup.Contact{FirstName: "Bobby", LastName: "<script>alert(1)</script>", Other: "+1 555 0100"},
			[]loc{{7, "", ErrSyntax}, {8, "TEL", ErrSyntax}, {11, "", ErrSyntax}, {9, "NOTE", ErrValue}, {10, "ORG", ErrValue}}, 0},
		{2, 11, lookup.Contact{FirstName: "Truncated", LastName: "Person", Other: "+1 555 0200"}, []loc{{15, "", ErrSyntax}}, 0},
		{3, 15, lookup.Contact{FirstName: "Future", LastName: "Person"}, []loc{{16, "VERSION", ErrValue}}, 0},
		{4, 19, lookup.Contact{FirstName: "Many", LastName: "Numbers",
			Mobile: "+1 555 0100", Mobile2: "+1 555 0101", Other: "+1 555 0102", Business: "+1 555 0103",
			Business2: "+1 555 0104", BusinessFax: "+1 555 0105", Home: "+1 555 0106", Home2: "+1 555 0107",
			HomeFax: "+1 555 0108"}, nil, 2},
		{5, 34, lookup.Contact{FirstName: "Never", LastName: "Closed", Other: "+1 555 0300"}, []loc{{37, "", ErrSyntax}}, 0},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		r := recs[i]
		if r.Card != w.card || r.Line != w.line {
			t.Errorf("record %d: card %d line %d, want %d %d", i, r.Card, r.Line, w.card, w.line)
		}
		if !reflect.DeepEqual(r.Contact, w.contact) {
			t.Errorf("card %d:\n got %+v\nwant %+v", w.card, r.Contact, w.contact)
		}
		if len(r.Errors) != len(w.errs) {
			t.Errorf("card %d: errors %v, want %d", w.card, r.Errors, len(w.errs))
			continue
		}
		for j, e := range r.Errors {
			var ce *Error
			if !errors.As(e, &ce) || ce.Card != w.card || ce.Line != w.errs[j].line || ce.Property != w.errs[j].prop || !errors.Is(e, w.errs[j].is) {
				t.Errorf("card %d error %d = %v, want line %d prop %q", w.card, j, e, w.errs[j].line, w.errs[j].prop)
			}
		}
		if len(r.Warnings) != w.warnings {
			t.Errorf("card %d: warnings %v, want %d", w.card, r.Warnings, w.warnings)
		}
	}
	msg := recs[0].Errors[0].Error()
	if !strings.HasPrefix(msg, "vcard: card 1, line 7: ") || strings.Count(msg, "vcard:") != 1 {
		t.Errorf("error text %q", msg)
	}
}

func TestDecodeLineForms(t *testing.T) {
	tests := []struct {
		name, in string
		want     lookup.Contact
	}{
		{"bare LF folding with tab", "BEGIN:VCARD\nVERSION:3.0\nN:Van der\n\t Berg;Anna;;;\nEND:VCARD\n",
			lookup.Contact{FirstName: "Anna", LastName: "Van der Berg"}},
		{"CRLF folding mid UTF-8", "BEGIN:VCARD\r\nFN:J\xc3\r\n \xbcrgen\r\nEND:VCARD\r\n",
			lookup.Contact{FirstName: "Jürgen"}},
		{"lower-case names and groups", "begin:vcard\nversion:3.0\nfn:x y\nGROUP-1.tel;type=work:1\nend:vcard\n",
			lookup.Contact{FirstName: "x", LastName: "y", Business: "1"}},
		{"2.1 bare params", "BEGIN:VCARD\nVERSION:2.1\nTEL;HOME;FAX:1\nTEL;WORK;FAX:2\nTEL;FAX:3\nEND:VCARD\n",
			lookup.Contact{HomeFax: "1", BusinessFax: "2", Other: "3"}},
		{"quoted types and comma list", "BEGIN:VCARD\nVERSION:4.0\nTEL;TYPE=\"cell\":1\nTEL;TYPE=work,fax:2\nTEL;TYPE=home;TYPE=voice:3\nEND:VCARD\n",
			lookup.Contact{Mobile: "1", BusinessFax: "2", Home: "3"}},
		{"tel uri without VALUE", "BEGIN:VCARD\nTEL:tel:+1-555-555-5555\nTEL;VALUE=uri:tel:+1-555-555-0000;ext=1\nEND:VCARD\n",
			lookup.Contact{Other: "+1-555-555-5555", Business: "+1-555-555-0000"}},
		{"duplicate number kept once", "BEGIN:VCARD\nTEL;TYPE=CELL:1\nTEL;TYPE=WORK:1\nEND:VCARD\n",
			lookup.Contact{Mobile: "1"}},
		{"UTF-8 QP with soft breaks", "BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C5=81ukasz =\nKowalsk=\ni\nEND:VCARD\n",
			lookup.Contact{FirstName: "Łukasz", LastName: "Kowalski"}},
		{"base64 value", "BEGIN:VCARD\nFN;ENCODING=b:QW5uYSBLYXJlbmluYQ==\nEND:VCARD\n",
			lookup.Contact{FirstName: "Anna", LastName: "Karenina"}},
		{"escaped N", `BEGIN:VCARD` + "\n" + `N:Smith\, Jr.;John\;Paul;;;` + "\nEND:VCARD\n",
			lookup.Contact{FirstName: "John;Paul", LastName: "Smith, Jr."}},
		{"FN equal to ORG keeps names empty", "BEGIN:VCARD\nFN:ACME\nORG:ACME;Sales\nEND:VCARD\n",
			lookup.Contact{Company: "ACME"}},
		{"pref email wins", "BEGIN:VCARD\nEMAIL:a@x\nEMAIL;TYPE=pref:b@x\nEMAIL;PREF=1:c@x\nEND:VCARD\n",
			lookup.Contact{Email: "b@x"}},
		{"two NOTE lines", "BEGIN:VCARD\nNOTE:one\nNOTE:two\nEND:VCARD\n",
			lookup.Contact{Remark: "one\ntwo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := Decode(strings.NewReader(tt.in))
			if err != nil || len(recs) != 1 {
				t.Fatalf("Decode: %d records, err %v", len(recs), err)
			}
			if recs[0].Err() != nil {
				t.Fatalf("record error: %v", recs[0].Err())
			}
			if !reflect.DeepEqual(recs[0].Contact, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", recs[0].Contact, tt.want)
			}
		})
	}
}

func TestDecodeUTF16(t *testing.T) {
	text := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë Ünal\r\nEND:VCARD\r\n"
	b := []byte{0xFF, 0xFE}
	for _, r := range text {
		b = append(b, byte(r), byte(r>>8))
	}
	recs, err := Decode(strings.NewReader(string(b)))
	if err != nil || len(recs) != 1 || recs[0].Contact.FirstName != "Zoë" || recs[0].Contact.LastName != "Ünal" {
		t.Fatalf("got %+v, %v", recs, err)
	}
}

func TestDecodeEmptyAndLongLines(t *testing.T) {
	recs, err := Decode(strings.NewReader(""))
	if err != nil || len(recs) != 0 {
		t.Fatalf("empty input: %v %v", recs, err)
	}
	huge := strings.Repeat("A", maxLogicalLine+10)
	in := "BEGIN:VCARD\nPHOTO;ENCODING=b:" + huge + "\n " + huge + "\nNOTE:" + huge + "\nFN:Ok\nEND:VCARD\n"
	recs, err = Decode(strings.NewReader(in))
	if err != nil || len(recs) != 1 {
		t.Fatalf("Decode: %v %v", recs, err)
	}
	r := recs[0]
	if r.Contact.FirstName != "Ok" || len(r.Errors) != 1 || r.Errors[0].(*Error).Property != "NOTE" || r.Errors[0].(*Error).Line != 4 {
		t.Fatalf("got first name %q, remark of %d bytes, errors %v", r.Contact.FirstName, len(r.Contact.Remark), r.Errors)
	}
}

func TestContacts(t *testing.T) {
	good := decodeFile(t, "google30.vcf")
	cs, err := Contacts(good)
	if err != nil || len(cs) != 2 || cs[1].LastName != "O'Brien" {
		t.Fatalf("Contacts(good) = %v, %v", cs, err)
	}
	f, _ := os.Open("testdata/hostile.vcf")
	defer f.Close()
	bad, _ := Decode(f)
	cs, err = Contacts(bad)
	if cs != nil || err == nil || !strings.Contains(err.Error(), "card 1, line 7") || !strings.Contains(err.Error(), "card 5, line 37") {
		t.Fatalf("Contacts(hostile) = %v, %v", cs, err)
	}
	var many []Record
	for i := range 30 {
		many = append(many, Record{Card: i + 1, Errors: []error{&Error{Card: i + 1, Line: i, Err: ErrSyntax}}})
	}
	if _, err := Contacts(many); err == nil || !strings.Contains(err.Error(), "vcard: 10 more errors") || strings.Contains(err.Error(), "card 21,") {
		t.Fatalf("Contacts(many) = %v", err)
	}
}
