package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"cidproxy/lookup"
)

// FuzzContactJSON feeds request bodies to the JSON decoder the API uses:
// it never panics, every error is a 400 problem, and what it accepts
// survives a round trip.
func FuzzContactJSON(f *testing.F) {
	f.Add([]byte(`{"first_name":"Jürgen","mobile_number":"+49 171 1","phonebooks":["a"]}`))
	f.Add([]byte(`{"company":"x","nickname":"y"}`))
	f.Add([]byte(`{"company":5}`))
	f.Add([]byte(`{"company":"x"} {}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"rev":-1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var c lookup.Contact
		err := decodeJSONBody(bytes.NewReader(body), &c)
		if err != nil {
			p, ok := toProblem(err)
			if !ok || (p.Status != http.StatusBadRequest && p.Status != http.StatusRequestEntityTooLarge) || p.Detail == "" {
				t.Fatalf("error %v -> %+v", err, p)
			}
			return
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back lookup.Contact
		if err := decodeJSONBody(bytes.NewReader(b), &back); err != nil {
			t.Fatalf("re-decode %s: %v", b, err)
		}
		if len(back.Phonebooks) == 0 && len(c.Phonebooks) == 0 {
			back.Phonebooks, c.Phonebooks = nil, nil
		}
		if !reflect.DeepEqual(back, c) && utf8.Valid(body) {
			t.Fatalf("round trip: %+v != %+v", back, c)
		}
	})
}

// FuzzImportCSV feeds files to the CSV import parser: it never panics, a
// header error is a 422 problem, and rows and errors carry sane lines.
func FuzzImportCSV(f *testing.F) {
	f.Add([]byte("first_name,mobile_number\nA,+49 171 1\n"))
	f.Add([]byte("\ufefffirst_name,nickname\nA,B\n"))
	f.Add([]byte("first_name\n\"open\n"))
	f.Add([]byte("company,remark\n\"a,b\",\"two\nlines\"\nc\n"))
	f.Add([]byte("first_name\n\xff\xfe\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, lines, errs, err := parseCSV(bytes.NewReader(data))
		if err != nil {
			var p *problem
			if !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(cs) != len(lines) {
			t.Fatalf("%d contacts, %d lines", len(cs), len(lines))
		}
		last := 1
		for i := range cs {
			if lines[i] <= last {
				t.Fatalf("row line %d after %d", lines[i], last)
			}
			last = lines[i]
			for _, col := range []string{"first_name", "company", "remark", "mobile_number"} {
				if v := *csvField(&cs[i], col); !utf8.ValidString(v) || v != strings.TrimSpace(v) {
					t.Fatalf("field %s = %q", col, v)
				}
			}
		}
		for _, e := range errs {
			if e.Row < 2 || e.Error == "" {
				t.Fatalf("row error %+v", e)
			}
		}
	})
}

// FuzzListQuery feeds query strings to the list, sync and phone parameter
// parsers: they never panic and reject with 400 only.
func FuzzListQuery(f *testing.F) {
	f.Add("q=m%C3%BCller&number=%2B49&limit=10&cursor=abc")
	f.Add("limit=-1&since=18446744073709551616")
	f.Add("cursor=%%%&offset=99999999999&account=6")
	f.Add("q=" + strings.Repeat("x", 300))
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/x", nil)
		r.URL.RawQuery = raw
		check := func(err error) {
			if err == nil {
				return
			}
			p, ok := toProblem(err)
			if !ok || p.Status != http.StatusBadRequest {
				t.Fatalf("%q: %v", raw, err)
			}
		}
		q, err := contactQuery(r, lookup.Viewer{Admin: true})
		check(err)
		if err == nil && (q.Limit < 1 || q.Limit > maxLimit || len(q.Text) > maxQueryLen) {
			t.Fatalf("query %+v", q)
		}
		_, err = pageOf([]string{"a", "b", "c"}, func(s string) string { return s }, r)
		check(err)
		_, limit, err := syncParams(r)
		check(err)
		if err == nil && (limit < 1 || limit > maxSyncLimit) {
			t.Fatalf("sync limit %d", limit)
		}
		p, d, err := phoneParams(r.URL.Query())
		check(err)
		if err == nil && (p.Offset < 0 || p.Limit < 0 || d.Account < 0 || d.Account > 5) {
			t.Fatalf("phone params %+v %+v", p, d)
		}
	})
}
