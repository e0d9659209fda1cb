package crm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cidproxy/crm/template"
)

// NewContact is a contact to create in the CRM (CreateNewContact).
type NewContact struct {
	Type      string // request name (Contacts, Leads); "" = Settings.CreateType or the first
	FirstName string
	LastName  string // the CRMs require it; "" = the number
	Number    string // BusinessNumber
}

// CreateContact creates a contact or lead for an unknown number and returns
// it with the id the CRM assigned (outputs ContactsId or ContactId, if the
// template maps one).
func (it *Integration) CreateContact(ctx context.Context, nc NewContact) (Contact, error) {
	sc := it.tpl.Scenario(template.ScenarioCreateNewContact)
	if sc == nil || len(sc.Requests) == 0 {
		return Contact{}, errors.New("crm: template has no CreateNewContact scenario")
	}
	typ := firstNonEmpty(nc.Type, it.settings.CreateType)
	r := sc.Requests[0]
	if typ != "" {
		if r = sc.Request(typ); r == nil {
			return Contact{}, fmt.Errorf("crm: CreateNewContact has no request %q", typ)
		}
	}
	if nc.FirstName == "" && nc.LastName == "" {
		nc.LastName = nc.Number
	}
	if c, ok := it.recentContact(r.Name, nc.Number); ok {
		return c, nil
	}
	vars := merge(it.baseVars(), template.Vars{
		"FirstName": nc.FirstName, "LastName": nc.LastName, "BusinessNumber": nc.Number,
		"Phone": nc.Number, "ContactSyncType": r.Name,
	})
	resp, err := it.do(ctx, sc.ID, r, vars)
	if err != nil {
		return Contact{}, err
	}
	c := Contact{Type: r.Name, FirstName: nc.FirstName, LastName: nc.LastName, Business: nc.Number}
	if recs, err := it.extractFirst(r, resp.Body, vars); err == nil {
		c.ID = cleanValue(firstNonEmpty(recs["ContactsId"], recs["ContactId"]), maxFieldLen)
	}
	c.URL = it.ContactURL(c)
	it.rememberContact(r.Name, nc.Number, c)
	return c, nil
}

// Created contacts are remembered for a while: CRM search indexes lag (HubSpot
// up to ~10 s), so a second call from the same unknown number shortly after
// must not create a duplicate.
const (
	recentTTL = 10 * time.Minute
	recentMax = 1024
)

type recentEntry struct {
	c  Contact
	at time.Time
}

func (it *Integration) recentContact(typ, number string) (Contact, bool) {
	it.mu.RLock()
	defer it.mu.RUnlock()
	e, ok := it.recent[typ+"\x00"+number]
	if !ok || it.now().Sub(e.at) > recentTTL {
		return Contact{}, false
	}
	return e.c, true
}

func (it *Integration) rememberContact(typ, number string, c Contact) {
	if number == "" {
		return
	}
	it.mu.Lock()
	defer it.mu.Unlock()
	now := it.now()
	if len(it.recent) >= recentMax {
		for k, e := range it.recent {
			if now.Sub(e.at) > recentTTL || len(it.recent) >= recentMax {
				delete(it.recent, k)
			}
		}
	}
	it.recent[typ+"\x00"+number] = recentEntry{c: c, at: now}
}

// extractFirst returns the first output record of a response ("" values if
// there is none).
func (it *Integration) extractFirst(r *template.Request, body []byte, vars template.Vars) (map[string]string, error) {
	if len(r.OutputList()) == 0 || len(body) == 0 {
		return map[string]string{}, nil
	}
	recs, err := extract(r.OutputList(), body, vars)
	if err != nil {
		return map[string]string{}, err
	}
	if len(recs) == 0 {
		return map[string]string{}, nil
	}
	return recs[0], nil
}
