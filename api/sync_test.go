package api

import (
	"net/http"
	"slices"
	"strconv"
	"testing"

	"cidproxy/lookup"
)

// syncAll follows "more" from since and returns the final response with
// all upserts and deletions collected.
func (e *env) syncAll(token string, since uint64, limit int) syncResponse {
	e.t.Helper()
	var all syncResponse
	for range 100 {
		var r syncResponse
		path := "/api/v1/sync?since=" + strconv.FormatUint(since, 10)
		if limit > 0 {
			path += "&limit=" + strconv.Itoa(limit)
		}
		e.expect(req{method: "GET", path: path, token: token}, 200).decode(e.t, &r)
		all.Upserts = append(all.Upserts, r.Upserts...)
		all.Deletions = append(all.Deletions, r.Deletions...)
		all.Rev = r.Rev
		if !r.More {
			return all
		}
		since = r.Rev
	}
	e.t.Fatal("sync did not finish")
	return all
}

func keys(r syncResponse) (ups, dels []string) {
	for _, u := range r.Upserts {
		ups = append(ups, u.Kind+":"+u.ID)
	}
	for _, d := range r.Deletions {
		dels = append(dels, d.Kind+":"+d.ID)
	}
	slices.Sort(ups)
	slices.Sort(dels)
	return ups, dels
}

func TestSyncFullVisibility(t *testing.T) {
	e := newEnv(t)
	id := func(kind, name string) string {
		switch kind {
		case lookup.KindPhonebook:
			return kind + ":" + e.pb[name]
		case lookup.KindPersonal:
			return kind + ":" + e.pc[name].ID
		}
		return kind + ":" + e.ct[name].ID
	}
	full := e.syncAll(e.tok["1001"], 0, 0)
	ups, dels := keys(full)
	want := []string{
		"extension:1001",
		id(lookup.KindContact, "Eve"), id(lookup.KindContact, "Sam"), id(lookup.KindContact, "Sue"),
		id(lookup.KindPersonal, "Paula"),
		id(lookup.KindPhonebook, "erp"), id(lookup.KindPhonebook, "sales"), id(lookup.KindPhonebook, "support"),
	}
	slices.Sort(want)
	if !slices.Equal(ups, want) || len(dels) != 0 {
		t.Errorf("1001 full sync:\n upserts %v\n want    %v\n deletions %v", ups, want, dels)
	}
	if full.Rev != e.db.Rev() {
		t.Errorf("rev %d, store %d", full.Rev, e.db.Rev())
	}
	// Paging with a small limit yields the same set.
	paged := e.syncAll(e.tok["1001"], 0, 2)
	if pu, _ := keys(paged); !slices.Equal(pu, want) {
		t.Errorf("paged sync %v", pu)
	}
	// The admin sees everything, including the secret phonebook and all personal contacts.
	aups, _ := keys(e.syncAll(e.admin, 0, 0))
	for _, k := range []string{id(lookup.KindContact, "Xavier"), id(lookup.KindPhonebook, "secret"), id(lookup.KindPersonal, "Bert"), "extension:1003"} {
		if !slices.Contains(aups, k) {
			t.Errorf("admin sync lacks %s", k)
		}
	}
	// Upserts carry the record as GET shows it (redacted phonebooks).
	for _, u := range full.Upserts {
		if u.Kind == lookup.KindPhonebook && u.ID == e.pb["sales"] {
			m := u.Data.(map[string]any)
			if _, ok := m["manage"]; ok {
				t.Errorf("sales upsert shows other extensions' grants: %v", m)
			}
		}
	}
}

func TestSyncSinceWithVisibility(t *testing.T) {
	e := newEnv(t)
	since := e.db.Rev()
	sam, sue := e.ct["Sam"].ID, e.ct["Sue"].ID
	// Changes after since: Sam leaves sales (1001 loses it), Sue edited,
	// a secret contact edited, a personal contact of 1002 added, Bert deleted.
	e.expect(req{method: "DELETE", path: "/api/v1/phonebooks/" + e.pb["sales"] + "/contacts/" + sam, token: e.tok["1002"]}, 204)
	e.expect(req{method: "PATCH", path: "/api/v1/contacts/" + sue, token: e.admin, body: map[string]string{"remark": "new"}}, 200)
	e.expect(req{method: "PATCH", path: "/api/v1/contacts/" + e.ct["Xavier"].ID, token: e.admin, body: map[string]string{"remark": "hidden"}}, 200)
	e.expect(req{method: "POST", path: "/api/v1/extensions/1002/contacts", token: e.tok["1002"], body: map[string]string{"first_name": "New"}}, 201)
	e.expect(req{method: "DELETE", path: "/api/v1/extensions/1002/contacts/" + e.pc["Bert"].ID, token: e.tok["1002"]}, 204)

	for who, want := range map[string]struct{ ups, dels []string }{
		"1001": {ups: []string{"contact:" + sue}, dels: []string{"contact:" + sam}},
		"1003": {ups: []string{"contact:" + sue}},
		"1002": {ups: []string{"contact:" + sue}, dels: []string{"contact:" + sam, "personal:" + e.pc["Bert"].ID}},
	} {
		r := e.syncAll(e.tok[who], since, 0)
		ups, dels := keys(r)
		if who == "1002" { // plus its new personal contact
			ups = slices.DeleteFunc(ups, func(s string) bool { return len(s) > 9 && s[:9] == "personal:" })
		}
		if !slices.Equal(ups, want.ups) || !slices.Equal(dels, want.dels) {
			t.Errorf("%s since %d: upserts %v deletions %v, want %v %v", who, since, ups, dels, want.ups, want.dels)
		}
	}
	// A first sync carries no deletions, only what exists now.
	if ups, dels := keys(e.syncAll(e.tok["1002"], 0, 0)); len(dels) != 0 || slices.Contains(ups, "personal:"+e.pc["Bert"].ID) {
		t.Errorf("full sync of 1002: upserts %v deletions %v", ups, dels)
	}
	// Nothing new: empty answer at the current revision.
	r := e.syncAll(e.tok["1001"], e.db.Rev(), 0)
	if len(r.Upserts)+len(r.Deletions) != 0 || r.Rev != e.db.Rev() {
		t.Errorf("idle sync %+v", r)
	}
	// A revoked grant: the phonebook disappears for 1001.
	since = e.db.Rev()
	e.expect(req{method: "PATCH", path: "/api/v1/phonebooks/" + e.pb["sales"], token: e.admin, body: map[string]any{"view": []string{}}}, 200)
	_, dels := keys(e.syncAll(e.tok["1001"], since, 0))
	if !slices.Equal(dels, []string{"phonebook:" + e.pb["sales"]}) {
		t.Errorf("after revoke: deletions %v", dels)
	}
}

func TestSyncBadRequests(t *testing.T) {
	e := newEnv(t)
	e.expect(req{method: "GET", path: "/api/v1/sync?since=abc", token: e.admin}, http.StatusBadRequest)
	e.expect(req{method: "GET", path: "/api/v1/sync?since=-1", token: e.admin}, http.StatusBadRequest)
	e.expect(req{method: "GET", path: "/api/v1/sync?limit=0", token: e.admin}, http.StatusBadRequest)
	e.expect(req{method: "GET", path: "/api/v1/sync?since=99999999", token: e.admin}, http.StatusGone)
}
