package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sqlGood = `
sql:
  sources:
    - name: erp
      driver: sqlserver
      dsn: ${env:ERP_DSN}
      map: {id: id, first_name: vorname, last_name: nachname, business_number: telefon}
      filter: select ${MAP} from testpbx.contacts order by id desc
      phonebook: {by_column: belongto}
      schedule: {weekly: "mon 03:00", time_zone: Europe/Berlin}
      notify: "a@example.com; b@example.com"
      remove_missing: true
  smtp: {address: "mail.example.com:587", username: cidproxy, password: "${file:/etc/cidproxy/smtp}", from: cidproxy@example.com}
`

func loadString(t *testing.T, y string) (*Config, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load(p)
}

func TestSQLGood(t *testing.T) {
	c, err := loadString(t, sqlGood)
	if err != nil {
		t.Fatal(err)
	}
	s := c.SQL.Sources[0]
	if s.Phonebook.ByColumn != "belongto" || s.Schedule.CronSpec() != "CRON_TZ=Europe/Berlin 0 3 * * 1" || len(NotifyAddresses(s.Notify)) != 2 {
		t.Errorf("source %+v spec %q", s, s.Schedule.CronSpec())
	}
}

// TestSQLInvalid: each mistake is an error naming the key.
func TestSQLInvalid(t *testing.T) {
	cases := []struct{ replace, with, want string }{
		{"driver: sqlserver", "driver: oracle", `key sql.sources[0].driver: "oracle" is not one of sqlserver, postgres, mysql`},
		{"dsn: ${env:ERP_DSN}", `dsn: ""`, `key sql.sources[0].dsn: required (a secret: use ${env:NAME} or ${file:PATH})`},
		{"first_name: vorname", "fax: vorname", `key sql.sources[0].map: "fax" is not a contact field`},
		{"first_name: vorname", `first_name: "vor;name"`, `key sql.sources[0].map.first_name: "vor;name" is not a column name`},
		{"first_name: vorname, last_name: nachname, ", "", `key sql.sources[0].map: map at least one of first_name, last_name, company`},
		{"select ${MAP} from", "select * from", `key sql.sources[0].filter: must contain ${MAP} once`},
		{"from testpbx.contacts", "from testpbx.contacts; drop table x", `key sql.sources[0].filter: must be one statement: no ; separator`},
		{"select ${MAP} from", "select top 5 ${MAP} from", `key sql.sources[0].filter: TOP is not supported for SQL Server`},
		{"{by_column: belongto}", "{by_column: belongto, create: X}", `key sql.sources[0].phonebook: set exactly one of create, by_column, existing`},
		{`weekly: "mon 03:00"`, `weekly: "monday 3am"`, `key sql.sources[0].schedule.weekly: "monday 3am": use DAY HH:MM`},
		{`weekly: "mon 03:00"`, `daily: "25:00"`, `key sql.sources[0].schedule.daily: "25:00": use HH:MM`},
		{`weekly: "mon 03:00"`, `every: 10s`, `key sql.sources[0].schedule.every: 10s: at least 1m`},
		{"Europe/Berlin", "Mars/Base", `key sql.sources[0].schedule.time_zone: "Mars/Base" is not an IANA time zone`},
		{"a@example.com; b@example.com", "a@x.de;b@x.de;c@x.de;d@x.de;e@x.de;f@x.de", `key sql.sources[0].notify: 6 addresses: at most 5`},
		{"a@example.com; b@example.com", "a@example.com; not-an-address", `key sql.sources[0].notify: "not-an-address" is not an email address`},
		{`address: "mail.example.com:587", `, "", `key sql.smtp.address: required: a source has notify addresses`},
		{"name: erp", "name: ERP!", `key sql.sources[0].name: "ERP!": use 1-40 lower-case letters`},
	}
	for _, tc := range cases {
		y := strings.Replace(sqlGood, tc.replace, tc.with, 1)
		if y == sqlGood {
			t.Fatalf("%q not in the fixture", tc.replace)
		}
		_, err := loadString(t, y)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s -> %s:\n  %v\nwant %s", tc.replace, tc.with, err, tc.want)
		}
	}
}

func TestResolveSecret(t *testing.T) {
	t.Setenv("CIDPROXY_TEST_SECRET", "s3")
	p := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(p, []byte("from-file\n"), 0o600)
	for in, want := range map[string]string{"plain": "plain", "${env:CIDPROXY_TEST_SECRET}": "s3", "${file:" + p + "}": "from-file"} {
		if got, err := ResolveSecret(in); err != nil || got != want {
			t.Errorf("%s: %q %v", in, got, err)
		}
	}
	if _, err := ResolveSecret("${env:CIDPROXY_TEST_UNSET}"); err == nil || !strings.Contains(err.Error(), "CIDPROXY_TEST_UNSET is not set") {
		t.Errorf("unset: %v", err)
	}
}
