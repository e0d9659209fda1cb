package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"testing"

	"cidproxy/crm/builtin"
	"cidproxy/crm/crmtest"
	"cidproxy/crm/template"
)

func zohoSearchBody(n int) []byte {
	data := make([]map[string]any, n)
	for i := range data {
		data[i] = map[string]any{"id": fmt.Sprintf("41508680000002%05d", i), "First_Name": "First", "Last_Name": fmt.Sprintf("Last %d", i),
			"Email": "x@example.com", "Phone": "+49301234567", "Mobile": "+491711234567", "Account_Name": map[string]any{"name": "Acme"},
			"Mailing_City": "Berlin", "Description": "long text here"}
	}
	b, _ := json.Marshal(map[string]any{"data": data, "info": map[string]any{"count": n}})
	return b
}

// BenchmarkMapSearch50 measures extraction and mapping of a 50-contact Zoho
// search response (no HTTP): GJSON outputs, Enable switches, cleaning, URLs.
func BenchmarkMapSearch50(b *testing.B) {
	it, err := New(context.Background(), Config{Template: benchTemplate(b), Fields: map[string]string{"client_id": "x"}})
	if err != nil {
		b.Fatal(err)
	}
	sc := it.tpl.Scenario("SyncContactAuto")
	r := sc.Request("Contacts")
	body := zohoSearchBody(50)
	vars := it.baseVars()
	urlVars := maps.Clone(vars)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		recs, err := extract(r.OutputList(), body, vars)
		if err != nil || len(recs) != 50 {
			b.Fatal(err, len(recs))
		}
		for _, rec := range recs {
			c := it.mapContact(sc, r.Name, rec)
			c.URL = it.contactURL(sc, c, urlVars)
		}
	}
}

// BenchmarkSearchContactLoopback is the whole call-path search through the
// HTTP client against a loopback server: the built-in Zoho template's three
// contact types searched concurrently, each answering with n contacts
// (1: a caller lookup; 50: a full page). Target (docs/benchmarks.md): a
// caller lookup under 2 ms.
func BenchmarkSearchContactLoopback(b *testing.B) {
	for _, n := range []int{1, 50} {
		b.Run(fmt.Sprintf("contacts=%d", n), func(b *testing.B) { benchSearchLoopback(b, n) })
	}
}

func benchSearchLoopback(b *testing.B, n int) {
	body := zohoSearchBody(n)
	srv := crmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	defer srv.Close()
	it, err := New(context.Background(), Config{Template: benchTemplate(b), HTTP: srv.Client(),
		Fields: map[string]string{"client_id": "x"}})
	if err != nil {
		b.Fatal(err)
	}
	if err := it.SetToken(context.Background(), Token{AccessToken: "tok", RefreshToken: "r"}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		cs, err := it.SearchContact(context.Background(), "+49301234567")
		if err != nil || len(cs) != 3*n {
			b.Fatal(err, len(cs))
		}
	}
}

func benchTemplate(b *testing.B) *template.Template {
	t, err := builtin.Load(builtin.Zoho)
	if err != nil {
		b.Fatal(err)
	}
	return t
}
