package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"cidproxy/lookup"
)

// viewers of the fixture: the admin and three extensions.
func (e *env) viewers() map[string]string {
	return map[string]string{"admin": e.admin, "1001": e.tok["1001"], "1002": e.tok["1002"], "1003": e.tok["1003"]}
}

func TestContactVisibility(t *testing.T) {
	e := newEnv(t)
	// want[contact][viewer] is the status of GET /api/v1/contacts/{id}.
	want := map[string]map[string]int{
		"Sam":    {"admin": 200, "1001": 200, "1002": 200, "1003": 404},
		"Sue":    {"admin": 200, "1001": 200, "1002": 200, "1003": 200},
		"Xavier": {"admin": 200, "1001": 404, "1002": 404, "1003": 404},
		"Eve":    {"admin": 200, "1001": 200, "1002": 200, "1003": 200},
	}
	for name, byViewer := range want {
		for who, code := range byViewer {
			r := e.expect(req{method: "GET", path: "/api/v1/contacts/" + e.ct[name].ID, token: e.viewers()[who]}, code)
			if code == 404 && strings.Contains(string(r.Body), name) {
				t.Errorf("%s reading %s: 404 body leaks the contact: %s", who, name, r.Body)
			}
		}
	}
	lists := map[string][]string{
		"admin": {"Eve Erp", "Sam Sales", "Sue Support", "Xavier Secret"},
		"1001":  {"Eve Erp", "Sam Sales", "Sue Support"},
		"1003":  {"Eve Erp", "Sue Support"},
	}
	for who, wantNames := range lists {
		got := names(t, e.expect(req{method: "GET", path: "/api/v1/contacts", token: e.viewers()[who]}, 200))
		slices.Sort(got)
		if !slices.Equal(got, wantNames) {
			t.Errorf("%s lists %v, want %v", who, got, wantNames)
		}
	}
	// Filtering by a phonebook the viewer cannot see is a 404, not an empty list.
	e.expect(req{method: "GET", path: "/api/v1/contacts?phonebook=" + e.pb["secret"], token: e.tok["1001"]}, 404)
	got := names(t, e.expect(req{method: "GET", path: "/api/v1/contacts?phonebook=" + e.pb["sales"], token: e.tok["1001"]}, 200))
	if !slices.Equal(got, []string{"Sam Sales"}) {
		t.Errorf("sales for 1001: %v", got)
	}
}

func TestContactRedactsInvisiblePhonebooks(t *testing.T) {
	e := newEnv(t)
	c := e.ct["Sam"]
	c.Phonebooks = []string{e.pb["sales"], e.pb["secret"]}
	c.Rev = 0
	c, err := e.db.PutContact(t.Context(), c)
	e.must(err)
	var got lookup.Contact
	e.expect(req{method: "GET", path: "/api/v1/contacts/" + c.ID, token: e.tok["1001"]}, 200).decode(t, &got)
	if !slices.Equal(got.Phonebooks, []string{e.pb["sales"]}) {
		t.Errorf("1001 sees phonebooks %v, want only sales", got.Phonebooks)
	}
	// A manager of one of its phonebooks may not edit a contact that also
	// lives in a phonebook it does not manage (issue 15 item 3); the answer
	// names no hidden phonebook.
	p := e.expect(req{method: "PATCH", path: "/api/v1/contacts/" + c.ID, token: e.tok["1002"], body: map[string]string{"remark": "vip"}}, 403).problem(t)
	if strings.Contains(p.Detail, e.pb["secret"]) || strings.Contains(p.Detail, "secret") {
		t.Errorf("detail names the hidden phonebook: %s", p.Detail)
	}
	// An admin's edit keeps the membership.
	e.expect(req{method: "PATCH", path: "/api/v1/contacts/" + c.ID, token: e.admin, body: map[string]string{"remark": "vip"}}, 200)
	stored, err := e.db.GetContact(t.Context(), c.ID)
	e.must(err)
	if len(stored.Phonebooks) != 2 || stored.Remark != "vip" {
		t.Errorf("stored %v %q, want sales and secret, vip", stored.Phonebooks, stored.Remark)
	}
	// It cannot delete a contact that also lives in a phonebook it does not manage.
	p = e.expect(req{method: "DELETE", path: "/api/v1/contacts/" + c.ID, token: e.tok["1002"]}, 403).problem(t)
	if strings.Contains(p.Detail, e.pb["secret"]) {
		t.Errorf("detail names the hidden phonebook: %s", p.Detail)
	}
}

