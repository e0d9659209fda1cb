package builtin

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"cidproxy/crm/template"
)

func TestBuiltinsParseWithoutWarnings(t *testing.T) {
	want := []string{Freshdesk, HubSpot, HubSpotOAuth, Zoho}
	if got := Keys(); !slices.Equal(got, want) {
		t.Fatalf("Keys() = %v, want %v", got, want)
	}
	for _, k := range Keys() {
		tpl, err := Load(k)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if tpl.Key != k {
			t.Errorf("%s: Information Key = %q", k, tpl.Key)
		}
		for _, w := range tpl.Warnings {
			t.Errorf("%s: warning %s", k, w)
		}
		// download = upload: writing back parses to the same template.
		again, err := template.Parse(tpl.Bytes())
		if err != nil {
			t.Fatalf("%s: round trip: %v", k, err)
		}
		if !bytes.Equal(again.Bytes(), tpl.Bytes()) {
			t.Errorf("%s: round trip changed the template", k)
		}
	}
}

func TestZohoDataCentresMatchTemplate(t *testing.T) {
	tpl, err := Load(Zoho)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tpl.CustomFields() {
		if f.Name == "domain" {
			if got := strings.Split(f.Value, ","); !slices.Equal(got, ZohoDataCentres) {
				t.Fatalf("domain options %v, want %v", got, ZohoDataCentres)
			}
			return
		}
	}
	t.Fatal("no domain field")
}

func TestUnknownKey(t *testing.T) {
	if _, err := Bytes("salesforce"); err == nil || !strings.Contains(err.Error(), "zoho") {
		t.Fatalf("err = %v", err)
	}
	if Has("../zoho") {
		t.Fatal("path-like key accepted")
	}
}
