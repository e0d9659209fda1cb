package crmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// HubSpot is a fake HubSpot CRM v3 API on api.hubapi.com (and the OAuth
// consent page on app.hubspot.com): POST /crm/v3/objects/contacts/search,
// POST /crm/v3/objects/{contacts,calls}, GET /crm/v3/owners, and
// POST /oauth/v1/token. Requests need "Authorization: Bearer <token>"
// (a private-app token added with OAuth.AddAccessToken or an OAuth token).
type HubSpot struct {
	*Server
	OAuth *OAuth

	mu       sync.Mutex
	contacts []map[string]any // {"id":..., "properties":{...}}
	owners   []map[string]any
	created  map[string][]map[string]any
	seq      int
}

// NewHubSpot starts a fake HubSpot.
func NewHubSpot(clientID, clientSecret string) *HubSpot {
	h := &HubSpot{OAuth: NewOAuth(clientID, clientSecret), created: map[string][]map[string]any{}}
	h.OAuth.ExpiresIn = 30 * time.Minute // HubSpot access tokens live 30 minutes
	h.Server = NewServer(http.HandlerFunc(h.serve))
	return h
}

// AddContact adds a contact with the given id and properties.
func (h *HubSpot) AddContact(id string, props map[string]any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.contacts = append(h.contacts, map[string]any{"id": id, "properties": props,
		"createdAt": "2026-01-02T03:04:05.678Z", "updatedAt": "2026-01-02T03:04:05.678Z", "archived": false})
}

// AddOwner adds an owner as returned by GET /crm/v3/owners.
func (h *HubSpot) AddOwner(o map[string]any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.owners = append(h.owners, o)
}

// Created returns the objects created of a type (contacts, calls) as
// received (properties and associations).
func (h *HubSpot) Created(objectType string) []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.created[objectType]...)
}

// HubSpotPortalID is the portalId of GET /account-info/v3/details.
const HubSpotPortalID = 24681357

func (h *HubSpot) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Host == "app.hubspot.com" && r.URL.Path == "/oauth/authorize":
		h.OAuth.Authorize(w, r)
		return
	case r.URL.Path == "/oauth/v1/token":
		h.OAuth.Token(w, r)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		writeJSON(w, http.StatusUnauthorized, hubErr("INVALID_AUTHENTICATION", "Authentication credentials not found."))
		return
	}
	if !h.OAuth.Valid(tok) {
		writeJSON(w, http.StatusUnauthorized, hubErr("EXPIRED_AUTHENTICATION", "The OAuth token used to make this call expired 1 minute(s) ago."))
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/crm/v3/objects/contacts/search":
		h.search(w, r)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/crm/v3/objects/"):
		h.create(w, r, strings.TrimPrefix(r.URL.Path, "/crm/v3/objects/"))
	case r.Method == http.MethodGet && r.URL.Path == "/account-info/v3/details":
		writeJSON(w, http.StatusOK, map[string]any{"portalId": HubSpotPortalID, "accountType": "STANDARD",
			"timeZone": "Europe/Berlin", "companyCurrency": "EUR", "uiDomain": "app.hubspot.com", "dataHostingLocation": "eu1"})
	case r.Method == http.MethodGet && r.URL.Path == "/crm/v3/owners":
		h.mu.Lock()
		owners := append([]map[string]any(nil), h.owners...)
		h.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"results": owners})
	default:
		writeJSON(w, http.StatusNotFound, hubErr("OBJECT_NOT_FOUND", "resource not found"))
	}
}

type hubSearch struct {
	FilterGroups []struct {
		Filters []struct {
			PropertyName string `json:"propertyName"`
			Operator     string `json:"operator"`
			Value        string `json:"value"`
		} `json:"filters"`
	} `json:"filterGroups"`
	Properties []string `json:"properties"`
	Limit      int      `json:"limit"`
}

// matches: groups are ORed, filters in a group ANDed (EQ and CONTAINS_TOKEN).
func (q *hubSearch) matches(props map[string]any) bool {
	for _, g := range q.FilterGroups {
		all := len(g.Filters) > 0
		for _, f := range g.Filters {
			v, _ := props[f.PropertyName].(string)
			switch f.Operator {
			case "EQ":
				all = all && v == f.Value
			case "CONTAINS_TOKEN":
				all = all && strings.Contains(v, strings.Trim(f.Value, "*"))
			default:
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}

func (h *HubSpot) search(w http.ResponseWriter, r *http.Request) {
	var q hubSearch
	if err := json.Unmarshal(readBody(r), &q); err != nil {
		writeJSON(w, http.StatusBadRequest, hubErr("VALIDATION_ERROR", "Invalid input JSON"))
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	results := []map[string]any{}
	for _, c := range h.contacts {
		props := c["properties"].(map[string]any)
		if !q.matches(props) {
			continue
		}
		out := map[string]any{"hs_object_id": c["id"]}
		for _, p := range q.Properties {
			out[p] = props[p] // HubSpot returns null for unset requested properties
		}
		results = append(results, map[string]any{"id": c["id"], "properties": out,
			"createdAt": c["createdAt"], "updatedAt": c["updatedAt"], "archived": false})
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(results), "results": results})
}

func (h *HubSpot) create(w http.ResponseWriter, r *http.Request, objectType string) {
	var obj map[string]any
	if err := json.Unmarshal(readBody(r), &obj); err != nil || obj["properties"] == nil {
		writeJSON(w, http.StatusBadRequest, hubErr("VALIDATION_ERROR", "Invalid input JSON"))
		return
	}
	h.mu.Lock()
	h.seq++
	id := fmt.Sprintf("%d", 5000+h.seq)
	obj["id"] = id
	h.created[objectType] = append(h.created[objectType], obj)
	h.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "properties": obj["properties"],
		"createdAt": "2026-11-23T10:00:00.000Z", "updatedAt": "2026-11-23T10:00:00.000Z", "archived": false})
}

func hubErr(category, msg string) map[string]any {
	return map[string]any{"status": "error", "message": msg, "correlationId": "8a2c1b2e-0000-4000-8000-000000000000", "category": category}
}
