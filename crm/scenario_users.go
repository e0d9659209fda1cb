package crm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"cidproxy/crm/template"
)

// Users lists the CRM users (UserAssociation scenario). `#` paths yield one
// user per array element; records without UserUniqueId are skipped.
func (it *Integration) Users(ctx context.Context) ([]User, error) {
	sc := it.tpl.Scenario(template.ScenarioUserAssociation)
	if sc == nil || len(sc.Requests) == 0 {
		return nil, errors.New("crm: template has no UserAssociation scenario")
	}
	r := sc.Request(template.ScenarioUserAssociation)
	if r == nil {
		r = sc.Requests[0]
	}
	vars := it.baseVars()
	resp, err := it.do(ctx, sc.ID, r, vars)
	if err != nil {
		return nil, err
	}
	if len(resp.Body) == 0 {
		return nil, nil
	}
	recs, err := extract(r.OutputList(), resp.Body, vars)
	if err != nil {
		return nil, fmt.Errorf("crm: UserAssociation: %w", err)
	}
	var users []User
	for _, rec := range recs {
		u := User{
			ID:        cleanValue(rec["UserUniqueId"], maxFieldLen),
			FirstName: cleanValue(rec["FirstName"], maxFieldLen),
			LastName:  cleanValue(rec["LastName"], maxFieldLen),
			Email:     cleanValue(rec["Email"], maxFieldLen),
		}
		if u.ID != "" {
			users = append(users, u)
		}
	}
	return users, nil
}

// AssociateByEmail pairs extensions with CRM users whose e-mail address is
// the same (case-insensitive), as the "Associate Automatically" button does.
// manual (extension number -> CRM user id) entries win over e-mail matches.
// The result maps extension numbers to CRM user ids.
func AssociateByEmail(users []User, exts []Extension, manual map[string]string) map[string]string {
	byEmail := make(map[string]string, len(users))
	for _, u := range users {
		if e := strings.ToLower(strings.TrimSpace(u.Email)); e != "" {
			if _, dup := byEmail[e]; !dup {
				byEmail[e] = u.ID
			}
		}
	}
	out := map[string]string{}
	for _, x := range exts {
		if id, ok := byEmail[strings.ToLower(strings.TrimSpace(x.Email))]; ok && x.Email != "" {
			out[x.Number] = id
		}
	}
	for ext, id := range manual {
		out[ext] = id
	}
	return out
}