func TestContactManageVersusView(t *testing.T) {
	e := newEnv(t)
	sam := "/api/v1/contacts/" + e.ct["Sam"].ID
	body := map[string]any{"first_name": "Samuel", "last_name": "Sales", "mobile_number": "+4917011111"}
	e.expect(req{method: "PUT", path: sam, token: e.tok["1001"], body: body}, 403)   // view only
	e.expect(req{method: "PUT", path: sam, token: e.tok["1003"], body: body}, 404)   // cannot see
	e.expect(req{method: "PATCH", path: sam, token: e.tok["1001"], body: body}, 403) // view only
	var got lookup.Contact
	e.expect(req{method: "PUT", path: sam, token: e.tok["1002"], body: body}, 200).decode(t, &got)
	if got.FirstName != "Samuel" || !slices.Equal(got.Phonebooks, []string{e.pb["sales"]}) {
		t.Errorf("manager PUT: %+v (absent phonebooks must keep the membership)", got)
	}
	// Creating: only into a phonebook the extension manages.
	newC := func(pbs ...string) map[string]any {
		return map[string]any{"company": "ACME", "business_number": "+4930999999", "phonebooks": pbs}
	}
	e.expect(req{method: "POST", path: "/api/v1/contacts", token: e.tok["1002"], body: newC(e.pb["sales"])}, 201)
	e.expect(req{method: "POST", path: "/api/v1/contacts", token: e.tok["1001"], body: newC(e.pb["sales"])}, 403)
	e.expect(req{method: "POST", path: "/api/v1/contacts", token: e.tok["1002"], body: newC()}, 403)
	e.expect(req{method: "POST", path: "/api/v1/contacts", token: e.tok["1002"], body: newC(e.pb["support"])}, 403)
	p := e.expect(req{method: "POST", path: "/api/v1/contacts", token: e.tok["1003"], body: newC(e.pb["secret"])}, 422).problem(t)
	if p.Field != "phonebooks" {
		t.Errorf("field %q", p.Field)
	}
	// Moving a contact out of a view-only phonebook is refused.
	sue := "/api/v1/contacts/" + e.ct["Sue"].ID
	e.expect(req{method: "PATCH", path: sue, token: e.tok["1002"], body: map[string]any{"phonebooks": []string{e.pb["sales"]}}}, 403)
	// Deleting: the manager may, the viewer may not.
	e.expect(req{method: "DELETE", path: sam, token: e.tok["1001"]}, 403)
	e.expect(req{method: "DELETE", path: sam, token: e.tok["1002"]}, 204)
	e.expect(req{method: "GET", path: sam, token: e.admin}, 404)
}

func TestContactReadOnly(t *testing.T) {
	e := newEnv(t)
	eve := "/api/v1/contacts/" + e.ct["Eve"].ID
	for _, q := range []req{
		{method: "PUT", path: eve, token: e.admin, body: map[string]string{"first_name": "Evelyn"}},
		{method: "PATCH", path: eve, token: e.admin, body: map[string]string{"remark": "x"}},
		{method: "DELETE", path: eve, token: e.admin},
		{method: "POST", path: "/api/v1/phonebooks/" + e.pb["sales"] + "/contacts", token: e.admin, body: map[string]string{"contact_id": e.ct["Eve"].ID}},
	} {
		p := e.expect(q, http.StatusConflict).problem(t)
		if !strings.Contains(p.Detail, "sql:erp") || !strings.Contains(p.Detail, "read-only") {
			t.Errorf("%s: detail %q does not say where the contact comes from", q.method, p.Detail)
		}
	}
	// A manual contact cannot be put into a synced phonebook either.
	p := e.expect(req{method: "PATCH", path: "/api/v1/contacts/" + e.ct["Sue"].ID, token: e.admin,
		body: map[string]any{"phonebooks": []string{e.pb["support"], e.pb["erp"]}}}, http.StatusConflict).problem(t)
	if !strings.Contains(p.Detail, "sql:erp") {
		t.Errorf("detail %q", p.Detail)
	}
	// Creating a synced contact through the API is not possible: source is ignored.
	var c lookup.Contact
	e.expect(req{method: "POST", path: "/api/v1/contacts", token: e.admin, body: map[string]any{"company": "X", "source": "sql:erp", "read_only": true}}, 201).decode(t, &c)
	if c.ReadOnly || c.Source != lookup.ContactSourceManual {
		t.Errorf("created %+v", c)
	}
}

