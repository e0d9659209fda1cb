package phonedir

import (
	"fmt"
	"io"
	"testing"

	"cidproxy/lookup"
)

func benchContacts(n int) []lookup.Contact {
	cs := make([]lookup.Contact, n)
	for i := range cs {
		cs[i] = lookup.Contact{
			ID: fmt.Sprintf("c%05d", i), FirstName: fmt.Sprintf("Jürgen%d", i), LastName: "Müller & Söhne",
			Company: "ACME GmbH", Email: "jm@example.com",
			Business: fmt.Sprintf("+49 30 %07d", i), Mobile: fmt.Sprintf("+49 171 %07d", i), Home: "030 7654321",
		}
	}
	return cs
}

// BenchmarkRender renders 1,000 contacts (3 numbers each) per format;
// Cisco renders every 32-entry page of the 3,000 rows.
func BenchmarkRender(b *testing.B) {
	dir := Directory{Title: "Company", Contacts: benchContacts(1000)}
	for _, f := range Formats {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if f == Cisco {
					for off := 0; off < 3000; off += CiscoMaxEntries {
						if err := Render(io.Discard, f, dir, Page{Offset: off, BaseURL: "http://pbx/dir?token=x"}); err != nil {
							b.Fatal(err)
						}
					}
					continue
				}
				if err := Render(io.Discard, f, dir, Page{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("cisco-one-page", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := Render(io.Discard, Cisco, dir, Page{Offset: 1500, BaseURL: "http://pbx/dir?token=x"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
