package crmtest

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Dynamics is a fake Dynamics 365 (Dataverse Web API) with its Microsoft
// Entra ID token endpoint: POST /{tenant}/oauth2/v2.0/token (client
// credentials) insists on scope=https://{org host}/.default like Entra
// does; GET /api/data/v9.2/contacts?$select=…&$filter=telephone1 eq '…'
// [or mobilephone eq '…'] answers {"@odata.context", "value":[…]}. A raw
// space in the URL never arrives (the request line breaks).
type Dynamics struct {
	*Server
	OAuth *OAuth
	Org   string // the org URL, e.g. https://contoso.crm4.dynamics.com

	mu       sync.Mutex
	contacts []map[string]any
}

// NewDynamics starts a fake org at org (an https URL).
func NewDynamics(clientID, clientSecret, org string) *Dynamics {
	d := &Dynamics{OAuth: NewOAuth(clientID, clientSecret), Org: org}
	d.OAuth.RequireForm = map[string]string{"scope": org + "/.default"}
	d.Server = NewServer(http.HandlerFunc(d.serve))
	return d
}

// AddContact adds a contact (contactid, firstname, lastname, telephone1, ...).
func (d *Dynamics) AddContact(rec map[string]any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.contacts = append(d.contacts, rec)
}

var odataTerm = regexp.MustCompile(`^(telephone1|mobilephone) eq '([^']*)'$`)

func (d *Dynamics) serve(w http.ResponseWriter, r *http.Request) {
	if r.Host == "login.microsoftonline.com" && strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		d.OAuth.Token(w, r)
		return
	}
	odataErr := func(status int, code, msg string) {
		writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
	}
	if u, _ := url.Parse(d.Org); r.Host != u.Host || r.URL.Path != "/api/data/v9.2/contacts" {
		odataErr(http.StatusNotFound, "0x80060888", "Resource not found for the segment")
		return
	}
	if !d.OAuth.Valid(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")) {
		odataErr(http.StatusUnauthorized, "0x80072560", "The user is not authenticated")
		return
	}
	want := map[string]string{}
	for _, term := range strings.Split(r.URL.Query().Get("$filter"), " or ") {
		t := odataTerm.FindStringSubmatch(term)
		if t == nil {
			odataErr(http.StatusBadRequest, "0x80060888", "Syntax error at position 0 in '"+term+"'")
			return
		}
		want[t[1]] = t[2]
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	recs := []any{}
	for _, c := range d.contacts {
		for field, v := range want {
			if c[field] == v {
				out := map[string]any{"@odata.etag": `W/"1234567"`}
				for k, val := range c {
					out[k] = val
				}
				recs = append(recs, out)
				break
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": d.Org + "/api/data/v9.2/$metadata#contacts", "value": recs})
}
