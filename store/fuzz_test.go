package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"cidproxy/lookup"
)

// FuzzImportCSV imports arbitrary CSV into one store: an import either
// fails and writes nothing, or writes exactly the rows it reports, and
// every imported contact can be read back.
func FuzzImportCSV(f *testing.F) {
	for _, name := range []string{"contacts-good.csv", "bad-number.csv", "bad-quote.csv", "bad-unknown-column.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	db := openTest(f, f.TempDir())
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, in string) {
		before := db.Index().Contacts()
		n, err := db.ImportCSV(ctx, strings.NewReader(in), "")
		after := db.Index().Contacts()
		if err != nil {
			if n != 0 || after != before {
				t.Fatalf("failed import wrote %d (%d -> %d): %v", n, before, after, err)
			}
			var ce *CSVError
			if !errors.As(err, &ce) && !strings.Contains(err.Error(), "store:") {
				t.Fatalf("unexpected error type: %v", err)
			}
			return
		}
		if after != before+n {
			t.Fatalf("import reported %d rows, index grew %d -> %d", n, before, after)
		}
	})
}

// FuzzRecord round-trips contacts through the record encoding, and feeds
// arbitrary bytes to the decoders (they must not panic).
func FuzzRecord(f *testing.F) {
	f.Add("Anna", "Alt", "+49 30 1234567", "line\nbreak", []byte{1, 0, 2, 1, 'a'})
	f.Add("", "", "", "", []byte{})
	f.Fuzz(func(t *testing.T, first, last, number, remark string, raw []byte) {
		c := lookup.Contact{FirstName: first, LastName: last, Mobile: number, Remark: remark, Source: "csv",
			ReadOnly: len(raw)%2 == 0, Rev: uint64(len(raw)), Phonebooks: []string{first, remark}}
		keys := []string{number, last}
		var got lookup.Contact
		gotKeys, err := decodeContact(encodeContact(nil, &c, keys), &got)
		if err != nil || !reflect.DeepEqual(got, c) || !slices.Equal(gotKeys, keys) {
			t.Fatalf("round trip: %+v %v %v, want %+v %v", got, gotKeys, err, c, keys)
		}
		var ed entryDecoder
		pe := entryOf(&c, keys)
		e, err := ed.decodeProjection([]byte("id"), encodeProjection(nil, &pe))
		if err != nil || e.Name != c.DisplayName() || !slices.Equal(e.Keys, keys) || !slices.Equal(e.Phonebooks, c.Phonebooks) {
			t.Fatalf("projection: %+v %v", e, err)
		}
		_, _, _, _ = decodeBlock(raw, 1, 0, 10, nil)
		_, _ = decodePhonebook("id", raw)
		_, _ = decodeExtension("1", raw)
		_, _, _ = decodeToken(raw)
		_, _ = decodeContact(raw, &got)
		_, _ = ed.decode([]byte("id"), raw)
		_, _ = ed.decodeProjection([]byte("id"), raw)
		_, _ = decodeRule("id", raw)
	})
}

// FuzzImportPrefixCSV imports arbitrary prefix CSV into one store: an
// import either fails and changes nothing, or adds at most the rules it
// reports (a known prefix replaces its rule's name).
func FuzzImportPrefixCSV(f *testing.F) {
	for _, name := range []string{"prefixes-good.csv", "prefixes-bad-duplicate.csv", "prefixes-bad-prefix.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	db := openTest(f, f.TempDir())
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, in string) {
		before := db.Index().Rules()
		n, err := db.ImportPrefixCSV(ctx, strings.NewReader(in))
		after := db.Index().Rules()
		if err != nil {
			if n != 0 || after != before {
				t.Fatalf("failed import wrote %d (%d -> %d): %v", n, before, after, err)
			}
			return
		}
		if after < before || after > before+n {
			t.Fatalf("import reported %d rules, index went %d -> %d", n, before, after)
		}
	})
}

// FuzzSafeCSVCell: an exported cell never starts like a formula unless it
// is a number of digits and separators only, and dropping the added quote
// gives the value back.
func FuzzSafeCSVCell(f *testing.F) {
	f.Add("=HYPERLINK(\"x\")", false)
	f.Add("+49 30 1234", true)
	f.Add("+49 cmd|' /C calc'!A0", true)
	f.Add("\t@x", false)
	f.Fuzz(func(t *testing.T, v string, number bool) {
		got := SafeCSVCell(v, number)
		if got != v && got != "'"+v {
			t.Fatalf("SafeCSVCell(%q) = %q", v, got)
		}
		if got != "" && strings.ContainsRune(formulaStart, rune(got[0])) && !(number && strings.Trim(got, numberChars) == "") {
			t.Fatalf("SafeCSVCell(%q, %v) = %q starts like a formula", v, number, got)
		}
	})
}
