package api

import (
	"net/http"
	"testing"

	"cidproxy/lookup"
)

func TestExtensions(t *testing.T) {
	e := newEnv(t)
	var p page[lookup.Extension]
	e.expect(req{method: "GET", path: "/api/v1/extensions", token: e.admin}, 200).decode(t, &p)
	if len(p.Items) != 3 || p.Items[0].Number != "1001" {
		t.Errorf("admin lists %+v", p.Items)
	}
	e.expect(req{method: "GET", path: "/api/v1/extensions?limit=2", token: e.admin}, 200).decode(t, &p)
	if len(p.Items) != 2 || p.NextCursor == "" {
		t.Fatalf("page 1 %+v", p)
	}
	e.expect(req{method: "GET", path: "/api/v1/extensions?limit=2&cursor=" + p.NextCursor, token: e.admin}, 200).decode(t, &p)
	if len(p.Items) != 1 || p.Items[0].Number != "1003" || p.NextCursor != "" {
		t.Errorf("page 2 %+v", p)
	}
	e.expect(req{method: "GET", path: "/api/v1/extensions?cursor=!!!", token: e.admin}, 400)
	e.expect(req{method: "GET", path: "/api/v1/extensions", token: e.tok["1002"]}, 200).decode(t, &p)
	if len(p.Items) != 1 || p.Items[0].Number != "1002" {
		t.Errorf("1002 lists %+v", p.Items)
	}
	e.expect(req{method: "GET", path: "/api/v1/extensions/1002", token: e.tok["1002"]}, 200)
	e.expect(req{method: "GET", path: "/api/v1/extensions/1001", token: e.tok["1002"]}, 404)
	e.expect(req{method: "PATCH", path: "/api/v1/extensions/1002", token: e.tok["1002"], body: map[string]string{"name": "Robert"}}, 403)
	e.expect(req{method: "PATCH", path: "/api/v1/extensions/1001", token: e.tok["1002"], body: map[string]string{"name": "Robert"}}, 404)
	e.expect(req{method: "POST", path: "/api/v1/extensions", token: e.tok["1002"], body: map[string]string{"number": "2000"}}, 403)

	var x lookup.Extension
	r := e.expect(req{method: "POST", path: "/api/v1/extensions", token: e.admin, body: map[string]string{"number": "2000", "name": "Dora", "email": "dora@example.com"}}, 201)
	r.decode(t, &x)
	if x.Number != "2000" || x.Rev == 0 || r.Header.Get("ETag") != etag(x.Rev) {
		t.Fatalf("created %+v", x)
	}
	e.expect(req{method: "POST", path: "/api/v1/extensions", token: e.admin, body: map[string]string{"number": "2000"}}, http.StatusConflict)
	e.expect(req{method: "POST", path: "/api/v1/extensions", token: e.admin, body: map[string]string{"name": "nobody"}}, 422)
	e.expect(req{method: "PATCH", path: "/api/v1/extensions/2000", token: e.admin, body: map[string]string{"name": "Dorothea"}}, 200).decode(t, &x)
	if x.Name != "Dorothea" || x.Email != "dora@example.com" {
		t.Errorf("after patch %+v", x)
	}
	e.expect(req{method: "PUT", path: "/api/v1/extensions/2000", token: e.admin, body: map[string]string{"number": "2001"}}, 422)
	e.expect(req{method: "PUT", path: "/api/v1/extensions/2001", token: e.admin, body: map[string]string{"name": "Emil"},
		header: map[string]string{"If-Match": "*"}}, 412) // does not exist yet
	e.expect(req{method: "PUT", path: "/api/v1/extensions/2001", token: e.admin, body: map[string]string{"name": "Emil"}}, 201)
	e.expect(req{method: "PUT", path: "/api/v1/extensions/2001", token: e.admin, body: map[string]string{"name": "Emil"},
		header: map[string]string{"If-Match": `"1"`}}, 412)
	e.expect(req{method: "GET", path: "/api/v1/extensions/2000", token: e.admin, header: map[string]string{"If-None-Match": etag(x.Rev)}}, 304)
	e.expect(req{method: "DELETE", path: "/api/v1/extensions/2000", token: e.admin}, 204)
	e.expect(req{method: "GET", path: "/api/v1/extensions/2000", token: e.admin}, 404)
	e.expect(req{method: "DELETE", path: "/api/v1/extensions/2000", token: e.admin}, 404)
	// Deleting an extension revokes its tokens.
	e.expect(req{method: "DELETE", path: "/api/v1/extensions/1003", token: e.admin}, 204)
	e.expect(req{method: "GET", path: "/api/v1/me", token: e.tok["1003"]}, 401)
}

func TestPrefixes(t *testing.T) {
	e := newEnv(t)
	var p lookup.PrefixRule
	r := e.expect(req{method: "POST", path: "/api/v1/prefixes", token: e.admin, body: map[string]string{"prefix": "+4930123", "name": "ACME Berlin"}}, 201)
	r.decode(t, &p)
	if p.ID == "" || p.Name != "ACME Berlin" {
		t.Fatalf("created %+v", p)
	}
	path := "/api/v1/prefixes/" + p.ID
	e.expect(req{method: "GET", path: path, token: e.admin}, 200)
	e.expect(req{method: "PUT", path: path, token: e.admin, body: map[string]string{"prefix": "+4930124", "name": "ACME Berlin 2"}}, 200).decode(t, &p)
	if p.Prefix != "+4930124" {
		t.Errorf("after put %+v", p)
	}
	e.expect(req{method: "PUT", path: "/api/v1/prefixes/r2", token: e.admin, body: map[string]string{"prefix": "+4940", "name": "Hamburg"}}, 201)
	var pg page[lookup.PrefixRule]
	e.expect(req{method: "GET", path: "/api/v1/prefixes", token: e.admin}, 200).decode(t, &pg)
	if len(pg.Items) != 2 {
		t.Errorf("list %+v", pg.Items)
	}
	e.expect(req{method: "POST", path: "/api/v1/prefixes", token: e.admin, body: map[string]string{"prefix": "", "name": "x"}}, 422)
	e.expect(req{method: "POST", path: "/api/v1/prefixes", token: e.admin, body: map[string]string{"prefix": "+49", "nme": "x"}}, 400)
	for _, q := range []req{
		{method: "GET", path: "/api/v1/prefixes"},
		{method: "GET", path: path},
		{method: "POST", path: "/api/v1/prefixes", body: map[string]string{"prefix": "+1", "name": "x"}},
		{method: "PUT", path: path, body: map[string]string{"prefix": "+1", "name": "x"}},
		{method: "DELETE", path: path},
	} {
		q.token = e.tok["1001"]
		e.expect(q, http.StatusNotFound)
	}
	e.expect(req{method: "DELETE", path: path, token: e.admin}, 204)
	e.expect(req{method: "GET", path: path, token: e.admin}, 404)
}
