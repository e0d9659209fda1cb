package contactfile

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"cidproxy/lookup"
)

func readFile(t *testing.T, name, format string) *File {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := Read(f, format)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(file.Errors) > 0 {
		t.Fatalf("%s: %v", name, file.Errors)
	}
	return file
}

// Real-shaped exports map onto the contact fields: names, company, e-mail,
// each number under its kind, address and notes.
func TestReadExports(t *testing.T) {
	tests := []struct {
		file, format string
		rows         int
		row          int
		want         lookup.Contact
		pbs          []string
	}{
		{"google.csv", Google, 3, 0, lookup.Contact{FirstName: "Anna", LastName: "Schmidt", Company: "ACME GmbH", Email: "anna.schmidt@acme.example",
			Mobile: "+49 171 1111111", Business: "+49 30 1234567", Business2: "+49 30 1234568", Street: "Hauptstr. 1", City: "Berlin", Zip: "10115", Country: "Germany", Remark: "Key account"}, nil},
		{"google.csv", Google, 3, 1, lookup.Contact{FirstName: "Bernd", LastName: "Becker", Home: "030 7654321", BusinessFax: "030 1234599"}, nil},
		{"google.csv", Google, 3, 2, lookup.Contact{Company: "Pizzeria Roma", Business: "089 5551234"}, nil},
		{"google-legacy.csv", Google, 1, 0, lookup.Contact{FirstName: "Carla", LastName: "Weber", Company: "Weber & Co", Email: "carla@example.org", Mobile: "0172 3333333", Business: "+49 40 5556666"}, nil},
		{"outlook.csv", Outlook, 2, 0, lookup.Contact{FirstName: "Dieter", LastName: "Fischer", Company: "Fischer Maschinenbau AG", Email: "dieter.fischer@firma.example",
			Business: "+49 89 1112222", Mobile: "+49 160 9998888", BusinessFax: "+49 89 1112299", Street: "Industriestr. 5", City: "München", State: "Bayern", Zip: "80331", Country: "Deutschland", Remark: "Lieferant seit 2019"}, nil},
		{"outlook.csv", Outlook, 2, 1, lookup.Contact{FirstName: "Eva", LastName: "Klein", Home: "+49 221 4443333"}, nil},
		{"outlook-de-semicolon-bom.csv", Outlook, 2, 0, lookup.Contact{FirstName: "Jürgen", LastName: "Müller", Company: "Bäckerei Müller", Business: "0711 2223333", Mobile: "0151 4445555",
			BusinessFax: "0711 2223334", Street: "Königstraße 10", City: "Stuttgart", Zip: "70173", Remark: "Brötchen; Brezeln"}, nil},
		{"cidproxy-semicolon-bom.csv", Cidproxy, 2, 1, lookup.Contact{Company: "Kanzlei Lang; Partner", Business: "+49 69 9090900"}, []string{"Sales", "Support"}},
		{"contacts.vcf", VCard, 2, 0, lookup.Contact{FirstName: "Hanna", LastName: "Hoffmann", Company: "Hoffmann Consulting", Email: "hanna@hoffmann.example", Mobile: "+49 176 5554444", Business: "+49 211 3332222"}, nil},
	}
	for _, tc := range tests {
		for _, format := range []string{Auto, tc.format} {
			f := readFile(t, tc.file, format)
			if f.Format != tc.format || len(f.Rows) != tc.rows {
				t.Errorf("%s (%s): format %s, %d rows; want %s, %d", tc.file, format, f.Format, len(f.Rows), tc.format, tc.rows)
				continue
			}
			got := f.Rows[tc.row]
			if !reflect.DeepEqual(got.Contact, tc.want) || !reflect.DeepEqual(got.Phonebooks, tc.pbs) {
				t.Errorf("%s row %d:\n got %+v %v\nwant %+v %v", tc.file, tc.row, got.Contact, got.Phonebooks, tc.want, tc.pbs)
			}
		}
	}
	if f := readFile(t, "contacts.vcf", Auto); f.Rows[1].Contact.Home == "" {
		t.Errorf("vCard 4.0 tel: URI not read: %+v", f.Rows[1].Contact)
	}
}

// What Writer writes, Read reads back unchanged (phonebooks included).
func TestWriteReadRoundTrip(t *testing.T) {
	in := []Row{
		{Contact: lookup.Contact{FirstName: "A", LastName: "B", Company: "C, \"D\"", Email: "a@b.c", Mobile: "+491701", Remark: "line1\nline2"}, Phonebooks: []string{"Sales", "Support"}},
		{Contact: lookup.Contact{Company: "X;Y", Business: "030 1"}},
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range in {
		if err := w.Write(&r.Contact, r.Phonebooks); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f, err := Read(&buf, Auto)
	if err != nil || f.Format != Cidproxy || len(f.Rows) != 2 {
		t.Fatalf("%v %+v", err, f)
	}
	for i := range in {
		if !reflect.DeepEqual(f.Rows[i].Contact, in[i].Contact) || !reflect.DeepEqual(f.Rows[i].Phonebooks, in[i].Phonebooks) {
			t.Errorf("row %d: %+v, want %+v", i, f.Rows[i], in[i])
		}
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct{ in, format, want string }{
		{"", Auto, "line 1: empty file"},
		{"first_name,nope\nA,B\n", Auto, `line 1: nope: unknown column "nope"`},
		{"first_name,first_name\n", Cidproxy, "appears twice"},
		{"first_name\nA\n", "excel", `unknown format "excel"`},
	}
	for _, tc := range tests {
		_, err := Read(strings.NewReader(tc.in), tc.format)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.want)
		}
	}
	f, err := Read(strings.NewReader("first_name,company\nA,\"broken\nB,C\n"), Auto)
	if err != nil || len(f.Errors) != 1 || !strings.Contains(f.Errors[0].Error(), "line 2") {
		t.Errorf("broken quoting: %v %+v", err, f)
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"google.csv", "outlook.csv", "outlook-de-semicolon-bom.csv", "cidproxy-semicolon-bom.csv", "contacts.vcf"} {
		b, _ := os.ReadFile("testdata/" + name)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read(bytes.NewReader(data), Auto)
		if err == nil && file == nil {
			t.Fatal("nil file without error")
		}
	})
}

// Text a spreadsheet would run as a formula is written with a leading ';
// numbers stay as written.
func TestWriterNeutralisesFormulas(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf)
	w.Write(&lookup.Contact{Company: "=HYPERLINK(\"x\")", Mobile: "+49 170 1"}, []string{"@book"})
	w.Flush()
	if out := buf.String(); !strings.Contains(out, `"'=HYPERLINK(""x"")"`) || !strings.Contains(out, ",+49 170 1,") || !strings.Contains(out, ",'@book\n") {
		t.Errorf("%q", out)
	}
}
