package template

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// cet is a fixed UTC+1 zone standing in for a PBX in Europe/Berlin in winter.
var cet = time.FixedZone("CET", 3600)

func mustParseFile(t testing.TB, name string, opts ...Option) *Template {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := Parse(b, append([]Option{WithLocation(cet)}, opts...)...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return tp
}

func mustParse(t testing.TB, xml string, opts ...Option) *Template {
	t.Helper()
	tp, err := Parse([]byte(xml), append([]Option{WithLocation(cet)}, opts...)...)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return tp
}

// req returns request name of scenario id, failing the test if absent.
func req(t testing.TB, tp *Template, id, name string) *Request {
	t.Helper()
	s := tp.Scenario(id)
	if s == nil {
		t.Fatalf("no scenario %s", id)
	}
	r := s.Request(name)
	if r == nil {
		t.Fatalf("no request %s/%s", id, name)
	}
	return r
}

// param returns the parameter name of scenario id.
func param(t testing.TB, tp *Template, id, name string) *Parameter {
	t.Helper()
	p := tp.Param(id, name)
	if p == nil {
		t.Fatalf("no parameter %s/%s", id, name)
	}
	return p
}

// renderValue compiles src in ctx with the seed functions (PBX zone CET) and
// renders it.
func renderValue(t testing.TB, src string, ctx Context, vars Vars) string {
	t.Helper()
	v, err := newCompiled(cet).compileValue(src, ctx)
	if err != nil {
		t.Fatalf("compile %q: %v", src, err)
	}
	s, err := v.exec(vars)
	if err != nil {
		t.Fatalf("exec %q: %v", src, err)
	}
	return s
}
