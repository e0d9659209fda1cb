package config

import (
	"fmt"
	"net/mail"
	"os"
	"regexp"
	"strings"
	"time"
)

// SQL configures contact synchronisation from SQL databases (sql:).
type SQL struct {
	Sources []SQLSource `yaml:"sources"`
	// SMTP is the relay that sends the sources' notify emails.
	SMTP SMTP `yaml:"smtp"`
}

// SQLSource is one database whose rows become read-only contacts with
// source sql:NAME.
type SQLSource struct {
	Name string `yaml:"name" json:"name,omitempty"`
	// Driver: sqlserver, postgres or mysql (MariaDB too).
	Driver string `yaml:"driver" json:"driver,omitempty"`
	// DSN is the driver's connection string, a secret: write ${env:NAME}
	// or ${file:PATH} to keep it out of the file. Never logged or returned.
	DSN string `yaml:"dsn" json:"dsn,omitempty"`
	// Map maps contact fields (SQLFields) to column names; "id" names the
	// column that identifies a row.
	Map map[string]string `yaml:"map" json:"map,omitempty"`
	// Filter is "select ${MAP} from schema.table [where ...] [order by ...]".
	Filter    string       `yaml:"filter" json:"filter,omitempty"`
	Phonebook SQLPhonebook `yaml:"phonebook" json:"phonebook,omitempty"`
	Schedule  SQLSchedule  `yaml:"schedule" json:"schedule,omitempty"`
	// Notify: up to 5 email addresses separated by ";", sent the result of
	// every run (needs sql.smtp).
	Notify string `yaml:"notify" json:"notify,omitempty"`
	// Webhook receives the result of every run as a JSON POST.
	Webhook string `yaml:"webhook" json:"webhook,omitempty"`
	// RemoveMissing deletes contacts synced before and absent now.
	RemoveMissing bool `yaml:"remove_missing" json:"remove_missing,omitempty"`
	// Timeout bounds one run's query (statement timeout and deadline).
	Timeout Duration `yaml:"timeout" json:"timeout,omitempty"`
}

// SQLPhonebook is where synced contacts go: exactly one of the fields.
type SQLPhonebook struct {
	// Create makes a phonebook of that name.
	Create string `yaml:"create" json:"create,omitempty"`
	// ByColumn makes one phonebook per distinct value of the column; rows
	// with an empty value go to a phonebook named after the source.
	ByColumn string `yaml:"by_column" json:"by_column,omitempty"`
	// Existing takes over an existing phonebook, which must be empty (or
	// already this source's).
	Existing string `yaml:"existing" json:"existing,omitempty"`
}

// SQLSchedule is when a source syncs by itself: at most one of every,
// daily ("HH:MM") and weekly ("mon HH:MM"); none means Sync Now only.
type SQLSchedule struct {
	Every  Duration `yaml:"every" json:"every,omitempty"`
	Daily  string   `yaml:"daily" json:"daily,omitempty"`
	Weekly string   `yaml:"weekly" json:"weekly,omitempty"`
	// TimeZone is an IANA name for daily/weekly; empty: the machine's.
	TimeZone string `yaml:"time_zone" json:"time_zone,omitempty"`
}

// SMTP is a mail relay.
type SMTP struct {
	// Address is host:port; empty disables email.
	Address  string `yaml:"address"`
	Username string `yaml:"username"`
	// Password is a secret (${env:NAME} or ${file:PATH} recommended).
	Password string `yaml:"password"`
	From     string `yaml:"from"`
	// TLS: starttls (required; the default), tls (implicit, port 465) or
	// none (plain text, for a relay on localhost only).
	TLS string `yaml:"tls"`
}

// SQLFields are the contact fields a source may map, plus "id".
var SQLFields = []string{
	"id", "first_name", "last_name", "company", "email",
	"business_number", "business_number2", "business_fax",
	"mobile_number", "mobile_number2", "home_number", "home_number2", "home_fax", "other_number",
	"zip_code", "street", "city", "state", "country", "remark",
}

