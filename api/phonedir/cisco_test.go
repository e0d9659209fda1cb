package phonedir

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"testing"

	"cidproxy/lookup"
)

func TestCiscoPaging(t *testing.T) {
	var cs []lookup.Contact
	for i := range 40 {
		cs = append(cs, lookup.Contact{FirstName: fmt.Sprintf("P%02d", i), Business: fmt.Sprint(1000 + i), Mobile: fmt.Sprint(2000 + i)})
	}
	dir := Directory{Title: "All", Contacts: cs} // 80 rows
	base := "http://pbx/dir?token=x"
	tests := []struct {
		page       Page
		n          int
		first      string
		prompt     string
		next, prev string // expected offset values, "" for no key
	}{
		{Page{BaseURL: base}, 32, "P00 (Work)", "1-32 of 80", "32", ""},
		{Page{Offset: 32, BaseURL: base}, 32, "P16 (Work)", "33-64 of 80", "64", "0"},
		{Page{Offset: 64, Limit: 500, BaseURL: base}, 16, "P32 (Work)", "65-80 of 80", "", "32"},
		{Page{Offset: 10, Limit: 5, BaseURL: base}, 5, "P05 (Work)", "11-15 of 80", "15", "5"},
		{Page{Offset: 3, Limit: 5, BaseURL: base}, 5, "P01 (Mobile)", "4-8 of 80", "8", "0"},
		{Page{Offset: 999, BaseURL: base}, 0, "", "No entries", "", "48"},
	}
	for _, tt := range tests {
		var c ciscoDir
		if err := xml.Unmarshal(render(t, Cisco, dir, tt.page), &c); err != nil {
			t.Fatal(err)
		}
		if len(c.Entries) != tt.n || c.Prompt != tt.prompt || c.Title != "All" {
			t.Errorf("%+v: %d entries prompt %q", tt.page, len(c.Entries), c.Prompt)
			continue
		}
		if tt.n > 0 && c.Entries[0].Name != tt.first {
			t.Errorf("%+v: first entry %q, want %q", tt.page, c.Entries[0].Name, tt.first)
		}
		keys := map[string]string{}
		for _, k := range c.SoftKeys {
			keys[k.Name] = k.URL
		}
		if keys["Dial"] != "SoftKey:Dial" || keys["Exit"] != "SoftKey:Exit" || keys["EditDial"] != "SoftKey:EditDial" {
			t.Errorf("%+v: standard soft keys missing: %v", tt.page, keys)
		}
		for name, want := range map[string]string{"Next": tt.next, "Prev": tt.prev} {
			got, ok := keys[name]
			if want == "" {
				if ok {
					t.Errorf("%+v: unexpected %s key %q", tt.page, name, got)
				}
				continue
			}
			u, err := url.Parse(got)
			if err != nil || u.Query().Get(QueryOffset) != want || u.Query().Get("token") != "x" || u.Host != "pbx" {
				t.Errorf("%+v: %s key %q, want offset %s", tt.page, name, got, want)
			}
		}
	}
}

func TestCiscoNamesFit(t *testing.T) {
	var c ciscoDir
	if err := xml.Unmarshal(render(t, Cisco, testDir(), Page{}), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Entries) != 10 || len(c.SoftKeys) != 0 {
		t.Fatalf("%d entries, %d soft keys", len(c.Entries), len(c.SoftKeys))
	}
	for _, e := range c.Entries {
		if n := len([]rune(e.Name)); n > CiscoMaxName {
			t.Errorf("name %q has %d runes", e.Name, n)
		}
	}
	last := c.Entries[len(c.Entries)-1].Name
	if last != "A Very Long Name That Exc (Home)" {
		t.Errorf("long name cut to %q", last)
	}
}
