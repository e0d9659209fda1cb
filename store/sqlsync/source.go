package sqlsync

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"sync"
	"time"

	"cidproxy/config"
	"cidproxy/lookup"
)

// source is a configured source compiled for runs.
type source struct {
	cfg     config.SQLSource
	d       dialect
	columns []string // selected columns, in order
	fields  []field  // mapped contact fields and their column
	idCol   int      // column of the row id, -1: none
	pbCol   int      // column of by_column, -1: none
	query   string
	spec    string // cron spec, "" = Sync Now only
	// fromFile: configured in the YAML file (read-only through the API).
	fromFile bool

	run     sync.Mutex // one run at a time
	mu      sync.Mutex // guards runs
	running bool
	runs    []Run // newest last, at most maxRuns
}

type field struct {
	set func(c *lookup.Contact) *string
	col int
}

// fieldSetters maps config.SQLFields (but "id") to contact fields.
var fieldSetters = map[string]func(c *lookup.Contact) *string{
	"first_name": func(c *lookup.Contact) *string { return &c.FirstName },
	"last_name":  func(c *lookup.Contact) *string { return &c.LastName },
	"company":    func(c *lookup.Contact) *string { return &c.Company },
	"email":      func(c *lookup.Contact) *string { return &c.Email },

	"business_number":  func(c *lookup.Contact) *string { return &c.Business },
	"business_number2": func(c *lookup.Contact) *string { return &c.Business2 },
	"business_fax":     func(c *lookup.Contact) *string { return &c.BusinessFax },
	"mobile_number":    func(c *lookup.Contact) *string { return &c.Mobile },
	"mobile_number2":   func(c *lookup.Contact) *string { return &c.Mobile2 },
	"home_number":      func(c *lookup.Contact) *string { return &c.Home },
	"home_number2":     func(c *lookup.Contact) *string { return &c.Home2 },
	"home_fax":         func(c *lookup.Contact) *string { return &c.HomeFax },
	"other_number":     func(c *lookup.Contact) *string { return &c.Other },

	"zip_code": func(c *lookup.Contact) *string { return &c.Zip },
	"street":   func(c *lookup.Contact) *string { return &c.Street },
	"city":     func(c *lookup.Contact) *string { return &c.City },
	"state":    func(c *lookup.Contact) *string { return &c.State },
	"country":  func(c *lookup.Contact) *string { return &c.Country },
	"remark":   func(c *lookup.Contact) *string { return &c.Remark },
}

// compile checks cfg (config.ValidateSQLSource and the filter) and builds
// its query.
func compile(cfg config.SQLSource) (*source, error) {
	if errs := config.ValidateSQLSource(&cfg); len(errs) > 0 {
		return nil, fmt.Errorf("sql source %s: %s: %s", cfg.Name, errs[0].Key, errs[0].Msg)
	}
	d := dialects[cfg.Driver]
	s := &source{cfg: cfg, d: d, idCol: -1, pbCol: -1, spec: cfg.Schedule.CronSpec()}
	col := func(name string) int {
		for i, c := range s.columns {
			if c == name {
				return i
			}
		}
		s.columns = append(s.columns, name)
		return len(s.columns) - 1
	}
	for _, f := range config.SQLFields { // a stable column order
		c, ok := cfg.Map[f]
		switch {
		case !ok:
		case f == "id":
			s.idCol = col(c)
		default:
			s.fields = append(s.fields, field{set: fieldSetters[f], col: col(c)})
		}
	}
	if cfg.Phonebook.ByColumn != "" {
		s.pbCol = col(cfg.Phonebook.ByColumn)
	}
	s.query = buildQuery(d, cfg.Filter, s.columns)
	return s, nil
}

// Source is the contact source tag of synced contacts: sql:NAME.
func (s *source) tag() string { return "sql:" + s.cfg.Name }

func (s *source) timeout() time.Duration {
	if s.cfg.Timeout > 0 {
		return s.cfg.Timeout.D()
	}
	return 10 * time.Minute
}

var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// stableID is NAME.KIND + 20 characters of a hash of key (at most 64
// characters, as store ids).
func (s *source) stableID(kind, key string) string {
	h := sha256.Sum256([]byte(key))
	return s.cfg.Name + "." + kind + idEncoding.EncodeToString(h[:])[:20]
}

// phonebookName is where a row with by-column value v goes.
func (s *source) phonebookName(v string) string {
	switch {
	case s.cfg.Phonebook.Create != "":
		return strings.TrimSpace(s.cfg.Phonebook.Create)
	case s.cfg.Phonebook.Existing != "":
		return strings.TrimSpace(s.cfg.Phonebook.Existing)
	case strings.TrimSpace(v) == "":
		return s.cfg.Name // the documented default of by_column
	}
	return strings.TrimSpace(v)
}
