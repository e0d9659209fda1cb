package api

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"cidproxy/lookup"
	"cidproxy/store"
)

// sweepViewers are the tokens of the permission sweep, from the fixture's
// point of view on phonebook sales and on extension 1001's resources:
// other (1003: sees neither), view (1001: views sales; owns the personal
// contacts and the extension in the paths), manage (1002: manages sales)
// and admin.
var sweepViewers = []string{"other", "view", "manage", "admin"}

func (e *env) sweepToken(who string) string {
	switch who {
	case "other":
		return e.tok["1003"]
	case "view":
		return e.tok["1001"]
	case "manage":
		return e.tok["1002"]
	}
	return e.admin
}

// sweepCase is one route of the sweep: the request and the status each
// viewer must get, in sweepViewers order.
type sweepCase struct {
	body, ctype string
	want        [4]int
}

// sweepCases maps every route pattern to its case. Paths name the
// fixture's sales phonebook ({id} of phonebooks), contact Sam ({id} of
// contacts), extension 1001 ({ext}) and its personal contact Paula.
var sweepCases = map[string]sweepCase{
	"GET /api/v1/openapi.json": {want: [4]int{200, 200, 200, 200}},
	"GET /api/v1/me":           {want: [4]int{200, 200, 200, 200}},
	"GET /api/v1/sync":         {want: [4]int{200, 200, 200, 200}},

	"GET /api/v1/extensions":          {want: [4]int{200, 200, 200, 200}},
	"POST /api/v1/extensions":         {body: `{"number":"1004","name":"Dan"}`, want: [4]int{403, 403, 403, 201}},
	"GET /api/v1/extensions/{ext}":    {want: [4]int{404, 200, 404, 200}},
	"PUT /api/v1/extensions/{ext}":    {body: `{"name":"Alicia"}`, want: [4]int{404, 403, 404, 200}},
	"PATCH /api/v1/extensions/{ext}":  {body: `{"name":"Alicia"}`, want: [4]int{404, 403, 404, 200}},
	"DELETE /api/v1/extensions/{ext}": {want: [4]int{404, 403, 404, 204}},

	"GET /api/v1/extensions/{ext}/contacts":           {want: [4]int{404, 200, 404, 200}},
	"POST /api/v1/extensions/{ext}/contacts":          {body: `{"first_name":"Pam","mobile_number":"+4915177777"}`, want: [4]int{404, 201, 404, 201}},
	"POST /api/v1/extensions/{ext}/contacts/import":   {body: "first_name,mobile_number\nPam,+4915177777\n", ctype: "text/csv", want: [4]int{404, 200, 404, 200}},
	"GET /api/v1/extensions/{ext}/contacts/export":    {want: [4]int{404, 200, 404, 200}},
	"GET /api/v1/extensions/{ext}/contacts/{id}":      {want: [4]int{404, 200, 404, 200}},
	"PUT /api/v1/extensions/{ext}/contacts/{id}":      {body: `{"first_name":"Paula","last_name":"P"}`, want: [4]int{404, 200, 404, 200}},
	"PATCH /api/v1/extensions/{ext}/contacts/{id}":    {body: `{"remark":"x"}`, want: [4]int{404, 200, 404, 200}},
	"DELETE /api/v1/extensions/{ext}/contacts/{id}":   {want: [4]int{404, 204, 404, 204}},
	"GET /api/v1/extensions/{ext}/events":             {want: [4]int{404, 404, 404, 404}}, // no stream hub in this server
	"GET /api/v1/extensions/{ext}/calls/current":      {want: [4]int{404, 404, 404, 404}},
	"POST /api/v1/extensions/{ext}/popups/{id}/claim": {want: [4]int{404, 404, 404, 404}},

	"GET /api/v1/contacts":           {want: [4]int{200, 200, 200, 200}},
	"POST /api/v1/contacts":          {body: `{"company":"ACME","business_number":"+4930999999","phonebooks":["{sales}"]}`, want: [4]int{422, 403, 201, 201}},
	"POST /api/v1/contacts/import":   {body: "company\nACME\n", ctype: "text/csv", want: [4]int{403, 403, 403, 200}},
	"GET /api/v1/contacts/export":    {want: [4]int{200, 200, 200, 200}},
	"GET /api/v1/contacts/{id}":      {want: [4]int{404, 200, 200, 200}},
	"PUT /api/v1/contacts/{id}":      {body: `{"first_name":"Spoofed"}`, want: [4]int{404, 403, 200, 200}},
	"PATCH /api/v1/contacts/{id}":    {body: `{"first_name":"Spoofed"}`, want: [4]int{404, 403, 200, 200}},
	"DELETE /api/v1/contacts/{id}":   {want: [4]int{404, 403, 204, 204}},
	"GET /api/v1/phonebooks":         {want: [4]int{200, 200, 200, 200}},
	"POST /api/v1/phonebooks":        {body: `{"name":"New"}`, want: [4]int{403, 403, 403, 201}},
	"GET /api/v1/phonebooks/{id}":    {want: [4]int{404, 200, 200, 200}},
	"PUT /api/v1/phonebooks/{id}":    {body: `{"name":"sales","view":["1001","1003"]}`, want: [4]int{404, 403, 403, 200}},
	"PATCH /api/v1/phonebooks/{id}":  {body: `{"view":["1001","1003"]}`, want: [4]int{404, 403, 403, 200}},
	"DELETE /api/v1/phonebooks/{id}": {want: [4]int{404, 403, 403, 204}},

	"GET /api/v1/phonebooks/{id}/contacts":              {want: [4]int{404, 200, 200, 200}},
	"POST /api/v1/phonebooks/{id}/contacts":             {body: `{"contact_id":"{Sue}"}`, want: [4]int{404, 403, 200, 200}},
	"DELETE /api/v1/phonebooks/{id}/contacts/{contact}": {want: [4]int{404, 403, 204, 204}},
	"POST /api/v1/phonebooks/{id}/import":               {body: "company\nACME\n", ctype: "text/csv", want: [4]int{404, 403, 200, 200}},
	"GET /api/v1/phonebooks/{id}/export":                {want: [4]int{404, 200, 200, 200}},

	"GET /api/v1/prefixes":         {want: [4]int{404, 404, 404, 200}},
	"POST /api/v1/prefixes":        {body: `{"prefix":"+4989*","name":"Munich"}`, want: [4]int{404, 404, 404, 201}},
	"GET /api/v1/prefixes/{id}":    {want: [4]int{404, 404, 404, 200}},
	"PUT /api/v1/prefixes/{id}":    {body: `{"prefix":"+4930*","name":"Berlin!"}`, want: [4]int{404, 404, 404, 200}},
	"DELETE /api/v1/prefixes/{id}": {want: [4]int{404, 404, 404, 204}},

	"GET /api/v1/tokens":         {want: [4]int{404, 404, 404, 200}},
	"POST /api/v1/tokens":        {body: `{"extension":"1003","label":"x"}`, want: [4]int{404, 404, 404, 201}},
	"DELETE /api/v1/tokens/{id}": {want: [4]int{404, 404, 404, 204}},
	"GET /api/v1/lookup":         {want: [4]int{404, 404, 404, 200}},
	"POST /api/v1/reload":        {want: [4]int{404, 404, 404, 501}}, // the test server has no Reload
	"GET /api/v1/lookup/explain": {want: [4]int{404, 404, 404, 501}}, // nor Explain

	// No CRM in this server: admin-only routes answer 404 to everyone but
	// the list (empty for the admin).
	"GET /api/v1/integrations":                                 {want: [4]int{404, 404, 404, 200}},
	"POST /api/v1/integrations":                                {body: `{"name":"x","template":"builtin:zoho"}`, want: [4]int{404, 404, 404, 404}},
	"GET /api/v1/integrations/{name}":                          {want: [4]int{404, 404, 404, 404}},
	"PUT /api/v1/integrations/{name}":                          {body: `{}`, want: [4]int{404, 404, 404, 404}},
	"DELETE /api/v1/integrations/{name}":                       {want: [4]int{404, 404, 404, 404}},
	"POST /api/v1/integrations/{name}/authorize":               {want: [4]int{404, 404, 404, 404}},
	"GET /api/v1/oauth/callback":                               {want: [4]int{404, 404, 404, 404}},
	"GET /api/v1/integrations/{name}/dead-letters":             {want: [4]int{404, 404, 404, 404}},
	"POST /api/v1/integrations/{name}/dead-letters/{id}/retry": {want: [4]int{404, 404, 404, 404}},
	"DELETE /api/v1/integrations/{name}/dead-letters/{id}":     {want: [4]int{404, 404, 404, 404}},
	"GET /api/v1/extensions/{ext}/calls":                       {want: [4]int{404, 200, 404, 200}},
	"POST /api/v1/calls/{id}/create-contact":                   {want: [4]int{404, 404, 404, 404}},

	"GET /api/v1/sql-sources":              {want: [4]int{404, 404, 404, 200}},
	"GET /api/v1/sql-sources/{name}":       {want: [4]int{404, 404, 404, 404}}, // the test server has no SQL sources
	"POST /api/v1/sql-sources/{name}/sync": {want: [4]int{404, 404, 404, 404}},
	"PUT /api/v1/sql-sources/{name}":       {body: `{}`, want: [4]int{404, 404, 404, 404}},
	"DELETE /api/v1/sql-sources/{name}":    {want: [4]int{404, 404, 404, 404}},

	"GET /phonebook/{format}": {want: [4]int{200, 200, 200, 200}},
}

