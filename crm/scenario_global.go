package crm

import (
	"context"
	"errors"
	"fmt"

	"cidproxy/crm/template"
)

// Start runs GetGlobalInfo (the seed runs it when the integration is set up
// and when the PBX starts). An oauth2 integration that is not authorized yet
// returns ErrNotAuthorized; call Start again after the authorization.
func (it *Integration) Start(ctx context.Context) error {
	if !it.Authorized() {
		return ErrNotAuthorized
	}
	return it.RefreshGlobals(ctx)
}

// RefreshGlobals runs every GetGlobalInfo request in order; each Output
// becomes a global variable available to all other scenarios (except
// AuthMethod). For `#` paths the first non-empty element is used. Outputs
// of one request are visible to the next.
func (it *Integration) RefreshGlobals(ctx context.Context) error {
	sc := it.tpl.Scenario(template.ScenarioGetGlobalInfo)
	if sc == nil {
		return nil
	}
	globals := map[string]string{}
	var errs []error
	for _, r := range sc.Requests {
		vars := merge(it.baseVars(), globals)
		resp, err := it.do(ctx, sc.ID, r, vars)
		if err != nil {
			errs = append(errs, fmt.Errorf("crm: GetGlobalInfo/%s: %w", r.Name, err))
			continue
		}
		if len(resp.Body) == 0 {
			continue
		}
		recs, err := extract(r.OutputList(), resp.Body, vars)
		if err != nil {
			errs = append(errs, fmt.Errorf("crm: GetGlobalInfo/%s: %w", r.Name, err))
			continue
		}
		for _, rec := range recs {
			for k, v := range rec {
				if v = cleanValue(v, maxRemarkLen); v != "" && globals[k] == "" {
					globals[k] = v
				}
			}
		}
	}
	it.mu.Lock()
	for k, v := range globals {
		it.globals[k] = v
	}
	it.mu.Unlock()
	return errors.Join(errs...)
}