func TestContactSearch(t *testing.T) {
	e := newEnv(t)
	for _, c := range []map[string]any{
		{"first_name": "Jürgen", "last_name": "Müller", "mobile_number": "+49 171 2345678", "phonebooks": []string{e.pb["support"]}},
		{"first_name": "Ånne", "last_name": "Østergaard", "company": "Nordic", "phonebooks": []string{e.pb["support"]}},
	} {
		e.expect(req{method: "POST", path: "/api/v1/contacts", token: e.admin, body: c}, 201)
	}
	for _, tc := range []struct {
		query string
		who   string
		want  []string
	}{
		{"q=muller", "1003", []string{"Jürgen Müller"}},
		{"q=M%C3%9CLL", "1003", []string{"Jürgen Müller"}},
		{"q=anne", "1003", []string{"Ånne Østergaard"}},
		{"q=nordic", "admin", []string{"Ånne Østergaard"}},
		{"q=secret", "admin", []string{"Xavier Secret"}},
		{"q=secret", "1001", []string{}},
		{"number=%2B49%20(171)%20234-5678", "1003", []string{"Jürgen Müller"}},
		{"number=%2B4917011111", "1001", []string{"Sam Sales"}},
		{"number=%2B4917011111", "1003", []string{}},
	} {
		got := names(t, e.expect(req{method: "GET", path: "/api/v1/contacts?" + tc.query, token: e.viewers()[tc.who]}, 200))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s as %s: %v, want %v", tc.query, tc.who, got, tc.want)
		}
	}
	e.expect(req{method: "GET", path: "/api/v1/contacts?q=" + strings.Repeat("x", 300), token: e.admin}, 400)
	e.expect(req{method: "GET", path: "/api/v1/contacts?limit=0", token: e.admin}, 400)
	e.expect(req{method: "GET", path: "/api/v1/contacts?limit=abc", token: e.admin}, 400)
}

func TestContactPagination(t *testing.T) {
	e := newEnv(t)
	for i := range 7 {
		e.expect(req{method: "POST", path: "/api/v1/contacts", token: e.admin,
			body: map[string]any{"company": fmt.Sprintf("Paged %d", i), "phonebooks": []string{e.pb["support"]}}}, 201)
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		var p page[lookup.Contact]
		e.expect(req{method: "GET", path: "/api/v1/phonebooks/" + e.pb["support"] + "/contacts?limit=3&cursor=" + cursor, token: e.tok["1003"]}, 200).decode(t, &p)
		pages++
		if len(p.Items) > 3 {
			t.Fatalf("page of %d items with limit=3", len(p.Items))
		}
		for _, c := range p.Items {
			if seen[c.ID] {
				t.Fatalf("contact %s on two pages", c.ID)
			}
			seen[c.ID] = true
		}
		if p.NextCursor == "" {
			break
		}
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		cursor = p.NextCursor
	}
	if len(seen) != 8 || pages < 3 { // 7 + Sue
		t.Errorf("saw %d contacts on %d pages, want 8 on >= 3", len(seen), pages)
	}
}

func TestContactETag(t *testing.T) {
	e := newEnv(t)
	path := "/api/v1/contacts/" + e.ct["Sue"].ID
	r := e.expect(req{method: "GET", path: path, token: e.tok["1003"]}, 200)
	tag := r.Header.Get("ETag")
	if tag != etag(e.ct["Sue"].Rev) {
		t.Fatalf("ETag %q, want %q", tag, etag(e.ct["Sue"].Rev))
	}
	r = e.expect(req{method: "GET", path: path, token: e.tok["1003"], header: map[string]string{"If-None-Match": tag}}, http.StatusNotModified)
	if len(r.Body) != 0 {
		t.Errorf("304 with body %q", r.Body)
	}
	e.expect(req{method: "GET", path: path, token: e.tok["1003"], header: map[string]string{"If-None-Match": `"1"`}}, 200)
	patch := map[string]string{"remark": "changed"}
	e.expect(req{method: "PATCH", path: path, token: e.admin, body: patch, header: map[string]string{"If-Match": `"999999"`}}, http.StatusPreconditionFailed)
	r = e.expect(req{method: "PATCH", path: path, token: e.admin, body: patch, header: map[string]string{"If-Match": tag}}, 200)
	newTag := r.Header.Get("ETag")
	if newTag == "" || newTag == tag {
		t.Fatalf("ETag after write %q (was %q)", newTag, tag)
	}
	e.expect(req{method: "PUT", path: path, token: e.admin, body: patch, header: map[string]string{"If-Match": tag}}, http.StatusPreconditionFailed)
	e.expect(req{method: "DELETE", path: path, token: e.admin, header: map[string]string{"If-Match": tag}}, http.StatusPreconditionFailed)
	e.expect(req{method: "GET", path: path, token: e.admin, header: map[string]string{"If-None-Match": tag}}, 200)
	e.expect(req{method: "DELETE", path: path, token: e.admin, header: map[string]string{"If-Match": newTag}}, 204)
}

