package config

import (
	"fmt"
	"regexp"
	"strings"
)

// SQLFilterError is a filter refused by CheckSQLFilter, with the reason.
type SQLFilterError struct{ Msg string }

func (e *SQLFilterError) Error() string { return "filter: " + e.Msg }

// Identifiers: unquoted, "quoted", `quoted` or [quoted].
const sqlIdent = `(?:[\p{L}_][\p{L}\p{N}_$]*|"[^"]+"|` + "`[^`]+`" + `|\[[^\]]+\])`

var (
	reSQLShape    = regexp.MustCompile(`(?is)^select\s+\$\{MAP\}\s+from\s+(` + sqlIdent + `)\s*\.\s*(` + sqlIdent + `)(\s+(?:as\s+)?` + sqlIdent + `)?(\s+.*)?$`)
	reSQLTail     = regexp.MustCompile(`(?is)^\s+(where|order\s+by)\b`)
	reSQLFrom     = regexp.MustCompile(`(?is)^select\s+\$\{MAP\}\s+from\s+`)
	reSQLLiteral  = regexp.MustCompile(`'(?:[^']|'')*'`)
	reSQLWrite    = regexp.MustCompile(`(?i)\b(insert|update|delete|merge|drop|alter|create|truncate|grant|revoke|exec|execute|into|union|intersect|except|waitfor|for\s+update|for\s+share)\b`)
	reSQLTop      = regexp.MustCompile(`(?i)\btop\b`)
	reSQLKeywords = regexp.MustCompile(`(?i)^(where|order|group|limit|offset|having)$`)
)

// CheckSQLFilter validates a filter for driver (sqlserver, postgres,
// mysql): one SELECT of ${MAP} from a schema-qualified table, optionally
// with where/order by, no statement separators, comments or writing
// keywords, and no TOP on SQL Server ("#" is a comment on MySQL too). Each
// refusal is a *SQLFilterError saying why.
func CheckSQLFilter(driver, filter string) error {
	f := strings.TrimSpace(filter)
	bad := func(format string, a ...any) error { return &SQLFilterError{Msg: fmt.Sprintf(format, a...)} }
	top, hash := driver == "sqlserver", driver == "mysql"
	if !strings.HasPrefix(strings.ToLower(f), "select") {
		return bad("must be a single SELECT: select ${MAP} from schema.table [where ...] [order by ...]")
	}
	if strings.Count(f, "${MAP}") != 1 {
		return bad("must contain ${MAP} once, right after select (it becomes the mapped columns)")
	}
	code := reSQLLiteral.ReplaceAllString(f, "0") // judge the SQL, not the strings in it
	if strings.Contains(code, "'") {
		return bad("has an unterminated string literal")
	}
	switch {
	case strings.Contains(code, ";"):
		return bad("must be one statement: no ; separator")
	case strings.Contains(code, "--") || strings.Contains(code, "/*") || strings.Contains(code, "*/") || hash && strings.Contains(code, "#"):
		return bad("must not contain comments (--, /* */ or #)")
	case top && reSQLTop.MatchString(code):
		return bad("TOP is not supported for SQL Server; select all rows and narrow them with where")
	}
	if m := reSQLWrite.FindString(code); m != "" {
		return bad("%q is not allowed: the filter is one read-only SELECT", strings.ToLower(m))
	}
	if !reSQLFrom.MatchString(code) {
		return bad("must start with select ${MAP} from schema.table")
	}
	m := reSQLShape.FindStringSubmatch(code)
	if m == nil {
		return bad("the table must be schema-qualified: from schema_name.table_name")
	}
	if alias := strings.TrimSpace(m[3]); alias != "" && reSQLKeywords.MatchString(alias) {
		m[4], m[3] = m[3]+m[4], ""
	}
	if m[4] != "" && !reSQLTail.MatchString(m[4]) {
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
