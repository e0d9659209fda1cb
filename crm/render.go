package crm

import (
	"bytes"
	"strings"
	"sync"
	ttemplate "text/template"

	"github.com/tidwall/gjson"

	"cidproxy/crm/template"
)

// engine renders template values and extracts outputs. It is the seam to
// package template.
type engine interface {
	Param(p *template.Parameter, vars Vars) (string, error)
	URL(r *template.Request, vars Vars) (string, error)
	Body(r *template.Request, vars Vars) ([]byte, error)
	Text(src string, vars Vars) (string, error)
	Extract(r *template.Request, body []byte) ([]map[string]string, error)
}

func renderText(e engine, src string, vars Vars) (string, error) { return e.Text(src, vars) }

// TEMPORARY: a minimal engine until package template exposes rendering.
type tmpEngine struct {
	mu    sync.Mutex
	cache map[string]*ttemplate.Template
}

func newEngine() engine { return &tmpEngine{cache: map[string]*ttemplate.Template{}} }

func (e *tmpEngine) Text(src string, vars Vars) (string, error) {
	e.mu.Lock()
	t, ok := e.cache[src]
	if !ok {
		var err error
		t, err = ttemplate.New("v").Option("missingkey=zero").Funcs(ttemplate.FuncMap{
			"UrlEncode": func(s string) string { return s }, "Capitalize": func(s string) string { return s },
			"ToMillis": func(s string) string { return s + "000" }, "TimeFormat": func(s ...string) string { return s[0] },
		}).Parse(src)
		if err != nil {
			e.mu.Unlock()
			return "", err
		}
		e.cache[src] = t
	}
	e.mu.Unlock()
	var b bytes.Buffer
	if err := t.Execute(&b, map[string]string(vars)); err != nil {
		return "", err
	}
	return b.String(), nil
}

func (e *tmpEngine) Param(p *template.Parameter, vars Vars) (string, error) {
	return e.Text(p.Value, vars)
}
func (e *tmpEngine) URL(r *template.Request, vars Vars) (string, error) {
	return e.Text(r.URLFormat, vars)
}
func (e *tmpEngine) Body(r *template.Request, vars Vars) ([]byte, error) {
	for _, p := range r.Parameters {
		if strings.EqualFold(p.Type, "Body") {
			s, err := e.Text(p.Value, vars)
			return []byte(s), err
		}
	}
	return nil, nil
}
func (e *tmpEngine) Extract(r *template.Request, body []byte) ([]map[string]string, error) {
	var recs []map[string]string
	get := func(i int) map[string]string {
		for len(recs) <= i {
			recs = append(recs, map[string]string{})
		}
		return recs[i]
	}
	for _, o := range r.OutputList() {
		res := gjson.GetBytes(body, o.Path)
		if res.IsArray() && strings.Contains(o.Path, "#") {
			for i, v := range res.Array() {
				get(i)[o.Name] = v.String()
			}
		} else if res.Exists() {
			get(0)[o.Name] = res.String()
		}
	}
	return recs, nil
}
