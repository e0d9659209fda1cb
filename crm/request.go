package crm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"

	"cidproxy/crm/internal/httpclient"
	"cidproxy/crm/template"
)

// do renders r with vars, sends it with authentication and, when the CRM
// says the token is invalid (HTTP 401, or a non-2xx body containing the
// template's TokenInvalid text), refreshes the token once and retries once.
func (it *Integration) do(ctx context.Context, scenario string, r *template.Request, vars template.Vars) (*httpclient.Response, error) {
	idempotent := r.HTTPMethod() == http.MethodGet || scenario == template.ScenarioSyncContactAuto ||
		scenario == template.ScenarioSearchContact || scenario == template.ScenarioCommon ||
		scenario == template.ScenarioUserAssociation || scenario == template.ScenarioGetGlobalInfo
	for try := 0; ; try++ {
		st, err := it.auth.prepare(ctx)
		if err != nil {
			return nil, err
		}
		req, err := it.build(scenario, r, merge(maps.Clone(vars), st.vars), st)
		if err != nil {
			return nil, err
		}
		req.Idempotent = idempotent
		resp, err := it.client.Do(ctx, req)
		if try > 0 || !it.tokenInvalid(resp) || !it.auth.canRefresh() {
			return resp, err
		}
		it.log.Info("crm token rejected; refreshing", "scenario", scenario, "request", r.Name, "status", resp.StatusCode)
		if rerr := it.auth.refresh(ctx, st.token); rerr != nil {
			return resp, errors.Join(err, rerr)
		}
	}
}

// tokenInvalid reports a response that calls for a token refresh.
func (it *Integration) tokenInvalid(resp *httpclient.Response) bool {
	if resp == nil || (resp.StatusCode >= 200 && resp.StatusCode < 300) {
		return false
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return true
	}
	text := it.tpl.TokenInvalid()
	return text != "" && bytes.Contains(resp.Body, []byte(text))
}

// build renders the URL, headers and body of r and adds authentication.
func (it *Integration) build(scenario string, r *template.Request, vars template.Vars, st authState) (*httpclient.Request, error) {
	h, err := it.tpl.Render(r, vars)
	if err != nil {
		if errors.Is(err, template.ErrEmptyURL) {
			return nil, err
		}
		return nil, fmt.Errorf("crm: %s/%s: %w", scenario, r.Name, err)
	}
	for k, vs := range h.Header {
		if !validHeaderName(k) {
			return nil, fmt.Errorf("crm: %s/%s: invalid header name %q", scenario, r.Name, truncate(k, 40))
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") {
				return nil, fmt.Errorf("crm: %s/%s: header %s contains a line break", scenario, r.Name, k)
			}
		}
	}
	if st.header != "" && h.Header.Get("Authorization") == "" {
		h.Header.Set("Authorization", st.header)
	}
	if h.Header.Get("Accept") == "" && (r.ResponseType == "" || strings.Contains(r.ResponseType, "json")) {
		h.Header.Set("Accept", "application/json")
	}
	return &httpclient.Request{Scenario: scenario, Method: h.Method, URL: h.URL, Header: h.Header, Body: h.Body}, nil
}

func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
