package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"cidproxy/lookup"
)

func TestKV(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	tpl, tok := db.KV("templates"), db.KV("tokens")
	if _, err := tpl.Get(ctx, "zoho"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing: %v", err)
	}
	for _, k := range []string{"zoho", "hubspot", "a/b"} {
		if err := tpl.Put(ctx, k, []byte("v-"+k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tok.Put(ctx, "zoho", []byte("secret")); err != nil {
		t.Fatal(err)
	}
	if v, err := tpl.Get(ctx, "zoho"); err != nil || string(v) != "v-zoho" {
		t.Errorf("Get = %q %v", v, err)
	}
	keys, err := tpl.List(ctx, "")
	if err != nil || strings.Join(keys, " ") != "a/b hubspot zoho" {
		t.Errorf("List = %v %v", keys, err)
	}
	if keys, _ := tpl.List(ctx, "h"); len(keys) != 1 {
		t.Errorf("List(h) = %v", keys)
	}
	if err := tpl.Delete(ctx, "zoho"); err != nil {
		t.Fatal(err)
	}
	if err := tpl.Delete(ctx, "zoho"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
	if _, err := tpl.Get(ctx, "zoho"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after delete: %v", err)
	}
	if v, _ := tok.Get(ctx, "zoho"); string(v) != "secret" {
		t.Errorf("namespaces not separate: %q", v)
	}
	if err := tpl.Put(ctx, "", nil); err == nil {
		t.Error("empty key accepted")
	}
}

func TestMetrics(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	_, _ = db.PutContact(ctx, lookup.Contact{FirstName: "A", Business: "+49301234567"})
	_, _ = db.PutContact(ctx, lookup.Contact{FirstName: "B"})
	_, _ = db.PutPrefixRule(ctx, lookup.PrefixRule{Prefix: "+4930", Name: "Berlin"})
	reg := prometheus.NewRegistry()
	if err := db.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	want := "# HELP cidproxy_contacts Company contacts loaded in the lookup index.\n# TYPE cidproxy_contacts gauge\ncidproxy_contacts 2\n" +
		"# HELP cidproxy_prefix_rules Prefix rules loaded in the lookup index.\n# TYPE cidproxy_prefix_rules gauge\ncidproxy_prefix_rules 1\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "cidproxy_contacts", "cidproxy_prefix_rules"); err != nil {
		t.Error(err)
	}
	_, _ = db.PutExtension(ctx, lookup.Extension{Number: "1001"})
	_, _ = db.PutPersonal(ctx, "1001", lookup.Contact{FirstName: "P"})
	_, _ = db.PutPhonebook(ctx, lookup.Phonebook{Name: "B"})
	want = "# HELP cidproxy_personal_contacts Personal contacts of all extensions.\n# TYPE cidproxy_personal_contacts gauge\ncidproxy_personal_contacts 1\n" +
		"# HELP cidproxy_phonebooks Phonebooks in the store.\n# TYPE cidproxy_phonebooks gauge\ncidproxy_phonebooks 1\n" +
		"# HELP cidproxy_store_revision Current store revision (bumped by every write).\n# TYPE cidproxy_store_revision gauge\ncidproxy_store_revision 6\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "cidproxy_personal_contacts", "cidproxy_phonebooks", "cidproxy_store_revision"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "cidproxy_store_vlog_size_bytes"); err != nil || n != 1 {
		t.Errorf("vlog size metric: %d %v", n, err)
	}
	// A few records take kilobytes, not the value log's pre-sized 64 MiB.
	for _, name := range []string{"cidproxy_store_vlog_size_bytes", "cidproxy_store_lsm_size_bytes"} {
		if v := gaugeValue(t, reg, name); v > 1<<20 {
			t.Errorf("%s = %.0f bytes for a handful of records", name, v)
		}
	}
	if probs, err := testutil.GatherAndLint(reg); err != nil || len(probs) > 0 {
		t.Errorf("lint: %v %v", probs, err)
	}
}

func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
