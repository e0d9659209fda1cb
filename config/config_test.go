package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.SIP.Listen; len(got) != 2 || got[0] != "udp://127.0.0.1:5060" || got[1] != "tcp://127.0.0.1:5060" {
		t.Errorf("listen = %v", got)
	}
	if c.Store.Dir != "./data" || c.Admin.Listen != "127.0.0.1:8080" || c.Lookup.DefaultRegion != "DE" {
		t.Errorf("defaults changed: %+v", c)
	}
	if c.SIP.MaxNameLength != 48 || c.SIP.LookupBudget.D() != 300*time.Millisecond {
		t.Errorf("sip defaults: %+v", c.SIP)
	}
}

func TestLoadGoodOverDefaults(t *testing.T) {
	c, err := Load("testdata/good-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.SIP.LookupBudget.D() != 150*time.Millisecond || c.Store.MemTableSize != 16<<20 {
		t.Errorf("values: %+v", c)
	}
	if c.Store.BlockCacheSize != 16<<20 { // untouched default survives
		t.Errorf("default lost: block cache %d", c.Store.BlockCacheSize)
	}
	ls := c.SIP.Listeners()
	if len(ls) != 2 || ls[1].Transport != "tcp" || ls[1].Addr != "[::1]:5070" {
		t.Errorf("listeners %+v", ls)
	}
	if Default().SIP.Listen[0] != "udp://127.0.0.1:5060" {
		t.Error("Load mutated the defaults")
	}
}

func TestInvalidFixtures(t *testing.T) {
	want := map[string]string{
		"invalid-unknown-key.yaml":      `line 3: unknown key "bogus" in section sip`,
		"invalid-top-key.yaml":          `line 1: unknown key "nosuch" in the top level`,
		"invalid-duration.yaml":         `line 2: key sip.lookup_budget: "5" is not a duration (use a unit: 250ms, 2s, 5m)`,
		"invalid-size.yaml":             `line 2: key store.memtable_size: "12 parsecs" is not a size (use 64MiB, 512KiB, 1GB or bytes)`,
		"invalid-type.yaml":             "line 2: key sip.max_name_length: cannot unmarshal !!str `abc` into int",
		"invalid-listen-host.yaml":      `line 2: key sip.listen: "udp://localhost:5060": "localhost" is not an IP address`,
		"invalid-listen-transport.yaml": `line 2: key sip.listen: "sctp://127.0.0.1:5060": transport "sctp" is not udp, tcp or tls`,
		"invalid-region.yaml":           `line 2: key lookup.default_region: "de" is not a two-letter ISO 3166 region such as DE or US`,
		"invalid-upstream.yaml":         `line 2: key sip.upstream: "10.0.0.1:5060" is not a SIP URI such as sip:10.0.0.5:5060`,
		"invalid-tls-no-cert.yaml":      `key sip.tls_cert: a tls:// listener needs tls_cert and tls_key`,
		"invalid-syntax.yaml":           `line 1: did not find expected node content`,
		"invalid-extension-range.yaml":  `line 2: key sip.extensions: "1999-1000": range bounds must have equal length and low <= high`,
		"invalid-last-digits.yaml":      `line 2: key lookup.match_last_digits: 2: use 0 (off) or 4..15`,
		"invalid-udp-buffer.yaml":       `line 2: key sip.udp_buffer: 1024 bytes: use 0 (kernel default) or 64KiB..1GiB`,
	}
	files, _ := filepath.Glob("testdata/invalid-*.yaml")
	if len(files) != len(want) {
		t.Fatalf("%d fixtures, %d expectations", len(files), len(want))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := Load(f)
			if err == nil {
				t.Fatal("no error")
			}
			msg := want[filepath.Base(f)]
			if !strings.Contains(err.Error(), msg) {
				t.Errorf("error\n  %v\nwant it to contain\n  %s", err, msg)
			}
			if !strings.HasPrefix(err.Error(), "config: "+f+": ") {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

func TestEmptyFileKeepsDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.yaml")
	os.WriteFile(p, nil, 0o644)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.SIP.Upstream != Default().SIP.Upstream {
		t.Error("empty file changed defaults")
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load("testdata/nope.yaml")
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("err = %v", err)
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]Size{"64MiB": 64 << 20, "512KiB": 512 << 10, "1GB": 1e9, "100": 100, "2 GiB": 2 << 30, "10B": 10} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1MiB", "MiB", "1.5MiB", "99999999999999GiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

func TestDefaultYAMLRoundTrip(t *testing.T) {
	c, err := Parse("embedded", DefaultYAML(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(DefaultYAML(), defaultYAML) {
		t.Fatal("DefaultYAML must return a copy")
	}
	if c.SIP.RingTimeout.D() != 180*time.Second {
		t.Errorf("ring timeout %v", c.SIP.RingTimeout.D())
	}
}

// One run reports every problem of a file, in line order, each with its
// line: bad values do not stop decoding, and validation runs after them.
func TestEveryErrorInOneRun(t *testing.T) {
	_, err := Load("testdata/multi-errors.yaml")
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("%T %v", err, err)
	}
	want := []string{
		`line 2: key sip.lookup_budget: "5" is not a duration`,
		"line 3: key sip.max_name_length: cannot unmarshal !!str `abc` into int",
		`line 4: unknown key "bogus" in section sip`,
		`line 6: key store.memtable_size: "12 parsecs" is not a size`,
		`line 8: key lookup.default_region: "de" is not a two-letter`,
		`line 10: key admin.listen: "nohost"`,
	}
	if len(pe.Problems) != len(want) {
		t.Fatalf("%d problems, want %d:\n%s", len(pe.Problems), len(want), strings.Join(pe.Problems, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(pe.Problems[i], w) {
			t.Errorf("problem %d: %q, want prefix %q", i, pe.Problems[i], w)
		}
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Line != 8 {
		t.Errorf("FieldError not reachable: %v", fe)
	}
}

func TestIntegrationBudgetUnsetZeroAndSet(t *testing.T) {
	c, err := Parse("t.yaml", []byte(`crm:
  integrations:
    - {name: a, template: builtin:zoho}
    - {name: b, template: builtin:zoho, lookup: {budget: 0s}}
    - {name: c, template: builtin:zoho, lookup: {budget: 120ms}}
`), Default())
	if err != nil {
		t.Fatal(err)
	}
	got := []time.Duration{}
	for _, it := range c.CRM.Integrations {
		got = append(got, it.Lookup.EffectiveBudget())
	}
	want := []time.Duration{300 * time.Millisecond, 0, 120 * time.Millisecond}
	if !slices.Equal(got, want) {
		t.Fatalf("budgets %v, want %v (unset = 300ms, 0 = never wait)", got, want)
	}
	if _, err := Parse("t.yaml", []byte("crm:\n  integrations:\n    - {name: a, template: builtin:zoho, lookup: {budget: 11s}}\n"), Default()); err == nil || !strings.Contains(err.Error(), "lookup.budget") {
		t.Fatalf("11s budget: %v", err)
	}
}