func TestContactBadRequests(t *testing.T) {
	e := newEnv(t, withMaxBody(2048))
	sue := "/api/v1/contacts/" + e.ct["Sue"].ID
	for _, tc := range []struct {
		name  string
		q     req
		code  int
		field string
		in    string // substring of detail
	}{
		{"malformed", req{method: "POST", path: "/api/v1/contacts", body: `{"company": `}, 400, "", "malformed JSON"},
		{"syntax", req{method: "POST", path: "/api/v1/contacts", body: `{"company" "x"}`}, 400, "", "malformed JSON"},
		{"empty", req{method: "POST", path: "/api/v1/contacts", body: ``}, 400, "", "empty body"},
		{"unknown field", req{method: "POST", path: "/api/v1/contacts", body: `{"company":"x","nickname":"y"}`}, 400, "nickname", `unknown field "nickname"`},
		{"unknown field patch", req{method: "PATCH", path: sue, body: `{"fax":"1"}`}, 400, "fax", `unknown field "fax"`},
		{"wrong type", req{method: "POST", path: "/api/v1/contacts", body: `{"company":5}`}, 400, "company", "expected string"},
		{"trailing", req{method: "POST", path: "/api/v1/contacts", body: `{"company":"x"} {}`}, 400, "", "after the JSON"},
		{"array", req{method: "POST", path: "/api/v1/contacts", body: `[]`}, 400, "", ""},
		{"text/plain", req{method: "POST", path: "/api/v1/contacts", body: `{"company":"x"}`, ctype: "text/plain"}, 415, "", "application/json"},
		{"no name", req{method: "POST", path: "/api/v1/contacts", body: `{"email":"a@b.c"}`}, 422, "first_name", ""},
		{"bad number", req{method: "POST", path: "/api/v1/contacts", body: `{"company":"x","mobile_number":"call me"}`}, 400, "mobile_number", ""},
		{"id mismatch", req{method: "PUT", path: sue, body: `{"id":"other","company":"x"}`}, 422, "id", "does not match"},
		{"owner", req{method: "POST", path: "/api/v1/contacts", body: `{"company":"x","owner":"1001"}`}, 422, "owner", ""},
		{"unknown phonebook", req{method: "POST", path: "/api/v1/contacts", body: `{"company":"x","phonebooks":["nope"]}`}, 422, "phonebooks", ""},
		{"oversized", req{method: "POST", path: "/api/v1/contacts", body: `{"company":"` + strings.Repeat("x", 4096) + `"}`}, 413, "", "2048"},
		{"oversized import", req{method: "POST", path: "/api/v1/contacts/import", body: "company\n" + strings.Repeat("x\n", 2048), ctype: "text/csv"}, 413, "", ""},
		{"duplicate id", req{method: "POST", path: "/api/v1/contacts", body: `{"id":"` + e.ct["Sue"].ID + `","company":"x"}`}, 409, "", "already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.token = e.admin
			if tc.q.ctype == "" {
				tc.q.ctype = "application/json"
			}
			p := e.expect(tc.q, tc.code).problem(t)
			if p.Field != tc.field {
				t.Errorf("field %q, want %q (%s)", p.Field, tc.field, p.Detail)
			}
			if !strings.Contains(p.Detail, tc.in) {
				t.Errorf("detail %q lacks %q", p.Detail, tc.in)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	// The fixture holds 4 company contacts, 4 phonebooks, 1 personal contact of 1001.
	e := newEnv(t, withLimits(5, 4, 2))
	add := func() *resp {
		return e.do(req{method: "POST", path: "/api/v1/contacts", token: e.admin, body: map[string]any{"company": "C", "phonebooks": []string{e.pb["support"]}}})
	}
	if r := add(); r.Code != 201 {
		t.Fatalf("5th contact: %d %s", r.Code, r.Body)
	}
	r := add()
	if r.Code != http.StatusConflict || !strings.Contains(r.problem(t).Detail, "limit") {
		t.Fatalf("6th contact: %d %s", r.Code, r.Body)
	}
	p := e.expect(req{method: "POST", path: "/api/v1/phonebooks", token: e.admin, body: map[string]string{"name": "fifth"}}, http.StatusConflict).problem(t)
	if !strings.Contains(p.Detail, "limit") {
		t.Errorf("phonebook limit detail %q", p.Detail)
	}
	personal := "/api/v1/extensions/1001/contacts"
	e.expect(req{method: "POST", path: personal, token: e.tok["1001"], body: map[string]string{"first_name": "Second"}}, 201)
	e.expect(req{method: "POST", path: personal, token: e.tok["1001"], body: map[string]string{"first_name": "Third"}}, http.StatusConflict)
	// A bulk import over the limit writes nothing, even with ?partial=1.
	csv := "first_name,mobile_number\nA,+4915100001\nB,+4915100002\n"
	for _, q := range []string{"", "?partial=1"} {
		e.expect(req{method: "POST", path: "/api/v1/extensions/1002/contacts/import" + q, token: e.tok["1002"], body: csv, ctype: "text/csv"}, http.StatusConflict)
	}
	got := names(t, e.expect(req{method: "GET", path: "/api/v1/extensions/1002/contacts", token: e.tok["1002"]}, 200))
	if len(got) != 1 {
		t.Errorf("1002 has %v after refused imports", got)
	}
}
