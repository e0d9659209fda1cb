package crm

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"cidproxy/crm/builtin"
	"cidproxy/crm/crmtest"
	"cidproxy/crm/internal/httpclient"
)

func TestMetricsNamesAndTokenRefreshes(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	z := crmtest.NewZoho(zohoClientID, zohoClientSecret)
	defer z.Close()
	it := newIntegration(t, Config{Template: loadBuiltin(t, builtin.Zoho), HTTP: z.Client(), Metrics: m,
		Fields: map[string]string{"client_id": zohoClientID, "client_secret": zohoClientSecret}})
	it.settings.SyncTypes = []string{"Contacts"}
	authorize(t, it, z.Server)
	z.OAuth.ExpireAll()
	if _, err := it.SearchContact(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(m.tokenRefreshes.WithLabelValues("zoho", "ok")); got != 2 { // code exchange + refresh
		t.Fatalf("token refreshes ok = %v", got)
	}
	if got := testutil.ToFloat64(m.http.Requests("zoho", "SyncContactAuto", httpclient.OutcomeClientError)); got != 1 {
		t.Fatalf("401 outcomes = %v", got)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) != 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "cidproxy_crm_") {
			t.Errorf("metric %s outside the cidproxy_crm_ namespace", mf.GetName())
		}
		for _, mm := range mf.GetMetric() {
			for _, l := range mm.GetLabel() {
				if strings.Contains(l.GetValue(), "+49") || strings.Contains(l.GetValue(), "1000.") {
					t.Errorf("metric %s label %s=%s", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}
