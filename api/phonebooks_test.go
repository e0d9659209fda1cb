package api

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"cidproxy/lookup"
)

func TestPhonebookVisibility(t *testing.T) {
	e := newEnv(t)
	lists := map[string][]string{
		"admin": {"erp", "sales", "secret", "support"},
		"1001":  {"erp", "sales", "support"},
		"1002":  {"erp", "sales", "support"},
		"1003":  {"erp", "support"},
	}
	for who, want := range lists {
		var p page[lookup.Phonebook]
		e.expect(req{method: "GET", path: "/api/v1/phonebooks", token: e.viewers()[who]}, 200).decode(t, &p)
		var got []string
		for _, pb := range p.Items {
			got = append(got, pb.Name)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s sees %v, want %v", who, got, want)
		}
	}
	for _, path := range []string{"", "/contacts", "/export"} {
		e.expect(req{method: "GET", path: "/api/v1/phonebooks/" + e.pb["secret"] + path, token: e.tok["1001"]}, 404)
		e.expect(req{method: "GET", path: "/api/v1/phonebooks/" + e.pb["sales"] + path, token: e.tok["1003"]}, 404)
		e.expect(req{method: "GET", path: "/api/v1/phonebooks/" + e.pb["sales"] + path, token: e.tok["1001"]}, 200)
	}
	// An extension sees only its own grant, not who else holds one.
	var pb lookup.Phonebook
	e.expect(req{method: "GET", path: "/api/v1/phonebooks/" + e.pb["sales"], token: e.tok["1001"]}, 200).decode(t, &pb)
	if !slices.Equal(pb.View, []string{"1001"}) || len(pb.Manage) != 0 {
		t.Errorf("1001 sees grants view=%v manage=%v", pb.View, pb.Manage)
	}
	e.expect(req{method: "GET", path: "/api/v1/phonebooks/" + e.pb["sales"], token: e.admin}, 200).decode(t, &pb)
	if !slices.Equal(pb.Manage, []string{"1002"}) {
		t.Errorf("admin sees manage=%v", pb.Manage)
	}
}

func TestPhonebookCRUD(t *testing.T) {
	e := newEnv(t)
	var pb lookup.Phonebook
	r := e.expect(req{method: "POST", path: "/api/v1/phonebooks", token: e.admin, body: map[string]any{"name": "Partners"}}, 201)
	r.decode(t, &pb)
	if pb.ID == "" || pb.Source != lookup.ContactSourceManual || r.Header.Get("Location") != "/api/v1/phonebooks/"+pb.ID {
		t.Fatalf("created %+v, Location %q", pb, r.Header.Get("Location"))
	}
	path := "/api/v1/phonebooks/" + pb.ID
	// New phonebooks are visible to no one until granted.
	e.expect(req{method: "GET", path: path, token: e.tok["1003"]}, 404)
	e.expect(req{method: "PATCH", path: path, token: e.admin, body: map[string]any{"view": []string{"1003"}}}, 200).decode(t, &pb)
	if pb.Name != "Partners" || !pb.CanView("1003") {
		t.Errorf("after patch %+v", pb)
	}
	e.expect(req{method: "GET", path: path, token: e.tok["1003"]}, 200)
	// Extensions cannot change phonebooks: 403 when they see it, 404 otherwise.
	e.expect(req{method: "PATCH", path: path, token: e.tok["1003"], body: map[string]any{"name": "Mine"}}, 403)
	e.expect(req{method: "DELETE", path: path, token: e.tok["1001"]}, 404)
	e.expect(req{method: "POST", path: "/api/v1/phonebooks", token: e.tok["1001"], body: map[string]any{"name": "Mine"}}, 403)
	// Names are unique.
	e.expect(req{method: "PUT", path: path, token: e.admin, body: map[string]any{"name": "sales"}}, http.StatusConflict)
	e.expect(req{method: "POST", path: "/api/v1/phonebooks", token: e.admin, body: map[string]any{"name": ""}}, 422)
	e.expect(req{method: "POST", path: "/api/v1/phonebooks", token: e.admin, body: map[string]any{"name": "x", "read_only": true}}, 422)
	// PUT creates with a chosen id.
	e.expect(req{method: "PUT", path: "/api/v1/phonebooks/vip", token: e.admin, body: map[string]any{"name": "VIP"}}, 201)
	e.expect(req{method: "PUT", path: "/api/v1/phonebooks/vip", token: e.admin, body: map[string]any{"name": "VIPs"}}, 200)
	// Synced phonebooks: view grants may change, nothing else; no delete.
	erp := "/api/v1/phonebooks/" + e.pb["erp"]
	e.expect(req{method: "PATCH", path: erp, token: e.admin, body: map[string]any{"view_all": false, "view": []string{"1001"}}}, 200)
	p := e.expect(req{method: "PATCH", path: erp, token: e.admin, body: map[string]any{"name": "renamed"}}, http.StatusConflict).problem(t)
	if !strings.Contains(p.Detail, "sql:erp") {
		t.Errorf("detail %q", p.Detail)
	}
	e.expect(req{method: "DELETE", path: erp, token: e.admin}, http.StatusConflict)
	// Deleting a phonebook keeps its contacts.
	e.expect(req{method: "DELETE", path: "/api/v1/phonebooks/" + e.pb["sales"], token: e.admin}, 204)
	var c lookup.Contact
	e.expect(req{method: "GET", path: "/api/v1/contacts/" + e.ct["Sam"].ID, token: e.admin}, 200).decode(t, &c)
	if len(c.Phonebooks) != 0 {
		t.Errorf("Sam still in %v", c.Phonebooks)
	}
	e.expect(req{method: "GET", path: "/api/v1/contacts/" + e.ct["Sam"].ID, token: e.tok["1001"]}, 404)
}

