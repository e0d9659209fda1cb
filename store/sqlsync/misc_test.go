package sqlsync

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/robfig/cron/v3"

	"cidproxy/config"
)

// TestReadOnlyTransaction: the run's transaction refuses writes on both
// servers.
func TestReadOnlyTransaction(t *testing.T) {
	eachServer(t, func(t *testing.T, d *testDB) {
		tx, err := beginReadOnly(context.Background(), d.db, dialects[d.driver], time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.Exec("INSERT INTO " + d.schema + ".contacts (id) VALUES (99)"); err == nil {
			t.Error("insert in the read-only transaction succeeded")
		}
	})
}

// TestSecretsStayOut: the DSN and its password appear neither in the
// logs (debug level), nor in the status the API returns, nor in a failed
// run's error; the DSN may come from the environment.
func TestSecretsStayOut(t *testing.T) {
	d := newTestDB(t, servers[0].driver, servers[0].dsn)
	d.insert(t, 1, "Ann", "", "", "+49 30 1111111", "", "")
	t.Setenv("CIDPROXY_TEST_DSN", strings.Replace(d.dsn, "postgres@", "postgres:Sup3rS3cret@", 1))
	t.Setenv("CIDPROXY_TEST_BAD_DSN", "postgres://postgres:Sup3rS3cret@127.0.0.1:1/test?connect_timeout=2")
	good, bad := d.source("good"), d.source("bad")
	good.DSN, bad.DSN = "${env:CIDPROXY_TEST_DSN}", "${env:CIDPROXY_TEST_BAD_DSN}"
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newSyncer(t, openStore(t), log, good, bad)
	if r := syncNow(t, s, "good"); r.Outcome != OutcomeSuccess || r.Added != 1 {
		t.Errorf("sync with the DSN from the environment: %+v", r)
	}
	if r := syncNow(t, s, "bad"); r.Outcome != OutcomeFailed {
		t.Errorf("bad DSN: %+v", r)
	}
	status, _ := json.Marshal(s.Sources())
	for what, text := range map[string]string{"logs": logs.String(), "status": string(status)} {
		if strings.Contains(text, "Sup3rS3cret") || strings.Contains(text, "CIDPROXY_TEST") && what == "logs" {
			t.Errorf("%s show a secret:\n%s", what, text)
		}
	}
	if !strings.Contains(logs.String(), "sql sync finished") {
		t.Errorf("no run logged:\n%s", logs.String())
	}
}

// TestCronSpecs: every schedule form becomes a spec robfig/cron accepts,
// at the right time in the right zone.
func TestCronSpecs(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	from := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC) // a Tuesday
	cases := []struct {
		s    config.SQLSchedule
		next time.Time
	}{
		{config.SQLSchedule{Every: config.Duration(15 * time.Minute)}, from.Add(15 * time.Minute)},
		{config.SQLSchedule{Daily: "03:00", TimeZone: "Europe/Berlin"}, time.Date(2026, 12, 9, 3, 0, 0, 0, berlin)},
		{config.SQLSchedule{Weekly: "mon 03:30", TimeZone: "UTC"}, time.Date(2026, 12, 14, 3, 30, 0, 0, time.UTC)},
		{config.SQLSchedule{Weekly: "Tue 23:05", TimeZone: "UTC"}, time.Date(2026, 12, 8, 23, 5, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		sched, err := cron.ParseStandard(tc.s.CronSpec())
		if err != nil {
			t.Errorf("%+v -> %q: %v", tc.s, tc.s.CronSpec(), err)
			continue
		}
		if got := sched.Next(from); !got.Equal(tc.next) {
			t.Errorf("%q: next %v, want %v", tc.s.CronSpec(), got, tc.next)
		}
	}
	if (config.SQLSchedule{}).CronSpec() != "" {
		t.Error("no schedule must mean Sync Now only")
	}
}

// TestRunSchedules: Run starts scheduled runs and, when its context ends,
// stops them; later Sync Now calls are refused.
func TestRunSchedules(t *testing.T) {
	d := newTestDB(t, servers[1].driver, servers[1].dsn)
	d.insert(t, 1, "Ann", "", "", "+49 30 1111111", "", "")
	db := openStore(t)
	s := newSyncer(t, db, nil, d.source("tick"))
	s.sources["tick"].spec = "@every 1s" // config allows 1m at least
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for nameOf(db, "+49301111111") != "Ann" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st, _ := s.Source("tick")
	if len(st.Runs) == 0 || st.Runs[0].Trigger != "schedule" || st.Runs[0].Added != 1 {
		t.Fatalf("scheduled runs: %+v", st.Runs)
	}
	if _, err := s.SyncNow(context.Background(), "tick"); err == nil {
		t.Error("Sync Now after Run ended was accepted")
	}
}

// TestMetricsLint: the sync's metrics pass promlint once they have
// samples, and a run is counted by source and outcome.
func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := newMetrics(reg)
	m.observe(Run{Source: "erp", Outcome: OutcomePartial, Added: 2, Failed: 1, Duration: 0.5, Started: time.Now()})
	m.observe(Run{Source: "erp", Outcome: OutcomeFailed})
	m.notifyErrors.WithLabelValues("erp", "email").Inc()
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}
	if n := testutil.ToFloat64(m.runs.WithLabelValues("erp", OutcomeFailed)); n != 1 {
		t.Errorf("runs_total{failed} = %v", n)
	}
	if n := testutil.ToFloat64(m.rows.WithLabelValues("erp", "added")); n != 2 {
		t.Errorf("rows_total{added} = %v", n)
	}
}
