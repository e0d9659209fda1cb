package vcard

import (
	"bytes"
	"fmt"
	"testing"

	"cidproxy/lookup"
)

// BenchmarkVCard encodes and decodes 1,000 contacts.
func BenchmarkVCard(b *testing.B) {
	cs := make([]lookup.Contact, 1000)
	for i := range cs {
		cs[i] = lookup.Contact{ID: fmt.Sprint(i), FirstName: fmt.Sprintf("Jürgen%d", i), LastName: "Müller, Jr.",
			Company: "ACME; GmbH", Email: "jm@example.com", Business: fmt.Sprintf("+49 30 %07d", i),
			Mobile: "+49 171 1234567", Street: "Hauptstraße 1", City: "Berlin", Remark: "note\nline two"}
	}
	var data bytes.Buffer
	if err := Encode(&data, cs, Version30); err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := Encode(&buf, cs, Version30); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(data.Len()))
		for b.Loop() {
			recs, err := Decode(bytes.NewReader(data.Bytes()))
			if err != nil || len(recs) != len(cs) {
				b.Fatal(err)
			}
		}
	})
}
