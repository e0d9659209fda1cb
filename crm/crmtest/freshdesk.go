package crmtest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Freshdesk is a fake Freshdesk API v2 on <domain>.freshdesk.com: basic auth
// with the API key as user name and "X" as password;
// GET /api/v2/search/contacts?query="phone:'…' OR mobile:'…'",
// POST /api/v2/contacts, POST /api/v2/tickets, POST /api/v2/tickets/{id}/notes,
// GET /api/v2/agents.
type Freshdesk struct {
	*Server
	APIKey string

	mu       sync.Mutex
	contacts []map[string]any
	agents   []map[string]any
	tickets  []map[string]any
	notes    map[int][]map[string]any
	seq      int
}

// NewFreshdesk starts a fake Freshdesk accepting apiKey.
func NewFreshdesk(apiKey string) *Freshdesk {
	f := &Freshdesk{APIKey: apiKey, notes: map[int][]map[string]any{}, seq: 100}
	f.Server = NewServer(http.HandlerFunc(f.serve))
	return f
}

// AddContact adds a contact (id, name, phone, mobile, email, ...).
func (f *Freshdesk) AddContact(c map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contacts = append(f.contacts, c)
}

// AddAgent adds an agent ({"id":..,"contact":{"name","email"}}).
func (f *Freshdesk) AddAgent(a map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.agents = append(f.agents, a)
}

// Tickets returns created tickets; Notes the notes added to ticket id.
func (f *Freshdesk) Tickets() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.tickets...)
}

// Notes returns the notes added to a ticket.
func (f *Freshdesk) Notes(id int) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.notes[id]...)
}

var fdTicket = regexp.MustCompile(`^/api/v2/tickets/([0-9]+)$`)

var fdNotes = regexp.MustCompile(`^/api/v2/tickets/([0-9]+)/notes$`)

func (f *Freshdesk) serve(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != f.APIKey || p != "X" {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": "invalid_credentials", "message": "You have to be logged in to perform this action."})
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v2/search/contacts":
		f.search(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/api/v2/agents":
		f.mu.Lock()
		agents := append([]map[string]any{}, f.agents...)
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, agents)
	case r.Method == http.MethodPost && r.URL.Path == "/api/v2/contacts":
		f.create(w, r, &f.contacts, "name", "phone")
	case r.Method == http.MethodPost && r.URL.Path == "/api/v2/tickets":
		f.create(w, r, &f.tickets, "subject", "description")
	case r.Method == http.MethodPut && fdTicket.MatchString(r.URL.Path):
		id, _ := strconv.Atoi(fdTicket.FindStringSubmatch(r.URL.Path)[1])
		var upd map[string]any
		if json.Unmarshal(readBody(r), &upd) != nil {
			writeJSON(w, http.StatusBadRequest, fdValidation("body", "invalid_json"))
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, t := range f.tickets {
			if t["id"] == id {
				for k, v := range upd {
					t[k] = v
				}
				writeJSON(w, http.StatusOK, t)
				return
			}
		}
		writeJSON(w, http.StatusNotFound, map[string]any{"code": "not_found", "message": "ticket not found"})
	case r.Method == http.MethodPost && fdNotes.MatchString(r.URL.Path):
		id, _ := strconv.Atoi(fdNotes.FindStringSubmatch(r.URL.Path)[1])
		var note map[string]any
		if json.Unmarshal(readBody(r), &note) != nil || note["body"] == nil {
			writeJSON(w, http.StatusBadRequest, fdValidation("body", "missing_field"))
			return
		}
		f.mu.Lock()
		f.notes[id] = append(f.notes[id], note)
		f.mu.Unlock()
		writeJSON(w, http.StatusCreated, map[string]any{"id": 9000 + id, "body": note["body"], "ticket_id": id})
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"code": "not_found", "message": "not found"})
	}
}

var fdTerm = regexp.MustCompile(`([a-z_]+):'([^']*)'`)

func (f *Freshdesk) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("query")
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		writeJSON(w, http.StatusBadRequest, fdValidation("query", "invalid_value"))
		return
	}
	terms := fdTerm.FindAllStringSubmatch(q, -1)
	f.mu.Lock()
	defer f.mu.Unlock()
	results := []map[string]any{}
	for _, c := range f.contacts {
		for _, t := range terms {
			if v, _ := c[t[1]].(string); v != "" && v == t[2] {
				results = append(results, c)
				break
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "total": len(results)})
}

func (f *Freshdesk) create(w http.ResponseWriter, r *http.Request, into *[]map[string]any, required ...string) {
	var obj map[string]any
	if err := json.Unmarshal(readBody(r), &obj); err != nil {
		writeJSON(w, http.StatusBadRequest, fdValidation("body", "invalid_json"))
		return
	}
	for _, k := range required {
		if s, _ := obj[k].(string); strings.TrimSpace(s) == "" {
			writeJSON(w, http.StatusBadRequest, fdValidation(k, "missing_field"))
			return
		}
	}
	f.mu.Lock()
	f.seq++
	obj["id"] = f.seq
	*into = append(*into, obj)
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, obj)
}

func fdValidation(field, code string) map[string]any {
	return map[string]any{"description": "Validation failed", "errors": []map[string]any{
		{"field": field, "message": "It should be valid", "code": code}}}
}
