package main

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// allowed lists, per package prefix, which cidproxy packages it may import.
// Imports point one way: config and sip/event are leaves, lookup sits on
// config, store on lookup, crm never sees sip, and only cmd wires everything.
var allowed = map[string][]string{
	"cidproxy/config":    {},
	"cidproxy/sip/event": {},
	"cidproxy/lookup":    {"cidproxy/config"},
	"cidproxy/store":     {"cidproxy/lookup", "cidproxy/config"},
	"cidproxy/crm":       {"cidproxy/crm", "cidproxy/lookup", "cidproxy/store", "cidproxy/sip/event", "cidproxy/config"},
	// crm/internal/... (the HTTP client) and crm/template know nothing of
	// integrations, the call or the store.
	"cidproxy/crm/internal": {},
	"cidproxy/crm/template": {},
	"cidproxy/internal":     {}, // test support, shared by every package's tests
	"cidproxy/sip":          {"cidproxy/sip", "cidproxy/lookup", "cidproxy/config"},
	"cidproxy/api":          {"cidproxy/api", "cidproxy/store", "cidproxy/crm", "cidproxy/lookup", "cidproxy/sip/event", "cidproxy/config", "cidproxy/contactfile"},
	// contact file formats: the vCard codec, the store's CSV cell rules.
	"cidproxy/contactfile": {"cidproxy/api/vcard", "cidproxy/store", "cidproxy/lookup", "cidproxy/config"},
	// cluster plugs NATS in behind the seams of crm, api/stream and store;
	// it never sees the SIP engine.
	"cidproxy/cluster": {"cidproxy/api", "cidproxy/store", "cidproxy/crm", "cidproxy/lookup", "cidproxy/sip/event", "cidproxy/config", "cidproxy/contactfile"},
}

// exclusive third-party modules: only the named cidproxy tree may import them.
var exclusive = map[string]string{
	"github.com/emiago/sipgo":        "cidproxy/sip",
	"github.com/dgraph-io/badger/v4": "cidproxy/store",
	"github.com/tidwall/gjson":       "cidproxy/crm",
	// The SQL drivers: only the SQL contact sync.
	"github.com/jackc/pgx":            "cidproxy/store/sqlsync",
	"github.com/go-sql-driver/mysql":  "cidproxy/store/sqlsync",
	"github.com/microsoft/go-mssqldb": "cidproxy/store/sqlsync",
	"github.com/sony/gobreaker":       "cidproxy/crm/internal/httpclient",
	// NATS: only the cluster package.
	"github.com/nats-io/": "cidproxy/cluster",
}

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "cidproxy/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	n := 0
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		pkg, imports := f[0], f[1:]
		n++
		rule, ok := ruleFor(pkg)
		for _, imp := range imports {
			for mod, owner := range exclusive {
				if strings.HasPrefix(imp, mod) && !under(pkg, owner) && !strings.HasPrefix(pkg, "cidproxy/cmd") && !strings.HasPrefix(pkg, "cidproxy/e2e") && !strings.HasPrefix(pkg, "cidproxy/bench") {
					t.Errorf("%s imports %s; only %s may", pkg, imp, owner)
				}
			}
			if !ok || !strings.HasPrefix(imp, "cidproxy/") {
				continue
			}
			if !permitted(imp, rule) {
				t.Errorf("%s must not import %s (allowed: %v)", pkg, imp, rule)
			}
		}
	}
	if n < 5 {
		t.Fatalf("only %d packages listed", n)
	}
}

// ruleFor picks the most specific rule for pkg.
func ruleFor(pkg string) ([]string, bool) {
	best, found := "", false
	for p := range allowed {
		if under(pkg, p) && len(p) > len(best) {
			best, found = p, true
		}
	}
	// A package may always import inside its own tree.
	return append([]string{best}, allowed[best]...), found
}

func permitted(imp string, rule []string) bool {
	for _, r := range rule {
		if under(imp, r) {
			return true
		}
	}
	return false
}

func under(pkg, tree string) bool { return pkg == tree || strings.HasPrefix(pkg, tree+"/") }
