package sqlsync

import (
	"database/sql"
	"slices"
	"strings"
	"testing"

	"cidproxy/config"
)

func TestCheckFilter(t *testing.T) {
	cases := []struct {
		driver, filter, err string // err "" = accepted
	}{
		{"sqlserver", "select ${MAP} from testpbx.contacts order by id desc", ""},
		{"postgres", "SELECT ${MAP} FROM crm.people WHERE active AND city = 'Berlin; -- not a comment' ORDER BY id", ""},
		{"mysql", "select ${MAP} from crm.people p where p.deleted = 0", ""},
		{"sqlserver", "select ${MAP} from [dbo].[My Contacts] where [type] = 'x'", ""},
		{"postgres", `select ${MAP} from "CRM"."People"`, ""},
		{"postgres", "update crm.people set x = 1", "must be a single SELECT"},
		{"postgres", "select * from crm.people", "must contain ${MAP} once"},
		{"postgres", "select ${MAP}, ${MAP} from crm.people", "must contain ${MAP} once"},
		{"postgres", "select ${MAP} from crm.people; drop table crm.people", "no ; separator"},
		{"postgres", "select ${MAP} from crm.people -- all", "must not contain comments"},
		{"postgres", "select ${MAP} from crm.people /* x */", "must not contain comments"},
		{"mysql", "select ${MAP} from crm.people # x", "must not contain comments"},
		{"postgres", "select ${MAP} from crm.people where name = 'open", "unterminated string literal"},
		{"sqlserver", "select ${MAP} from dbo.people where id in (select top 5 id from dbo.people)", "TOP is not supported for SQL Server"},
		{"postgres", "select ${MAP} from crm.people where id in (select top from crm.x)", ""}, // top is a column elsewhere
		{"sqlserver", "select ${MAP} into dbo.copy from dbo.people", `"into" is not allowed`},
		{"postgres", "select ${MAP} from crm.people union select ${MAP} from crm.other", "must contain ${MAP} once"},
		{"postgres", "select ${MAP} from crm.people union all select a from crm.other", `"union" is not allowed`},
		{"postgres", "select ${MAP} from crm.people for update", `"for update" is not allowed`},
		{"postgres", "select ${MAP} from people", "the table must be schema-qualified"},
		{"postgres", "select name, ${MAP} from crm.people", "must start with select ${MAP} from"},
		{"postgres", "select ${MAP} from crm.people group by city", `not "group"`},
	}
	for _, tc := range cases {
		err := config.CheckSQLFilter(tc.driver, tc.filter)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s %q: %v", tc.driver, tc.filter, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s %q: %v, want %q", tc.driver, tc.filter, err, tc.err)
		}
	}
}

// TestBuildQuery: ${MAP} becomes the mapped columns in a stable order,
// each quoted for the dialect (closing quotes doubled), a column mapped
// twice is selected once.
func TestBuildQuery(t *testing.T) {
	m := map[string]string{"id": "ID", "first_name": "first", "company": "Firm Name", "business_number": "tel$1", "mobile_number": "first", "remark": "Bemerkung_ä"}
	want := map[string]string{
		"sqlserver": "select [ID], [first], [Firm Name], [tel$1], [Bemerkung_ä] from dbo.c where x = 1",
		"postgres":  `select "ID", "first", "Firm Name", "tel$1", "Bemerkung_ä" from dbo.c where x = 1`,
		"mysql":     "select `ID`, `first`, `Firm Name`, `tel$1`, `Bemerkung_ä` from dbo.c where x = 1",
	}
	for driver, q := range want {
		src, err := compile(config.SQLSource{Name: "t", Driver: driver, DSN: "x", Map: m,
			Filter: " select ${MAP} from dbo.c where x = 1 ", Phonebook: config.SQLPhonebook{Create: "T"}})
		if err != nil {
			t.Fatal(err)
		}
		if src.query != q {
			t.Errorf("%s:\n got %s\nwant %s", driver, src.query, q)
		}
		if src.idCol != 0 || len(src.fields) != 5 || src.fields[1].col != 2 || src.fields[3].col != 1 {
			t.Errorf("%s: columns %v fields %d id %d", driver, src.columns, len(src.fields), src.idCol)
		}
	}
}

// TestQuote: a quote character inside an identifier is doubled, so it
// cannot end the identifier (config also refuses such column names).
func TestQuote(t *testing.T) {
	for driver, want := range map[string]string{"sqlserver": "[a]]b]", "postgres": `"a""b"`, "mysql": "`a``b`"} {
		in := map[string]string{"sqlserver": "a]b", "postgres": `a"b`, "mysql": "a`b"}[driver]
		if got := dialects[driver].quote(in); got != want {
			t.Errorf("%s: quote(%q) = %s, want %s", driver, in, got, want)
		}
	}
}

// TestCompileRefuses: New refuses a source with an invalid filter or
// settings, naming the source.
func TestCompileRefuses(t *testing.T) {
	base := config.SQLSource{Name: "erp", Driver: "sqlserver", DSN: "sqlserver://u:p@h", Map: map[string]string{"company": "c"},
		Filter: "select top 10 ${MAP} from dbo.c", Phonebook: config.SQLPhonebook{Create: "ERP"}}
	if _, err := compile(base); err == nil || !strings.Contains(err.Error(), "sql source erp: filter: TOP is not supported for SQL Server") {
		t.Errorf("select top: %v", err)
	}
	base.Filter, base.Driver = "select ${MAP} from dbo.c", "oracle"
	if _, err := compile(base); err == nil || !strings.Contains(err.Error(), `driver: "oracle" is not one of`) {
		t.Errorf("driver: %v", err)
	}
}

// TestDriversRegistered: the three drivers are compiled in.
func TestDriversRegistered(t *testing.T) {
	for _, d := range dialects {
		if !slices.Contains(sql.Drivers(), d.driver) {
			t.Errorf("driver %s not registered (have %v)", d.driver, sql.Drivers())
		}
	}
	// SQL Server: the driver parses a DSN (no server here to connect to).
	db, err := sql.Open("sqlserver", "sqlserver://user:secret@127.0.0.1:1?database=x&encrypt=disable")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func TestRedact(t *testing.T) {
	for _, dsn := range []string{
		"postgres://app:S3cr3t!@db:5432/crm",
		"host=db user=app password=S3cr3t! dbname=crm",
		"app:S3cr3t!@tcp(db:3306)/crm",
		"sqlserver://app:S3cr3t%21@db?database=crm",
		"server=db;user id=app;password=S3cr3t!;database=crm",
	} {
		r := newRedactor(dsn)
		msg := r.string("failed: " + dsn + " / S3cr3t!")
		if strings.Contains(msg, "S3cr3t") {
			t.Errorf("%s: %s", dsn, msg)
		}
	}
}
