package sqlsync

import "strings"

// dialect is what differs between the databases (the filter rules are
// config.CheckSQLFilter's).
type dialect struct {
	driver     string // database/sql driver name
	open, shut string // identifier quotes
}

var dialects = map[string]dialect{
	"postgres":  {driver: "pgx", open: `"`, shut: `"`},
	"mysql":     {driver: "mysql", open: "`", shut: "`"},
	"sqlserver": {driver: "sqlserver", open: "[", shut: "]"},
}

// quote quotes an identifier, doubling the closing quote inside it.
func (d dialect) quote(id string) string {
	return d.open + strings.ReplaceAll(id, d.shut, d.shut+d.shut) + d.shut
}

// buildQuery replaces ${MAP} in a checked filter with the quoted columns.
func buildQuery(d dialect, filter string, columns []string) string {
	q := make([]string, len(columns))
	for i, c := range columns {
		q[i] = d.quote(c)
	}
	return strings.Replace(strings.TrimSpace(filter), "${MAP}", strings.Join(q, ", "), 1)
}
