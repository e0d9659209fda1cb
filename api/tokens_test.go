package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"cidproxy/lookup"
	"cidproxy/store"
)

func TestTokensAPI(t *testing.T) {
	e := newEnv(t)
	// Admin only: extension tokens see nothing here.
	e.expect(req{method: "GET", path: "/api/v1/tokens", token: e.tok["1001"]}, http.StatusNotFound)
	e.expect(req{method: "POST", path: "/api/v1/tokens", token: e.tok["1001"], body: newToken{Admin: true}}, http.StatusNotFound)
	e.expect(req{method: "GET", path: "/api/v1/tokens"}, http.StatusUnauthorized)

	for _, bad := range []any{newToken{}, newToken{Admin: true, Extension: "1001"}, newToken{Extension: "9999"}, `{"admin":true,"nope":1}`} {
		r := e.do(req{method: "POST", path: "/api/v1/tokens", token: e.admin, body: bad})
		if r.Code != http.StatusUnprocessableEntity && r.Code != http.StatusBadRequest {
			t.Errorf("create %v: %d %s", bad, r.Code, r.Body)
		}
	}
	r := e.expect(req{method: "POST", path: "/api/v1/tokens", token: e.admin, body: newToken{Extension: "1002", Label: "desk"}}, http.StatusCreated)
	var created createdToken
	r.decode(t, &created)
	if created.Token == "" || created.ID != store.TokenID(created.Token) || created.Viewer.Extension != "1002" || created.Label != "desk" || created.Created.IsZero() {
		t.Fatalf("created %+v", created)
	}
	if r.Header.Get("Location") != "/api/v1/tokens/"+created.ID || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", r.Header)
	}
	// The new token works, the list shows it without any token.
	e.expect(req{method: "GET", path: "/api/v1/extensions/1002", token: created.Token}, http.StatusOK)
	r = e.expect(req{method: "GET", path: "/api/v1/tokens", token: e.admin}, http.StatusOK)
	var pg page[store.TokenInfo]
	r.decode(t, &pg)
	if len(pg.Items) != 5 || !strings.Contains(string(r.Body), created.ID) {
		t.Errorf("list: %s", r.Body)
	}
	for _, tok := range append([]string{created.Token, e.admin}, e.tok["1001"]) {
		if strings.Contains(string(r.Body), tok) {
			t.Error("the list shows a token")
		}
	}
	// Revoked: it no longer authenticates; a second revoke is 404.
	e.expect(req{method: "DELETE", path: "/api/v1/tokens/" + created.ID, token: e.admin}, http.StatusNoContent)
	e.expect(req{method: "GET", path: "/api/v1/extensions/1002", token: created.Token}, http.StatusUnauthorized)
	e.expect(req{method: "DELETE", path: "/api/v1/tokens/" + created.ID, token: e.admin}, http.StatusNotFound)
	e.expect(req{method: "DELETE", path: "/api/v1/tokens/" + created.ID, token: e.tok["1001"]}, http.StatusNotFound)
}

func TestLookupAPI(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		query string
		code  int
		want  string
	}{
		{"number=030%20222222&callee=1003", 200, `"name":"Sue Support"`},
		{"number=%2B4917011111&callee=1001", 200, `"phonebook":"sales"`},
		{"number=%2B4917011111&callee=1003", 404, ""},
		{"number=%2B4930333333", 404, ""},
		{"callee=1001", 422, ""},
	}
	for _, tc := range tests {
		r := e.expect(req{method: "GET", path: "/api/v1/lookup?" + tc.query, token: e.admin}, tc.code)
		if !strings.Contains(string(r.Body), tc.want) {
			t.Errorf("%s: %s lacks %s", tc.query, r.Body, tc.want)
		}
		if tc.code == 200 && !strings.Contains(string(r.Body), `"number":"+49`) {
			t.Errorf("%s: number not normalised: %s", tc.query, r.Body)
		}
	}
	e.expect(req{method: "GET", path: "/api/v1/lookup?number=%2B4930222222", token: e.tok["1001"]}, http.StatusNotFound)
}

func TestExplainAPI(t *testing.T) {
	e := newEnv(t, func(o *Options, _ *[]storeOption) {
		o.Explain = func(_ context.Context, q lookup.Query) ([]string, error) {
			return []string{"callee: " + q.Callee, "1. extensions: none"}, nil
		}
	})
	r := e.expect(req{method: "GET", path: "/api/v1/lookup/explain?number=030%20222222&callee=1003", token: e.admin}, 200)
	if !strings.Contains(string(r.Body), `"steps":["callee: 1003","1. extensions: none"]`) || !strings.Contains(string(r.Body), `"number":"+4930222222"`) {
		t.Errorf("%s", r.Body)
	}
	e.expect(req{method: "GET", path: "/api/v1/lookup/explain?callee=1003", token: e.admin}, 422)
	e.expect(req{method: "GET", path: "/api/v1/lookup/explain?number=1", token: e.tok["1003"]}, 404)
}