// SQLDrivers are the accepted driver names.
var SQLDrivers = []string{"sqlserver", "postgres", "mysql"}

var (
	reColumn  = regexp.MustCompile(`^[\p{L}_][\p{L}\p{N}_$ ]{0,127}$`)
	reHHMM    = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	weekdays  = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	maxNotify = 5
)

// ValidColumn reports whether s may be used as a column name in a map.
func ValidColumn(s string) bool { return reColumn.MatchString(s) }

// NotifyAddresses splits a notify value into addresses.
func NotifyAddresses(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ";") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func (c *Config) validateSQL(bad func(key, format string, a ...any)) {
	seen := map[string]bool{}
	needSMTP := false
	for i, s := range c.SQL.Sources {
		key := fmt.Sprintf("sql.sources[%d]", i)
		if !reIntegrationName.MatchString(s.Name) {
			bad(key+".name", "%q: use 1-40 lower-case letters, digits, - or _", s.Name)
		} else if seen[s.Name] {
			bad(key+".name", "source %q is listed twice", s.Name)
		}
		seen[s.Name] = true
		for _, e := range ValidateSQLSource(&s) {
			bad(key+"."+e.Key, "%s", e.Msg)
		}
		needSMTP = needSMTP || s.Notify != ""
	}
	c.validateSMTP(needSMTP, bad)
}

// ValidateSQLSource checks a source's fields other than its name; the
// keys of the errors are relative to the source ("map.city").
func ValidateSQLSource(s *SQLSource) []*FieldError {
	var errs []*FieldError
	bad := func(key, format string, a ...any) {
		errs = append(errs, &FieldError{Key: key, Msg: fmt.Sprintf(format, a...)})
	}
	if !oneOf(s.Driver, SQLDrivers...) {
		bad("driver", "%q is not one of %s", s.Driver, strings.Join(SQLDrivers, ", "))
	}
	if strings.TrimSpace(s.DSN) == "" {
		bad("dsn", "required (a secret: use ${env:NAME} or ${file:PATH})")
	}
	validateSQLMap(s, bad)
	if err := CheckSQLFilter(s.Driver, s.Filter); err != nil {
		bad("filter", "%s", err.(*SQLFilterError).Msg)
	}
	validateSQLPhonebook(s.Phonebook, bad)
	validateSQLSchedule(s.Schedule, bad)
	if n := len(NotifyAddresses(s.Notify)); n > maxNotify {
		bad("notify", "%d addresses: at most %d, separated by ;", n, maxNotify)
	}
	for _, a := range NotifyAddresses(s.Notify) {
		if _, err := mail.ParseAddress(a); err != nil {
			bad("notify", "%q is not an email address", a)
		}
	}
	if s.Webhook != "" && !strings.HasPrefix(s.Webhook, "http://") && !strings.HasPrefix(s.Webhook, "https://") {
		bad("webhook", "%q must start with http:// or https://", s.Webhook)
	}
	if s.Timeout < 0 || s.Timeout.D() > 24*time.Hour {
		bad("timeout", "%s: use 0 (default 10m) up to 24h", s.Timeout.D())
	}
	return errs
}

func validateSQLMap(s *SQLSource, bad func(key, format string, a ...any)) {
	names := 0
	for f, col := range s.Map {
		if !oneOf(f, SQLFields...) {
			bad("map", "%q is not a contact field (fields: %s)", f, strings.Join(SQLFields, ", "))
			continue
		}
		if !ValidColumn(col) {
			bad("map."+f, "%q is not a column name (letters, digits, _, $ and spaces)", col)
		}
		if oneOf(f, "first_name", "last_name", "company") {
			names++
		}
	}
	if names == 0 {
		bad("map", "map at least one of first_name, last_name, company")
	}
}

