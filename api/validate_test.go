package api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// TestInputValidation (issue 15 item 11): invalid UTF-8, NUL bytes and
// numbers that are no phone numbers (++4930, sip:1@x) are refused with a
// 400 naming the field, and nothing is stored. The old code stored them
// (invalid UTF-8 turned into U+FFFD, NUL kept in names).
func TestInputValidation(t *testing.T) {
	e := newEnv(t)
	sam := "/api/v1/contacts/" + e.ct["Sam"].ID
	paula := "/api/v1/extensions/1001/contacts/" + e.pc["Paula"].ID
	tests := []struct {
		name         string
		method, path string
		body         string
		field        string
	}{
		{"utf8 name", "POST", "/api/v1/contacts", "{\"first_name\":\"A\xff\",\"phonebooks\":[]}", "first_name"},
		{"utf8 in array", "POST", "/api/v1/contacts", "{\"company\":\"x\",\"phonebooks\":[\"\xc3\"]}", "phonebooks"},
		{"utf8 key", "POST", "/api/v1/contacts", "{\"comp\xffany\":\"x\"}", ""},
		{"double plus", "POST", "/api/v1/contacts", `{"company":"x","mobile_number":"++4930"}`, "mobile_number"},
		{"sip uri", "POST", "/api/v1/contacts", `{"company":"x","business_number":"sip:1@x"}`, "business_number"},
		{"nul in number", "POST", "/api/v1/contacts", `{"company":"x","home_number":"+4930\u0000123"}`, "home_number"},
		{"nul in name", "POST", "/api/v1/contacts", `{"first_name":"A\u0000B"}`, "first_name"},
		{"line break in name", "PATCH", sam, `{"last_name":"A\nB"}`, "last_name"},
		{"nul patch", "PATCH", sam, `{"remark":"x\u0000"}`, "remark"},
		{"personal number", "POST", "/api/v1/extensions/1001/contacts", `{"first_name":"P","mobile_number":"+49+30"}`, "mobile_number"},
		{"personal utf8", "PUT", paula, "{\"first_name\":\"\xed\xa0\x80\"}", "first_name"},
		{"phonebook name", "POST", "/api/v1/phonebooks", `{"name":"a\u0000"}`, "name"},
		{"extension name", "PATCH", "/api/v1/extensions/1001", "{\"name\":\"\xff\"}", "name"},
		{"prefix name", "POST", "/api/v1/prefixes", `{"prefix":"+4989*","name":"M\u0007"}`, "name"},
	}
	for _, tc := range tests {
		r := e.do(req{method: tc.method, path: tc.path, token: e.admin, body: tc.body})
		if r.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400; body %s", tc.name, r.Code, r.Body)
			continue
		}
		if p := r.problem(t); p.Field != tc.field {
			t.Errorf("%s: field %q, want %q (%s)", tc.name, p.Field, tc.field, p.Detail)
		}
	}
	if n := e.count("/api/v1/contacts", e.admin); n != 4 {
		t.Errorf("%d company contacts after the refused writes, want the fixture's 4", n)
	}
	// Numbers as people write them still go in.
	e.expect(req{method: "POST", path: "/api/v1/contacts", token: e.admin, body: `{"company":"ok","mobile_number":"+49 (30) 123-45/67","remark":"two\nlines"}`}, 201)

	// Imports name the row and column.
	p := e.expect(req{method: "POST", path: "/api/v1/contacts/import", token: e.admin, ctype: "text/csv",
		body: "first_name,mobile_number\nGood,+4930111\nBad,++4930\n"}, 422).problem(t)
	if len(p.Errors) != 1 || p.Errors[0].Row != 3 || p.Errors[0].Field != "mobile_number" {
		t.Errorf("import problem %+v", p)
	}
}

// countingReader counts what is read of r.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

// csvOf returns a contacts CSV of at least n bytes.
func csvOf(n int) []byte {
	b := []byte("first_name,mobile_number\n")
	for i := 0; len(b) < n; i++ {
		b = fmt.Appendf(b, "Name%d,+49301%07d\n", i, i%10_000_000)
	}
	return b
}

// TestOversizedBodyIsCheap (issue 15 item 11): a body over
// admin.max_body_size is refused with 413 before it is read when its
// length is announced, and, when it is not (chunked), after being
// streamed to disk: parsing it first cost the old code 2-4 times its size
// in memory.
func TestOversizedBodyIsCheap(t *testing.T) {
	const limit = 4 << 20
	e := newEnv(t, withMaxBody(limit))
	data := csvOf(limit + 1<<20)
	send := func(length int64) (*httptest.ResponseRecorder, *countingReader, uint64) {
		body := &countingReader{r: bytes.NewReader(data)}
		r := httptest.NewRequest("POST", "/api/v1/contacts/import", io.NopCloser(body))
		r.ContentLength = length
		r.Header.Set("Content-Type", "text/csv")
		r.Header.Set("Authorization", "Bearer "+e.admin)
		w := httptest.NewRecorder()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		e.server.Handler().ServeHTTP(w, r)
		runtime.ReadMemStats(&after)
		return w, body, after.TotalAlloc - before.TotalAlloc
	}
	w, body, _ := send(limit + 1<<20)
	if w.Code != http.StatusRequestEntityTooLarge || body.read != 0 {
		t.Errorf("announced oversized body: status %d after reading %d bytes; want 413 after none", w.Code, body.read)
	}
	w, body, alloc := send(-1)
	if w.Code != http.StatusRequestEntityTooLarge || body.read <= limit {
		t.Errorf("chunked oversized body: status %d after reading %d bytes; want 413", w.Code, body.read)
	}
	if alloc > limit/4 {
		t.Errorf("refusing a chunked %d MiB body allocated %d KiB, want under %d KiB", limit>>20, alloc>>10, limit/4>>10)
	}
	if !strings.Contains(w.Body.String(), "larger than") {
		t.Errorf("413 body %s", w.Body)
	}
	// A JSON record body is capped far below the import limit.
	big := bytes.Repeat([]byte(" "), 2<<20)
	e.expect(req{method: "POST", path: "/api/v1/contacts", token: e.admin, body: append(big, `{"company":"x"}`...)}, 413)
}
