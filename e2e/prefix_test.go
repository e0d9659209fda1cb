package e2e

import "testing"

// importPrefixes loads prefix rules from a CSV (prefix,name) into the store
// of the configuration at cfg.
func importPrefixes(t *testing.T, cfg, file string) {
	t.Helper()
	if out, err := cli(t, "contacts", "import-prefixes", "-config", cfg, file); err != nil {
		t.Fatalf("import prefix rules %s: %v\n%s", file, err, out)
	}
}
