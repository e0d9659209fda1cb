package api

import (
	"net/http"
	"slices"
	"testing"

	"cidproxy/lookup"
)

func TestPersonalIsolation(t *testing.T) {
	e := newEnv(t)
	paula := "/api/v1/extensions/1001/contacts/" + e.pc["Paula"].ID
	for _, q := range []req{
		{method: "GET", path: "/api/v1/extensions/1001/contacts"},
		{method: "GET", path: paula},
		{method: "PATCH", path: paula, body: map[string]string{"remark": "x"}},
		{method: "PUT", path: paula, body: map[string]string{"first_name": "x"}},
		{method: "DELETE", path: paula},
		{method: "POST", path: "/api/v1/extensions/1001/contacts", body: map[string]string{"first_name": "x"}},
		{method: "POST", path: "/api/v1/extensions/1001/contacts/import", body: "first_name\nx\n", ctype: "text/csv"},
		{method: "GET", path: "/api/v1/extensions/1001/contacts/export"},
		{method: "GET", path: "/api/v1/extensions/1001"},
	} {
		q.token = e.tok["1002"]
		e.expect(q, http.StatusNotFound)
	}
	// B's personal contact id under A's URL is not found either.
	e.expect(req{method: "GET", path: "/api/v1/extensions/1001/contacts/" + e.pc["Bert"].ID, token: e.tok["1001"]}, 404)
	// Personal contacts are not company contacts.
	e.expect(req{method: "GET", path: "/api/v1/contacts/" + e.pc["Paula"].ID, token: e.tok["1001"]}, 404)
	got := names(t, e.expect(req{method: "GET", path: "/api/v1/extensions/1001/contacts", token: e.tok["1001"]}, 200))
	if !slices.Equal(got, []string{"Paula Private"}) {
		t.Errorf("1001 lists %v", got)
	}
	got = names(t, e.expect(req{method: "GET", path: "/api/v1/extensions/1002/contacts", token: e.admin}, 200))
	if !slices.Equal(got, []string{"Bert Bobfriend"}) {
		t.Errorf("admin lists 1002: %v", got)
	}
	e.expect(req{method: "GET", path: "/api/v1/extensions/9999/contacts", token: e.admin}, 404)
}

func TestPersonalCRUD(t *testing.T) {
	e := newEnv(t)
	base := "/api/v1/extensions/1003/contacts"
	tok := e.tok["1003"]
	var c lookup.Contact
	r := e.expect(req{method: "POST", path: base, token: tok, body: map[string]string{"first_name": "Zoë", "mobile_number": "+49 151 777 888"}}, 201)
	r.decode(t, &c)
	if c.Owner != "1003" || c.ID == "" || r.Header.Get("ETag") != etag(c.Rev) {
		t.Fatalf("created %+v ETag %q", c, r.Header.Get("ETag"))
	}
	path := base + "/" + c.ID
	e.expect(req{method: "PATCH", path: path, token: tok, body: map[string]string{"last_name": "Zed"}}, 200).decode(t, &c)
	if c.DisplayName() != "Zoë Zed" || c.Mobile == "" {
		t.Errorf("after patch %+v", c)
	}
	e.expect(req{method: "PUT", path: path, token: tok, body: map[string]string{"first_name": "Zoe"}}, 200).decode(t, &c)
	if c.DisplayName() != "Zoe" || c.Mobile != "" {
		t.Errorf("after put %+v", c)
	}
	got := names(t, e.expect(req{method: "GET", path: base + "?q=ZOE", token: tok}, 200))
	if !slices.Equal(got, []string{"Zoe"}) {
		t.Errorf("search %v", got)
	}
	e.expect(req{method: "POST", path: base, token: tok, body: map[string]any{"first_name": "x", "phonebooks": []string{e.pb["support"]}}}, 422)
	e.expect(req{method: "POST", path: base, token: tok, body: map[string]any{"first_name": "x", "owner": "1001"}}, 422)
	e.expect(req{method: "GET", path: base + "?phonebook=x", token: tok}, 400)
	e.expect(req{method: "DELETE", path: path, token: tok, header: map[string]string{"If-Match": `"1"`}}, 412)
	e.expect(req{method: "DELETE", path: path, token: tok}, 204)
	e.expect(req{method: "GET", path: path, token: tok}, 404)
}
