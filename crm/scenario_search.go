package crm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"cidproxy/crm/template"
)

// Contact URL types (SyncContactAuto ContactUrlType).
const (
	URLTypeFormat      = "specify_url_format"
	URLTypeFromContact = "retrieve_from_contact"
)

// maxChain bounds Outputs Next chaining (Common requests calling Common
// requests).
const maxChain = 4

// SearchContact looks phone up with every contact type of SyncContactAuto
// (one request per type, run concurrently; Settings.SyncTypes narrows the
// set) and returns the contacts found, in request order. No match is an
// empty slice and a nil error. If some types fail and others answer, the
// contacts found are returned with a nil error and the failures are logged;
// if every type fails, the error is returned.
//
// Concurrent searches for the same number (a queue call ringing several
// agents) share one set of requests.
func (it *Integration) SearchContact(ctx context.Context, phone string) ([]Contact, error) {
	sc := it.tpl.Scenario(template.ScenarioSyncContactAuto)
	if sc == nil {
		return nil, errors.New("crm: template has no SyncContactAuto scenario")
	}
	ch := it.flight.DoChan(phone, func() (any, error) {
		// Detached from the first caller's cancellation (the others still
		// wait) and bounded by one attempt timeout; each caller returns at
		// its own deadline.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), it.client.Timeout())
		defer cancel()
		return it.search(sctx, sc, template.Vars{"Phone": phone, "SearchValue": phone, "CallerNumber": phone})
	})
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("crm: search: %w", ctx.Err())
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return slices.Clone(res.Val.([]Contact)), nil
	}
}

// DialSearch runs the SearchContact scenario (dial search by name or number)
// with SearchValue=query; templates without it fall back to SearchContact.
func (it *Integration) DialSearch(ctx context.Context, query string) ([]Contact, error) {
	sc := it.tpl.Scenario(template.ScenarioSearchContact)
	if sc == nil {
		return it.SearchContact(ctx, query)
	}
	return it.search(ctx, sc, template.Vars{"Phone": query, "SearchValue": query})
}

func (it *Integration) search(ctx context.Context, sc *template.Scenario, extra template.Vars) ([]Contact, error) {
	var reqs []*template.Request
	for _, r := range sc.Requests {
		if len(it.settings.SyncTypes) == 0 || slices.Contains(it.settings.SyncTypes, r.Name) {
			reqs = append(reqs, r)
		}
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	results := make([][]Contact, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() {
			results[i], errs[i] = it.searchType(ctx, sc, r, extra)
		})
	}
	wg.Wait()
	var out []Contact
	failed := 0
	for i := range reqs {
		if errs[i] != nil {
			failed++
			// Debug: a hung CRM fails every search; the outcome is counted
			// in cidproxy_crm_requests_total and the status shows the last error.
			it.log.Debug("crm contact search failed", "type", reqs[i].Name, "err", it.redact.String(errs[i].Error()))
			continue
		}
		out = append(out, results[i]...)
	}
	if failed == len(reqs) {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// searchType runs one contact-type request and maps its records.
func (it *Integration) searchType(ctx context.Context, sc *template.Scenario, r *template.Request, extra template.Vars) ([]Contact, error) {
	vars := merge(it.baseVars(), extra)
	vars["ContactSyncType"] = r.Name
	resp, err := it.do(ctx, sc.ID, r, vars)
	if errors.Is(err, template.ErrEmptyURL) {
		return nil, nil
	}
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
			return nil, nil // some CRMs answer a search without match with 404
		}
		return nil, err
	}
	if resp.StatusCode == http.StatusNoContent || len(strings.TrimSpace(string(resp.Body))) == 0 {
		return nil, nil // Zoho: no match = 204 with an empty body
	}
	outputs := r.OutputList()
	fromContact := strings.EqualFold(sc.ParamValue("ContactUrlType"), URLTypeFromContact) && sc.ContactURLOutput() != nil
	if fromContact {
		outputs = append(slices.Clip(outputs), sc.ContactURLOutput())
	}
	records, err := extract(outputs, resp.Body, vars)
	if err != nil {
		return nil, fmt.Errorf("crm: %s/%s: %w", sc.ID, r.Name, err)
	}
	var out []Contact
	urlVars := it.baseVars()
	for _, rec := range records {
		if next := r.Next(); next != "" {
			if err := it.follow(ctx, next, vars, rec, 0); err != nil {
				it.log.Warn("crm chained request failed", "type", r.Name, "next", next, "err", it.redact.String(err.Error()))
			}
		}
		c := it.mapContact(sc, r.Name, rec)
		if c.ID == "" {
			continue // no ContactsId, no match (an empty record, a "no match" object)
		}
		if fromContact {
			c.URL = cleanURL(rec[sc.ContactURLOutput().Name])
		} else {
			c.URL = it.contactURL(sc, c, urlVars)
		}
		out = append(out, c)
	}
	return out, nil
}

