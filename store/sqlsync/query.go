package sqlsync

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// dialect is what differs between the databases.
type dialect struct {
	driver     string // database/sql driver name
	open, shut string // identifier quotes
	top        bool   // TOP is refused (SQL Server, the seed's rule)
	hash       bool   // "#" starts a comment (MySQL)
}

var dialects = map[string]dialect{
	"postgres":  {driver: "pgx", open: `"`, shut: `"`},
	"mysql":     {driver: "mysql", open: "`", shut: "`", hash: true},
	"sqlserver": {driver: "sqlserver", open: "[", shut: "]", top: true},
}

// quote quotes an identifier, doubling the closing quote inside it.
func (d dialect) quote(id string) string {
	return d.open + strings.ReplaceAll(id, d.shut, d.shut+d.shut) + d.shut
}

// FilterError is a filter the sync refuses, with the reason.
type FilterError struct{ Msg string }

func (e *FilterError) Error() string { return "filter: " + e.Msg }

// ErrFilter is matched by every *FilterError (errors.Is).
var ErrFilter = errors.New("filter refused")

func (e *FilterError) Is(target error) bool { return target == ErrFilter }

// Identifiers: unquoted, "quoted", `quoted` or [quoted].
const ident = `(?:[\p{L}_][\p{L}\p{N}_$]*|"[^"]+"|` + "`[^`]+`" + `|\[[^\]]+\])`

var (
	reShape    = regexp.MustCompile(`(?is)^select\s+\$\{MAP\}\s+from\s+(` + ident + `)\s*\.\s*(` + ident + `)(\s+(?:as\s+)?` + ident + `)?(\s+.*)?$`)
	reTail     = regexp.MustCompile(`(?is)^\s+(where|order\s+by)\b`)
	reFrom     = regexp.MustCompile(`(?is)^select\s+\$\{MAP\}\s+from\s+`)
	reLiteral  = regexp.MustCompile(`'(?:[^']|'')*'`)
	reWrite    = regexp.MustCompile(`(?i)\b(insert|update|delete|merge|drop|alter|create|truncate|grant|revoke|exec|execute|into|union|intersect|except|waitfor|for\s+update|for\s+share)\b`)
	reTop      = regexp.MustCompile(`(?i)\btop\b`)
	reKeywords = regexp.MustCompile(`(?i)^(where|order|group|limit|offset|having)$`)
)

// checkFilter validates a filter for dialect d: one SELECT of ${MAP}
// from a schema-qualified table, optionally with where/order by, no
// statement separators, comments or writing keywords, and no TOP on SQL
// Server. Each refusal is a *FilterError saying why.
func checkFilter(d dialect, filter string) error {
	f := strings.TrimSpace(filter)
	bad := func(format string, a ...any) error { return &FilterError{Msg: fmt.Sprintf(format, a...)} }
	if !strings.HasPrefix(strings.ToLower(f), "select") {
		return bad("must be a single SELECT: select ${MAP} from schema.table [where ...] [order by ...]")
	}
	if strings.Count(f, "${MAP}") != 1 {
		return bad("must contain ${MAP} once, right after select (it becomes the mapped columns)")
	}
	code := reLiteral.ReplaceAllString(f, "0") // judge the SQL, not the strings in it
	if strings.Contains(code, "'") {
		return bad("has an unterminated string literal")
	}
	switch {
	case strings.Contains(code, ";"):
		return bad("must be one statement: no ; separator")
	case strings.Contains(code, "--") || strings.Contains(code, "/*") || strings.Contains(code, "*/") || d.hash && strings.Contains(code, "#"):
		return bad("must not contain comments (--, /* */ or #)")
	case d.top && reTop.MatchString(code):
		return bad("TOP is not supported for SQL Server; select all rows and narrow them with where")
	}
	if m := reWrite.FindString(code); m != "" {
		return bad("%q is not allowed: the filter is one read-only SELECT", strings.ToLower(m))
	}
	if !reFrom.MatchString(code) {
		return bad("must start with select ${MAP} from schema.table")
	}
	m := reShape.FindStringSubmatch(code)
	if m == nil {
		return bad("the table must be schema-qualified: from schema_name.table_name")
	}
	if alias := strings.TrimSpace(m[3]); alias != "" && reKeywords.MatchString(alias) {
		m[4], m[3] = m[3]+m[4], ""
	}
	if m[4] != "" && !reTail.MatchString(m[4]) {
		return bad("after the table only where ... and order by ... may follow, not %q", firstWord(m[4]))
	}
	return nil
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// buildQuery replaces ${MAP} in a checked filter with the quoted columns.
func buildQuery(d dialect, filter string, columns []string) string {
	q := make([]string, len(columns))
	for i, c := range columns {
		q[i] = d.quote(c)
	}
	return strings.Replace(strings.TrimSpace(filter), "${MAP}", strings.Join(q, ", "), 1)
}
