package api

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// exercised collects the route labels every test env served, so TestMain
// can check that the tests reach every route.
var exercised = struct {
	sync.Mutex
	routes map[string]bool
}{routes: map[string]bool{}}

func recordRoutes(reg *prometheus.Registry) {
	mfs, err := reg.Gather()
	if err != nil {
		return
	}
	exercised.Lock()
	defer exercised.Unlock()
	for _, mf := range mfs {
		if mf.GetName() != "cidproxy_api_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" {
					exercised.routes[l.GetValue()] = true
				}
			}
		}
	}
}

// TestMain fails a full run (no -run filter) in which some route was
// never requested by any test.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		for _, r := range Routes() {
			if !exercised.routes[r] {
				fmt.Fprintf(os.Stderr, "FAIL: route %s is not exercised by any test\n", r)
				code = 1
			}
		}
	}
	os.Exit(code)
}
