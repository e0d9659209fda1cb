package template

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// ErrEmptyURL is returned by Render when URLFormat renders to nothing, as
// in URLFormat="{{if .RecordPath}}https://…{{end}}": the caller skips the
// request.
var ErrEmptyURL = errors.New("template: URL renders empty (request skipped)")

// HTTPRequest is a rendered request. It carries the template's headers
// (PopulateTemplateString) and the request's own Header parameters, but no
// Authorization header: auth is the caller's.
type HTTPRequest struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// NewRequest builds an *http.Request.
func (h *HTTPRequest) NewRequest(ctx context.Context) (*http.Request, error) {
	var body io.Reader
	if len(h.Body) > 0 {
		body = bytes.NewReader(h.Body)
	}
	req, err := http.NewRequestWithContext(ctx, h.Method, h.URL, body)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	for k, v := range h.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	return req, nil
}

// Render renders request r of t with vars: URL, headers and body, each with
// the escaping of its context (see the package documentation).
func (t *Template) Render(r *Request, vars Vars) (*HTTPRequest, error) {
	if t.c == nil {
		return nil, ErrNotCompiled
	}
	u, err := r.RenderURL(vars)
	if err != nil {
		return nil, err
	}
	h := &HTTPRequest{Method: r.HTTPMethod(), URL: u, Header: http.Header{}}
	for _, p := range t.Headers() {
		if err := addHeader(h.Header, p, vars, false); err != nil {
			return nil, err
		}
	}
	var bodies []*Parameter
	for _, p := range r.Parameters {
		switch paramKind(p) {
		case "Header":
			if err := addHeader(h.Header, p, vars, true); err != nil {
				return nil, err
			}
		case "Body":
			bodies = append(bodies, p)
		}
	}
	ctx, err := r.renderBody(h, bodies, vars)
	if err != nil {
		return nil, err
	}
	if len(h.Body) > 0 && h.Header.Get("Content-Type") == "" {
		switch ctx {
		case CtxJSON:
			h.Header.Set("Content-Type", "application/json")
		case CtxForm:
			h.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		case CtxXML:
			h.Header.Set("Content-Type", "application/xml")
		}
	}
	return h, nil
}

// RenderURL renders URLFormat and checks that the result is an absolute
// http(s) URL. It returns ErrEmptyURL when it renders to nothing.
func (r *Request) RenderURL(vars Vars) (string, error) {
	s, err := r.url.exec(vars)
	if err != nil {
		return "", fmt.Errorf("template: request %q URLFormat: %w", r.Name, err)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrEmptyURL
	}
	if err := checkURL(s); err != nil {
		return "", fmt.Errorf("template: request %q URLFormat: %w", r.Name, err)
	}
	return s, nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("bad URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("URL without host")
	}
	return nil
}

func addHeader(h http.Header, p *Parameter, vars Vars, replace bool) error {
	v, err := p.Render(vars)
	if err != nil {
		return err
	}
	k := textproto.CanonicalMIMEHeaderKey(p.Name)
	if replace {
		h[k] = []string{v}
	} else {
		h[k] = append(h[k], v)
	}
	return nil
}

// renderBody sets h.Body: one Body parameter is the body itself; several
// are sent as a form (or a JSON object when RequestEncoding says JSON).
func (r *Request) renderBody(h *HTTPRequest, bodies []*Parameter, vars Vars) (Context, error) {
	switch len(bodies) {
	case 0:
		return CtxPlain, nil
	case 1:
		s, err := bodies[0].Render(vars)
		h.Body = []byte(s)
		return bodies[0].Context(), err
	}
	if bodyContext(r.RequestEncoding, "x=") == CtxJSON {
		obj := make(map[string]string, len(bodies))
		for _, p := range bodies {
			s, err := p.Render(vars)
			if err != nil {
				return CtxJSON, err
			}
			obj[p.Name] = s
		}
		b, err := json.Marshal(obj)
		h.Body = b
		return CtxJSON, err
	}
	form := url.Values{}
	for _, p := range bodies {
		s, err := p.Render(vars)
		if err != nil {
			return CtxForm, err
		}
		form.Add(p.Name, s)
	}
	h.Body = []byte(form.Encode())
	return CtxForm, nil
}

// Render renders the parameter's Value with the escaping of its context
// (Context). Values of templates that failed Parse render as written.
func (p *Parameter) Render(vars Vars) (string, error) {
	if p.v == nil {
		return p.Value, nil
	}
	s, err := p.v.exec(vars)
	if err != nil {
		return "", fmt.Errorf("template: parameter %q: %w", p.Name, err)
	}
	return s, nil
}

// Context returns the escaping context Parse chose for the Value: CtxURL for
// AuthEndPoint, TokenEndPoint and the popup URLFormat, CtxQuery for
// AdditionalQueryString, CtxHeader for headers, the body context for Body
// parameters and CtxPlain otherwise.
func (p *Parameter) Context() Context {
	if p.v == nil {
		return CtxPlain
	}
	return p.v.ctx
}

// RenderString compiles and renders src with t's functions and time zone in
// context ctx, for text that is not part of the template (e.g. a URL the
// caller assembles).
func (t *Template) RenderString(src string, ctx Context, vars Vars) (string, error) {
	c := t.c
	if c == nil {
		c = defaultCompiled()
	}
	v, err := c.compileValue(src, ctx)
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	return v.exec(vars)
}