// sweepPath fills a route's path with the fixture's ids.
func (e *env) sweepPath(rt route, prefixID, tokenID string) string {
	id := e.ct["Sam"].ID
	switch {
	case strings.HasPrefix(rt.Path, "/api/v1/phonebooks/"):
		id = e.pb["sales"]
	case strings.HasPrefix(rt.Path, "/api/v1/extensions/{ext}/contacts/"):
		id = e.pc["Paula"].ID
	case strings.HasPrefix(rt.Path, "/api/v1/prefixes/"):
		id = prefixID
	case strings.HasPrefix(rt.Path, "/api/v1/tokens/"):
		id = tokenID
	case strings.Contains(rt.Path, "/popups/"):
		id = "p1"
	}
	p := strings.NewReplacer("{ext}", "1001", "{name}", "zoho", "{id}", id, "{contact}", e.ct["Sam"].ID, "{format}", "json").Replace(rt.Path)
	switch p {
	case "/api/v1/lookup":
		p += "?number=%2B4917011111&callee=1001"
	case "/api/v1/sync":
		p += "?since=0"
	}
	return p
}

// sweepDo sends one sweep request with who's token (bearer, or ?token=
// for the phone routes) and returns the status; streams are cut after
// the headers.
func (e *env) sweepDo(rt route, path, who string, c sweepCase) int {
	e.t.Helper()
	tok := e.sweepToken(who)
	body := strings.NewReplacer("{sales}", e.pb["sales"], "{Sue}", e.ct["Sue"].ID).Replace(c.body)
	if rt.Auth == authPhone {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "token=" + url.QueryEscape(tok)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, rt.Method, e.srv.URL+path, strings.NewReader(body))
	e.must(err)
	if c.body != "" {
		ct := c.ctype
		if ct == "" {
			ct = "application/json"
		}
		r.Header.Set("Content-Type", ct)
	}
	if rt.Auth == authBearer {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := e.srv.Client().Do(r)
	e.must(err)
	res.Body.Close()
	return res.StatusCode
}

// TestPermissionSweep sends every route of the API with the four kinds of
// token (another extension, a view-only grant, a manage grant, admin)
// and checks each status. Each write runs on a fresh fixture; a route
// without a row fails the test, so new routes get swept too.
func TestPermissionSweep(t *testing.T) {
	shared := newEnvForSweep(t)
	for _, rt := range routes {
		c, ok := sweepCases[rt.pattern()]
		if !ok {
			t.Errorf("route %s has no row in sweepCases: add its expected statuses", rt.pattern())
			continue
		}
		for i, who := range sweepViewers {
			e := shared
			if rt.Method != http.MethodGet {
				e = newEnvForSweep(t)
			}
			path := e.sweepPath(rt, e.sweepPrefix, e.sweepTokenID)
			if got := e.sweepDo(rt, path, who, c); got != c.want[i] {
				t.Errorf("%s as %s (%s): status %d, want %d", rt.pattern(), who, path, got, c.want[i])
			}
		}
	}
	for pat := range sweepCases {
		if !slices.Contains(Routes(), pat) {
			t.Errorf("sweepCases has a row for %s, which is no route", pat)
		}
	}
}

// newEnvForSweep is newEnv plus a prefix rule and a token for 1003 whose
// ids the sweep paths use.
func newEnvForSweep(t *testing.T) *env {
	e := newEnv(t)
	p, err := e.db.PutPrefixRule(t.Context(), lookup.PrefixRule{Prefix: "+4930*", Name: "Berlin"})
	e.must(err)
	e.sweepPrefix = p.ID
	tok, err := e.db.CreateToken(t.Context(), lookup.Viewer{Extension: "1003"}, "sweep")
	e.must(err)
	e.sweepTokenID = store.TokenID(tok)
	return e
}

// TestViewGrantNeverBecomesWrite (issue 15 item 3): 1001 only views
// sales and manages a phonebook of its own. It may add Sam (sales) to its
// phonebook, but neither PATCH, PUT nor DELETE him afterwards (on the old
// code the PATCH renamed Sam for every callee), and a shadow contact with
// Sam's number and a chosen id that sorts first is refused; one with a
// server id does not take Sam's calls.
func TestViewGrantNeverBecomesWrite(t *testing.T) {
	e := newEnv(t)
	var mine lookup.Phonebook
	e.expect(req{method: "POST", path: "/api/v1/phonebooks", token: e.admin, body: map[string]any{"name": "mine", "manage": []string{"1001"}}}, 201).decode(t, &mine)
	sam := e.ct["Sam"]
	e.expect(req{method: "POST", path: "/api/v1/phonebooks/" + mine.ID + "/contacts", token: e.tok["1001"], body: map[string]string{"contact_id": sam.ID}}, 200)
	path := "/api/v1/contacts/" + sam.ID
	for _, q := range []req{
		{method: "PATCH", path: path, body: map[string]string{"first_name": "Spoofed"}},
		{method: "PUT", path: path, body: map[string]any{"first_name": "Spoofed", "mobile_number": sam.Mobile}},
		{method: "DELETE", path: path},
	} {
		q.token = e.tok["1001"]
		e.expect(q, http.StatusForbidden)
	}
	got, err := e.db.GetContact(t.Context(), sam.ID)
	if err != nil || got.FirstName != "Sam" {
		t.Fatalf("Sam after the attempts: %+v, %v", got, err)
	}
	// The shadow contact: a chosen id is refused whatever it is.
	shadow := map[string]any{"id": "0", "first_name": "Spoofed", "mobile_number": sam.Mobile, "phonebooks": []string{mine.ID}}
	if p := e.expect(req{method: "POST", path: "/api/v1/contacts", token: e.tok["1001"], body: shadow}, 422).problem(t); p.Field != "id" {
		t.Errorf("field %q, want id", p.Field)
	}
	delete(shadow, "id")
	e.expect(req{method: "POST", path: "/api/v1/contacts", token: e.tok["1001"], body: shadow}, 201)
	for _, callee := range []string{"1001", "1002"} {
		res, err := e.db.Resolver().Resolve(sam.Mobile, callee)
		if err != nil || res.ContactID != sam.ID {
			t.Errorf("call from Sam's number to %s: %+v, %v; want Sam", callee, res, err)
		}
	}
}

// TestCreateWithIDIsNoOracle (issue 15 item 5): an extension's POST with
// a chosen id gets the same answer for the id of a contact it cannot see
// as for an id nobody uses (the old code answered 409 and 201).
func TestCreateWithIDIsNoOracle(t *testing.T) {
	e := newEnv(t)
	post := func(id string) problem {
		body := map[string]any{"id": id, "company": "ACME", "phonebooks": []string{e.pb["sales"]}}
		return e.expect(req{method: "POST", path: "/api/v1/contacts", token: e.tok["1002"], body: body}, 422).problem(t)
	}
	hidden, missing := post(e.ct["Xavier"].ID), post("nobody-has-this-id")
	if !reflect.DeepEqual(hidden, missing) {
		t.Errorf("answers differ: %+v vs %+v", hidden, missing)
	}
	// An admin sees everything, so it may choose ids and gets 409 for a taken one.
	e.expect(req{method: "POST", path: "/api/v1/contacts", token: e.admin, body: map[string]any{"id": e.ct["Xavier"].ID, "company": "X"}}, 409)
}

// TestSyncHidesInvisiblePhonebooks (issue 15 item 4): phonebook changes
// reach an extension's sync feed only if it could view the phonebook
// before or after them; the old code reported every invisible phonebook
// that changed as a deletion, leaking its id.
func TestSyncHidesInvisiblePhonebooks(t *testing.T) {
	e := newEnv(t)
	since := e.syncAll(e.admin, 0, 0).Rev
	var hidden lookup.Phonebook
	e.expect(req{method: "POST", path: "/api/v1/phonebooks", token: e.admin, body: map[string]any{"name": "hidden"}}, 201).decode(t, &hidden)
	e.expect(req{method: "PATCH", path: "/api/v1/phonebooks/" + e.pb["secret"], token: e.admin, body: map[string]any{"name": "secret2"}}, 200)
	e.expect(req{method: "DELETE", path: "/api/v1/phonebooks/" + hidden.ID, token: e.admin}, 204)
	// Revoke 1001's view of sales: 1001 must hear of it, 1003 must not.
	e.expect(req{method: "PATCH", path: "/api/v1/phonebooks/" + e.pb["sales"], token: e.admin, body: map[string]any{"view": []string{}}}, 200)
	for who, want := range map[string][]string{"1001": {"phonebook:" + e.pb["sales"]}, "1003": nil, "1002": nil} {
		ups, dels := keys(e.syncAll(e.tok[who], since, 0))
		for _, id := range append(ups, dels...) {
			if strings.Contains(id, hidden.ID) || strings.Contains(id, e.pb["secret"]) {
				t.Errorf("%s's sync names an invisible phonebook: %v %v", who, ups, dels)
			}
		}
		if who == "1002" { // still manages sales: an upsert, no deletion
			if !slices.Contains(ups, "phonebook:"+e.pb["sales"]) || len(dels) != 0 {
				t.Errorf("1002's sync: upserts %v deletions %v", ups, dels)
			}
			continue
		}
		if !slices.Equal(dels, want) {
			t.Errorf("%s's sync deletions %v, want %v", who, dels, want)
		}
	}
	_, dels := keys(e.syncAll(e.admin, since, 0))
	if !slices.Contains(dels, "phonebook:"+hidden.ID) {
		t.Errorf("admin's sync deletions %v lack the deleted phonebook", dels)
	}
}

// TestGrantsNeedExistingExtensions (issue 15 item 6): a grant to an
// extension that does not exist is refused with 422 naming the field
// (the old code stored it silently).
func TestGrantsNeedExistingExtensions(t *testing.T) {
	e := newEnv(t)
	sales := "/api/v1/phonebooks/" + e.pb["sales"]
	for _, c := range []struct {
		q     req
		field string
	}{
		{req{method: "POST", path: "/api/v1/phonebooks", body: map[string]any{"name": "x", "view": []string{"4711"}}}, "view"},
		{req{method: "PATCH", path: sales, body: map[string]any{"manage": []string{"1002", "4711"}}}, "manage"},
		{req{method: "PUT", path: sales, body: map[string]any{"name": "sales", "view": []string{"1001", "4712"}}}, "view"},
	} {
		c.q.token = e.admin
		p := e.expect(c.q, 422).problem(t)
		if p.Field != c.field || !strings.Contains(p.Detail, "does not exist") {
			t.Errorf("%s %s: %+v", c.q.method, c.q.path, p)
		}
	}
	e.expect(req{method: "PATCH", path: sales, token: e.admin, body: map[string]any{"view": []string{"1001", "1003"}}}, 200)
}
