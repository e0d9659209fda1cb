package crm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"cidproxy/crm/template"
)

// maxHeaders is the seed's limit on custom request headers.
const maxHeaders = 20

// do renders r with vars, sends it with authentication and, when the CRM
// says the token is invalid (HTTP 401, or a non-2xx body containing the
// template's TokenInvalid text), refreshes the token once and retries once.
func (it *Integration) do(ctx context.Context, scenario string, r *template.Request, vars Vars) (*Response, error) {
	idempotent := r.HTTPMethod() == http.MethodGet || scenario == template.ScenarioSyncContactAuto ||
		scenario == template.ScenarioSearchContact || scenario == template.ScenarioCommon ||
		scenario == template.ScenarioUserAssociation || scenario == template.ScenarioGetGlobalInfo
	for try := 0; ; try++ {
		st, err := it.auth.prepare(ctx)
		if err != nil {
			return nil, err
		}
		req, err := it.build(scenario, r, vars.clone().merge(st.vars), st)
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
func (it *Integration) tokenInvalid(resp *Response) bool {
	if resp == nil || (resp.StatusCode >= 200 && resp.StatusCode < 300) {
		return false
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return true
	}
	text := it.tpl.TokenInvalid()
	return text != "" && bytes.Contains(resp.Body, []byte(text))
}

// build renders the URL, headers and body of r.
func (it *Integration) build(scenario string, r *template.Request, vars Vars, st authState) (*Request, error) {
	where := func(err error) error {
		return fmt.Errorf("crm: %s/%s: %w", scenario, r.Name, err)
	}
	raw, err := it.eng.URL(r, vars)
	if err != nil {
		return nil, where(err)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, where(errors.New("URLFormat does not render to an http(s) URL"))
	}
	h := http.Header{}
	if err := it.headers(h, r, vars); err != nil {
		return nil, where(err)
	}
	if st.header != "" && h.Get("Authorization") == "" {
		h.Set("Authorization", st.header)
	}
	body, err := it.eng.Body(r, vars)
	if err != nil {
		return nil, where(err)
	}
	if body != nil && h.Get("Content-Type") == "" {
		h.Set("Content-Type", contentType(r.RequestEncoding))
	}
	if h.Get("Accept") == "" && (r.ResponseType == "" || strings.Contains(r.ResponseType, "json")) {
		h.Set("Accept", "application/json")
	}
	return &Request{Scenario: scenario, Method: r.HTTPMethod(), URL: u.String(), Header: h, Body: body}, nil
}

// headers adds the template-wide PopulateTemplateString headers and the
// request's Type="Header" parameters (request parameters win).
func (it *Integration) headers(h http.Header, r *template.Request, vars Vars) error {
	params := append([]*template.Parameter(nil), it.tpl.Headers()...)
	for _, p := range r.Parameters {
		if strings.EqualFold(p.Type, "Header") {
			params = append(params, p)
		}
	}
	if len(params) > 2*maxHeaders {
		return fmt.Errorf("too many headers (%d)", len(params))
	}
	for _, p := range params {
		name := strings.TrimSpace(p.Name)
		if name == "" || !validHeaderName(name) {
			return fmt.Errorf("invalid header name %q", truncate(name, 40))
		}
		v, err := it.eng.Param(p, vars)
		if err != nil {
			return fmt.Errorf("header %s: %w", name, err)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("header %s: value contains a line break", name)
		}
		h.Set(name, v)
	}
	return nil
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

func contentType(enc string) string {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "urlencoded", "form", "application/x-www-form-urlencoded":
		return "application/x-www-form-urlencoded"
	case "xml", "application/xml", "text/xml":
		return "application/xml"
	}
	return "application/json"
}