// mapContact turns one output record into a Contact, honouring the *Enable
// switches and cleaning hostile values.
func (it *Integration) mapContact(sc *template.Scenario, typ string, rec map[string]string) Contact {
	c := Contact{Type: typ}
	off := it.disabledOutputs(sc)
	for name, v := range rec {
		field, ok := contactFields[name]
		if !ok || off[name] {
			continue
		}
		limit := maxFieldLen
		if name == "Remark" {
			limit = maxRemarkLen
		}
		*field(&c) = cleanValue(v, limit)
	}
	return c
}

// disabledOutputs returns the contact outputs switched off by a present
// "<Name>Enable" parameter that is not 1 (computed once per scenario).
func (it *Integration) disabledOutputs(sc *template.Scenario) map[string]bool {
	if m, ok := it.disabled.Load(sc); ok {
		return m.(map[string]bool)
	}
	m := map[string]bool{}
	for name, en := range contactEnable {
		if sc.Param(en) != nil && !sc.Enabled(en) {
			m[name] = true
		}
	}
	it.disabled.Store(sc, m)
	return m
}

// follow runs the Common request next with the record's outputs as
// variables and backfills its outputs into rec (only empty fields).
func (it *Integration) follow(ctx context.Context, next string, vars template.Vars, rec map[string]string, depth int) error {
	if depth >= maxChain {
		return fmt.Errorf("crm: Next chain deeper than %d", maxChain)
	}
	r := it.tpl.CommonRequest(next)
	if r == nil {
		return fmt.Errorf("crm: Next %q: no such Common request", next)
	}
	v := merge(maps.Clone(vars), rec)
	if id := rec["ContactsId"]; id != "" {
		v["ContactId"] = id
	}
	resp, err := it.do(ctx, template.ScenarioCommon, r, v)
	if errors.Is(err, template.ErrEmptyURL) {
		return nil
	}
	if err != nil {
		return err
	}
	out, err := extract(r.OutputList(), resp.Body, v)
	if err != nil || len(out) == 0 {
		return err
	}
	for k, val := range out[0] {
		if rec[k] == "" {
			rec[k] = val
		}
	}
	if r.Next() != "" {
		return it.follow(ctx, r.Next(), vars, rec, depth+1)
	}
	return nil
}

// ContactURL renders the popup URL of c (ContactUrlType
// specify_url_format), or returns c.URL as retrieved from the contact.
func (it *Integration) ContactURL(c Contact) string {
	sc := it.tpl.Scenario(template.ScenarioSyncContactAuto)
	if sc == nil || !strings.EqualFold(sc.ParamValue("ContactUrlType"), URLTypeFormat) {
		return c.URL
	}
	return it.contactURL(sc, c, it.baseVars())
}

// contactURL renders URLFormat for c, setting the contact variables in vars
// (which it modifies; callers reuse one map for all contacts of a search).
// vars is baseVars, for a search result and a stored contact alike, so the
// URL depends only on the contact.
func (it *Integration) contactURL(sc *template.Scenario, c Contact, vars template.Vars) string {
	if !strings.EqualFold(sc.ParamValue("ContactUrlType"), URLTypeFormat) {
		return c.URL
	}
	p := sc.Param("URLFormat")
	if p == nil || p.Value == "" {
		return c.URL
	}
	vars["ContactSyncType"], vars["ContactId"], vars["ContactsId"] = c.Type, c.ID, c.ID
	vars["CustomValue"], vars["FirstName"], vars["LastName"], vars["Email"] = c.CustomValue, c.FirstName, c.LastName, c.Email
	s, err := p.Render(vars)
	if err != nil {
		it.log.Warn("crm contact url", "err", err)
		return ""
	}
	return cleanURL(s)
}
