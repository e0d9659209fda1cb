package vcard

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"cidproxy/lookup"
)

// FuzzDecode checks that Decode never panics and that whatever it decodes
// survives Encode and a second Decode unchanged, in both versions.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.vcf")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, _ := Decode(bytes.NewReader(data))
		var cs []lookup.Contact
		for _, r := range recs {
			cs = append(cs, r.Contact)
		}
		for _, v := range []string{Version30, Version40} {
			var buf bytes.Buffer
			if err := Encode(&buf, cs, v); err != nil {
				t.Fatalf("Encode: %v", err)
			}
			again, err := Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("re-decode %s: %v\n%q", v, err, buf.String())
			}
			if len(again) != len(cs) {
				t.Fatalf("re-decode %s: %d cards, want %d", v, len(again), len(cs))
			}
			for i, r := range again {
				if r.Err() != nil || len(r.Warnings) > 0 {
					t.Fatalf("re-decode %s card %d: %v %v\n%q", v, i+1, r.Err(), r.Warnings, buf.String())
				}
				if !reflect.DeepEqual(r.Contact, cs[i]) {
					t.Fatalf("re-decode %s card %d:\n got %+v\nwant %+v\n%q", v, i+1, r.Contact, cs[i], buf.String())
				}
			}
		}
	})
}