func TestPhonebookMembership(t *testing.T) {
	e := newEnv(t)
	sales := "/api/v1/phonebooks/" + e.pb["sales"] + "/contacts"
	sue := e.ct["Sue"].ID
	add := map[string]string{"contact_id": sue}
	e.expect(req{method: "POST", path: sales, token: e.tok["1001"], body: add}, 403) // view only
	e.expect(req{method: "POST", path: sales, token: e.tok["1003"], body: add}, 404) // cannot see sales
	e.expect(req{method: "POST", path: sales, token: e.tok["1002"], body: map[string]string{"contact_id": e.ct["Xavier"].ID}}, 404)
	e.expect(req{method: "POST", path: sales, token: e.tok["1002"], body: map[string]string{}}, 422)
	var c lookup.Contact
	e.expect(req{method: "POST", path: sales, token: e.tok["1002"], body: add}, 200).decode(t, &c)
	if !slices.Contains(c.Phonebooks, e.pb["sales"]) || !slices.Contains(c.Phonebooks, e.pb["support"]) {
		t.Errorf("after add: %v", c.Phonebooks)
	}
	got := names(t, e.expect(req{method: "GET", path: sales, token: e.tok["1001"]}, 200))
	slices.Sort(got)
	if !slices.Equal(got, []string{"Sam Sales", "Sue Support"}) {
		t.Errorf("sales members %v", got)
	}
	got = names(t, e.expect(req{method: "GET", path: sales + "?q=sue", token: e.tok["1001"]}, 200))
	if !slices.Equal(got, []string{"Sue Support"}) {
		t.Errorf("sales members matching sue %v", got)
	}
	e.expect(req{method: "DELETE", path: sales + "/" + sue, token: e.tok["1001"]}, 403)
	e.expect(req{method: "DELETE", path: sales + "/" + sue, token: e.tok["1002"]}, 204)
	e.expect(req{method: "DELETE", path: sales + "/" + sue, token: e.tok["1002"]}, 404)
	e.expect(req{method: "GET", path: "/api/v1/contacts/" + sue, token: e.tok["1003"]}, 200) // still in support
	// Synced phonebooks take no members.
	e.expect(req{method: "POST", path: "/api/v1/phonebooks/" + e.pb["erp"] + "/contacts", token: e.admin, body: add}, http.StatusConflict)
}
