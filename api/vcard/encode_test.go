package vcard

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"cidproxy/lookup"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// sample has every field, escapes and a non-ASCII name long enough to fold.
var sample = []lookup.Contact{{
	ID: "c-1", FirstName: "Zoë Renée", LastName: "Ñúñez-O'Brien, Jr.", Company: "Bäckerei; Grüßer & Söhne",
	Email: "zoe@example.com", Business: "+49 30 1234567", Business2: "+49 30 1234568", BusinessFax: "+49 30 1234569",
	Mobile: "+49 171 1234567", Mobile2: "+49 172 1234567", Home: "030 7654321", Home2: "030 7654322",
	HomeFax: "030 7654323", Other: "tel:odd",
	Street: "Straße des 17. Juni 135", City: "Berlin", State: "BE", Zip: "10623", Country: "Deutschland",
	Remark: "Line one, with comma;\nline two \\ backslash — ünïcödé text that is long enough to be folded at least once or twice",
	Source: "manual",
}, {
	Company: "Only Company GmbH", Other: "110",
}, {}}

func TestEncodeGolden(t *testing.T) {
	for _, v := range []string{Version30, Version40} {
		t.Run(v, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(&buf, sample, v); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "encode"+strings.ReplaceAll(v, ".", "")+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("output differs from %s (run with -update after checking):\n%s", golden, buf.String())
			}
		})
	}
}

func TestEncodeStructure(t *testing.T) {
	for _, v := range []string{Version30, Version40} {
		var buf bytes.Buffer
		if err := Encode(&buf, sample, v); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.HasSuffix(out, "\r\n") || strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") {
			t.Errorf("%s: lines must end in CRLF only", v)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
		folded := 0
		for _, l := range lines {
			if len(l) > maxLineOctets {
				t.Errorf("%s: line of %d octets: %q", v, len(l), l)
			}
			if !utf8.ValidString(l) {
				t.Errorf("%s: fold split a UTF-8 sequence: %q", v, l)
			}
			if strings.HasPrefix(l, " ") {
				folded++
			}
		}
		if folded == 0 {
			t.Errorf("%s: nothing was folded", v)
		}
		for _, prop := range []string{"FN:", "N:"} {
			if n := strings.Count(out, "\r\n"+prop); n != len(sample) {
				t.Errorf("%s: %s appears %d times, want %d", v, prop, n, len(sample))
			}
		}
		for _, s := range []string{`N:Ñúñez-O'Brien\, Jr.;Zoë Renée;;;`, `ORG:Bäckerei\; Grüßer & Söhne`, `with comma\;\nline two \\ backslash`, "FN:Only Company GmbH\r\n", "N:;;;;\r\n", "TEL;VALUE=text:tel:odd"} {
			if !strings.Contains(strings.ReplaceAll(out, "\r\n ", ""), s) {
				t.Errorf("%s: output lacks %q", v, s)
			}
		}
	}
}

func TestEncodeBadVersion(t *testing.T) {
	for _, v := range []string{"2.1", "", "3"} {
		if err := Encode(&bytes.Buffer{}, sample, v); !errors.Is(err, ErrVersion) {
			t.Errorf("Encode(%q) = %v, want ErrVersion", v, err)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestEncodeWriteError(t *testing.T) {
	many := make([]lookup.Contact, 2000)
	for i := range many {
		many[i] = sample[0]
	}
	if err := Encode(failWriter{}, many, Version30); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
}

// stripForVCard clears what vCard does not carry.
func stripForVCard(cs []lookup.Contact) []lookup.Contact {
	out := append([]lookup.Contact(nil), cs...)
	for i := range out {
		out[i].Source, out[i].ReadOnly = "", false
	}
	return out
}

func contactsOf(t *testing.T, data []byte) []lookup.Contact {
	t.Helper()
	recs, err := Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, data)
	}
	var out []lookup.Contact
	for _, r := range recs {
		if r.Err() != nil || len(r.Warnings) > 0 {
			t.Fatalf("card %d: %v %v\n%s", r.Card, r.Err(), r.Warnings, data)
		}
		out = append(out, r.Contact)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	inputs := map[string][]lookup.Contact{"sample": stripForVCard(sample)}
	for _, f := range []string{"google30.vcf", "icloud30.vcf", "outlook21.vcf", "v40.vcf"} {
		for _, r := range decodeFile(t, f) {
			inputs[f] = append(inputs[f], r.Contact)
		}
	}
	for name, cs := range inputs {
		for _, v := range []string{Version30, Version40} {
			var buf bytes.Buffer
			if err := Encode(&buf, cs, v); err != nil {
				t.Fatal(err)
			}
			got := contactsOf(t, buf.Bytes())
			if !reflect.DeepEqual(got, cs) {
				t.Errorf("%s as %s:\n got %+v\nwant %+v", name, v, got, cs)
			}
		}
	}
}

func TestFoldNeverSplitsEscapes(t *testing.T) {
	for n := 60; n < 80; n++ {
		c := lookup.Contact{Remark: strings.Repeat("x", n) + strings.Repeat(`\,;`, 30)}
		var buf bytes.Buffer
		if err := Encode(&buf, []lookup.Contact{c}, Version30); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(buf.String(), "\r\n") {
			if endsInEscape([]byte(l)) {
				t.Fatalf("n=%d: line ends inside an escape: %q", n, l)
			}
		}
		if got := contactsOf(t, buf.Bytes()); got[0].Remark != c.Remark {
			t.Fatalf("n=%d: remark %q", n, got[0].Remark)
		}
	}
}