func validateSQLPhonebook(p SQLPhonebook, bad func(key, format string, a ...any)) {
	n := 0
	for _, v := range []string{p.Create, p.ByColumn, p.Existing} {
		if strings.TrimSpace(v) != "" {
			n++
		}
	}
	if n != 1 {
		bad("phonebook", "set exactly one of create, by_column, existing")
	}
	if p.ByColumn != "" && !ValidColumn(p.ByColumn) {
		bad("phonebook.by_column", "%q is not a column name", p.ByColumn)
	}
}

func validateSQLSchedule(s SQLSchedule, bad func(key, format string, a ...any)) {
	n := 0
	if s.Every != 0 {
		n++
		if s.Every.D() < time.Minute {
			bad("schedule.every", "%s: at least 1m", s.Every.D())
		}
	}
	if s.Daily != "" {
		n++
		if !reHHMM.MatchString(s.Daily) {
			bad("schedule.daily", "%q: use HH:MM (24 hours), e.g. \"03:00\"", s.Daily)
		}
	}
	if s.Weekly != "" {
		n++
		day, hm, _ := strings.Cut(strings.TrimSpace(s.Weekly), " ")
		if !oneOf(strings.ToLower(day), weekdays...) || !reHHMM.MatchString(strings.TrimSpace(hm)) {
			bad("schedule.weekly", "%q: use DAY HH:MM, e.g. \"mon 03:00\" (days: %s)", s.Weekly, strings.Join(weekdays, " "))
		}
	}
	if n > 1 {
		bad("schedule", "set one of every, daily, weekly")
	}
	if s.TimeZone != "" {
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			bad("schedule.time_zone", "%q is not an IANA time zone such as Europe/Berlin", s.TimeZone)
		}
	}
}

func (c *Config) validateSMTP(needed bool, bad func(key, format string, a ...any)) {
	m := c.SQL.SMTP
	if !oneOf(m.TLS, "", "starttls", "tls", "none") {
		bad("sql.smtp.tls", "%q is not starttls, tls or none", m.TLS)
	}
	if m.Address == "" {
		if needed {
			bad("sql.smtp.address", "required: a source has notify addresses")
		}
		return
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		bad("sql.smtp.from", "%q is not an email address", m.From)
	}
}

// CronSpec returns the robfig/cron spec of the schedule ("" = none).
func (s SQLSchedule) CronSpec() string {
	tz := ""
	if s.TimeZone != "" {
		tz = "CRON_TZ=" + s.TimeZone + " "
	}
	switch {
	case s.Every != 0:
		return "@every " + s.Every.D().String()
	case s.Daily != "":
		h, m, _ := strings.Cut(s.Daily, ":")
		return fmt.Sprintf("%s%s %s * * *", tz, trimZero(m), trimZero(h))
	case s.Weekly != "":
		day, hm, _ := strings.Cut(strings.TrimSpace(s.Weekly), " ")
		h, m, _ := strings.Cut(strings.TrimSpace(hm), ":")
		return fmt.Sprintf("%s%s %s * * %d", tz, trimZero(m), trimZero(h), indexOf(weekdays, strings.ToLower(day)))
	}
	return ""
}

func trimZero(s string) string {
	if t := strings.TrimLeft(s, "0"); t != "" {
		return t
	}
	return "0"
}

func indexOf(l []string, s string) int {
	for i, x := range l {
		if x == s {
			return i
		}
	}
	return -1
}

var reSecretRef = regexp.MustCompile(`^\$\{(env|file):([^}]+)\}$`)

// ResolveSecret returns v, or for ${env:NAME} the environment variable's
// value and for ${file:PATH} the file's content (trailing newlines
// trimmed). Errors name the variable or file, never a value.
func ResolveSecret(v string) (string, error) {
	m := reSecretRef.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return v, nil
	}
	if m[1] == "env" {
		val, ok := os.LookupEnv(m[2])
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", m[2])
		}
		return val, nil
	}
	b, err := os.ReadFile(m[2])
	if err != nil {
		return "", fmt.Errorf("secret file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
