package crmtest

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Salesforce is a fake Salesforce org. Its token endpoint
// (POST /services/oauth2/token, client credentials, on the My Domain host)
// answers like Salesforce: instance_url, id, issued_at, signature and no
// expires_in. GET /services/data/vXX.X/query?q=SOQL on the instance host
// runs "SELECT … FROM Contact WHERE Phone = '…' [OR MobilePhone = '…']" and
// answers {totalSize, done, records[{attributes{type,url}, Id, …}]}; a query
// it cannot read is a 400 MALFORMED_QUERY. A raw space in the URL never
// arrives (the request line breaks), so templates must send the SOQL encoded.
type Salesforce struct {
	*Server
	OAuth    *OAuth
	Instance string // instance_url, e.g. https://acme.my.salesforce.com

	mu       sync.Mutex
	contacts []map[string]any
	queries  []string
}

// NewSalesforce starts a fake org whose instance_url is instance.
func NewSalesforce(clientID, clientSecret, instance string) *Salesforce {
	s := &Salesforce{OAuth: NewOAuth(clientID, clientSecret), Instance: instance}
	s.OAuth.Extra = map[string]any{"instance_url": instance, "id": "https://login.salesforce.com/id/00D/005",
		"issued_at": "1795428000000", "signature": "c2lnbmF0dXJl"}
	s.OAuth.NoExpiresIn = true
	s.Server = NewServer(http.HandlerFunc(s.serve))
	return s
}

// AddContact adds a Contact record (Id, FirstName, LastName, Phone, ...).
func (s *Salesforce) AddContact(rec map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contacts = append(s.contacts, rec)
}

// Queries returns the decoded SOQL of every query received.
func (s *Salesforce) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

var soqlWhere = regexp.MustCompile(`^SELECT [A-Za-z, ]+ FROM Contact WHERE (.+)$`)
var soqlTerm = regexp.MustCompile(`^(Phone|MobilePhone) = '([^']*)'$`)

func (s *Salesforce) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/services/oauth2/token" {
		s.OAuth.Token(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/services/data/") || !strings.HasSuffix(r.URL.Path, "/query") {
		writeJSON(w, http.StatusNotFound, []map[string]any{{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}})
		return
	}
	if u, _ := url.Parse(s.Instance); r.Host != u.Host {
		writeJSON(w, http.StatusNotFound, []map[string]any{{"errorCode": "NOT_FOUND", "message": "wrong instance " + r.Host}})
		return
	}
	if !s.OAuth.Valid(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")) {
		writeJSON(w, http.StatusUnauthorized, []map[string]any{{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}})
		return
	}
	q := r.URL.Query().Get("q")
	s.mu.Lock()
	s.queries = append(s.queries, q)
	s.mu.Unlock()
	m := soqlWhere.FindStringSubmatch(q)
	if m == nil {
		writeJSON(w, http.StatusBadRequest, []map[string]any{{"errorCode": "MALFORMED_QUERY", "message": "unexpected token"}})
		return
	}
	want := map[string]string{}
	for _, term := range strings.Split(m[1], " OR ") {
		t := soqlTerm.FindStringSubmatch(term)
		if t == nil {
			writeJSON(w, http.StatusBadRequest, []map[string]any{{"errorCode": "MALFORMED_QUERY", "message": "unexpected token: " + term}})
			return
		}
		want[t[1]] = t[2]
	}
	writeJSON(w, http.StatusOK, s.query(want))
}

func (s *Salesforce) query(want map[string]string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := []any{}
	for _, c := range s.contacts {
		for field, v := range want {
			if c[field] == v {
				out := map[string]any{"attributes": map[string]any{"type": "Contact",
					"url": "/services/data/v59.0/sobjects/Contact/" + c["Id"].(string)}}
				for k, val := range c {
					out[k] = val
				}
				recs = append(recs, out)
				break
			}
		}
	}
	return map[string]any{"totalSize": len(recs), "done": true, "records": recs}
}
