package crmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
)

// Zoho is a fake Zoho CRM (API v2 and v7 paths) with its accounts server:
// accounts.zoho.<dc>/oauth/v2/auth and /oauth/v2/token, and on
// www.zohoapis.<dc>: GET /crm/vN/{Module}/search (phone, criteria or word;
// no match = 204 with an empty body), POST /crm/vN/{Module} (Contacts, Leads,
// Calls, ...), GET /crm/vN/users. API calls need
// "Authorization: Zoho-oauthtoken <access token>"; an unknown or expired
// token gets 401 {"code":"INVALID_TOKEN",...}.
type Zoho struct {
	*Server
	OAuth *OAuth

	mu      sync.Mutex
	records map[string][]map[string]any // module -> records
	created map[string][]map[string]any // module -> created records
	users   []map[string]any
	seq     int

	// APIDomain, if set, is the api_domain of every token response (an
	// account whose API lives elsewhere than its accounts server);
	// otherwise api_domain follows the accounts server's data centre.
	APIDomain string
}

// NewZoho starts a fake Zoho for one OAuth client.
func NewZoho(clientID, clientSecret string) *Zoho {
	z := &Zoho{
		OAuth:   NewOAuth(clientID, clientSecret),
		records: map[string][]map[string]any{},
		created: map[string][]map[string]any{},
	}
	z.OAuth.Extra = map[string]any{"api_domain": "https://www.zohoapis.com"}
	z.OAuth.ExtraFor = func(r *http.Request) map[string]any { // the accounts server's data centre
		if z.APIDomain != "" {
			return map[string]any{"api_domain": z.APIDomain}
		}
		return map[string]any{"api_domain": "https://www.zohoapis." + strings.TrimPrefix(r.Host, "accounts.zoho.")}
	}
	z.Server = NewServer(http.HandlerFunc(z.serve))
	return z
}

// AddRecord adds a record (with an "id") to a module (Contacts, Leads, Accounts).
func (z *Zoho) AddRecord(module string, rec map[string]any) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.records[module] = append(z.records[module], rec)
}

// AddUser adds a CRM user as returned by GET /users.
func (z *Zoho) AddUser(u map[string]any) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.users = append(z.users, u)
}

// Created returns the records created in module through the API.
func (z *Zoho) Created(module string) []map[string]any {
	z.mu.Lock()
	defer z.mu.Unlock()
	return append([]map[string]any(nil), z.created[module]...)
}

// ZohoOrgDomain is the org domain_name the fake returns from GET /crm/vN/org.
const ZohoOrgDomain = "org20241123"

var zohoPath = regexp.MustCompile(`^/crm/v[0-9]+/([A-Za-z_]+)(/search)?$`)

func (z *Zoho) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.Host, "accounts.zoho.") {
		switch r.URL.Path {
		case "/oauth/v2/auth":
			z.OAuth.Authorize(w, r)
		case "/oauth/v2/token":
			z.OAuth.Token(w, r)
		default:
			http.NotFound(w, r)
		}
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Zoho-oauthtoken ")
	if !ok {
		writeJSON(w, http.StatusUnauthorized, zohoErr("AUTHENTICATION_FAILURE", "Authentication failed"))
		return
	}
	if !z.OAuth.Valid(tok) {
		writeJSON(w, http.StatusUnauthorized, zohoErr("INVALID_TOKEN", "invalid oauth token"))
		return
	}
	m := zohoPath.FindStringSubmatch(r.URL.Path)
	switch {
	case m == nil:
		writeJSON(w, http.StatusNotFound, zohoErr("INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"))
	case m[1] == "org" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"org": []map[string]any{{
			"id": "4150868000000000001", "domain_name": ZohoOrgDomain, "company_name": "Zylker", "time_zone": "Europe/Berlin"}}})
	case m[1] == "users" && r.Method == http.MethodGet:
		z.mu.Lock()
		users := append([]map[string]any(nil), z.users...)
		z.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"users": users, "info": info(len(users))})
	case m[2] == "/search" && r.Method == http.MethodGet:
		z.search(w, r, m[1])
	case m[2] == "" && r.Method == http.MethodPost:
		z.create(w, r, m[1])
	default:
		writeJSON(w, http.StatusMethodNotAllowed, zohoErr("INVALID_REQUEST_METHOD", "The http request method type is not a valid one"))
	}
}

var zohoCriterion = regexp.MustCompile(`\(([A-Za-z_]+):equals:([^()]*)\)`)

var zohoPhoneFields = []string{"Phone", "Mobile", "Home_Phone", "Other_Phone", "Asst_Phone", "Fax"}

func (z *Zoho) search(w http.ResponseWriter, r *http.Request, module string) {
	q := r.URL.Query()
	match := func(rec map[string]any) bool { return false }
	switch {
	case q.Get("phone") != "":
		want := digits(q.Get("phone"))
		match = func(rec map[string]any) bool {
			for _, f := range zohoPhoneFields {
				if v, ok := rec[f]; ok && v != nil && digits(fmt.Sprint(v)) == want {
					return true
				}
			}
			return false
		}
	case q.Get("criteria") != "":
		crit := zohoCriterion.FindAllStringSubmatch(q.Get("criteria"), -1)
		match = func(rec map[string]any) bool {
			for _, c := range crit {
				if s, _ := rec[c[1]].(string); s == c[2] {
					return true
				}
			}
			return false
		}
	case q.Get("word") != "" || q.Get("email") != "":
		word := q.Get("word") + q.Get("email")
		match = func(rec map[string]any) bool {
			b, _ := json.Marshal(rec)
			return strings.Contains(string(b), word)
		}
	default:
		writeJSON(w, http.StatusBadRequest, zohoErr("REQUIRED_PARAM_MISSING", "One of the expected parameter is missing"))
		return
	}
	z.mu.Lock()
	var out []map[string]any
	for _, rec := range z.records[module] {
		if match(rec) {
			out = append(out, rec)
		}
	}
	z.mu.Unlock()
	if len(out) == 0 {
		w.WriteHeader(http.StatusNoContent) // documented: no match = 204, empty body
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "info": info(len(out))})
}

func (z *Zoho) create(w http.ResponseWriter, r *http.Request, module string) {
	var body struct {
		Data []map[string]any `json:"data"`
	}
	b := readBody(r)
	if err := json.Unmarshal(b, &body); err != nil || len(body.Data) == 0 {
		writeJSON(w, http.StatusBadRequest, zohoErr("INVALID_DATA", "body is not valid JSON with a data array"))
		return
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	var results []map[string]any
	for _, rec := range body.Data {
		z.seq++
		id := fmt.Sprintf("41508680000%08d", z.seq)
		rec["id"] = id
		z.created[module] = append(z.created[module], rec)
		results = append(results, map[string]any{
			"code": "SUCCESS", "status": "success", "message": "record added",
			"details": map[string]any{"id": id, "Created_Time": "2026-11-23T10:00:00+00:00"},
		})
	}
	writeJSON(w, http.StatusCreated, map[string]any{"data": results})
}

func zohoErr(code, msg string) map[string]any {
	return map[string]any{"code": code, "details": map[string]any{}, "message": msg, "status": "error"}
}

func info(n int) map[string]any {
	return map[string]any{"per_page": 200, "count": n, "page": 1, "more_records": false}
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
