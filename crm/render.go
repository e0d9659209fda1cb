package crm

import (
	"errors"

	"cidproxy/crm/template"
)

// engine renders template values and extracts outputs: the seam to package
// template (tests may substitute it).
type engine interface {
	Param(p *template.Parameter, vars Vars) (string, error)
	// ParamVars renders with variables already converted (hot loops).
	ParamVars(p *template.Parameter, vars template.Vars) (string, error)
	Render(r *template.Request, vars Vars) (*template.HTTPRequest, error)
	Text(src string, vars Vars) (string, error)
	Extract(outputs []*template.Output, body []byte, vars Vars) ([]template.Record, error)
}

func renderText(e engine, src string, vars Vars) (string, error) { return e.Text(src, vars) }

// tplEngine is the engine over a parsed template.
type tplEngine struct{ t *template.Template }

func newEngine(t *template.Template) engine { return tplEngine{t: t} }

func toVars(v Vars) template.Vars {
	out := make(template.Vars, len(v))
	for k, s := range v {
		out[k] = s
	}
	return out
}

func (e tplEngine) Param(p *template.Parameter, vars Vars) (string, error) {
	return p.Render(toVars(vars))
}

func (e tplEngine) ParamVars(p *template.Parameter, vars template.Vars) (string, error) {
	return p.Render(vars)
}

func (e tplEngine) Render(r *template.Request, vars Vars) (*template.HTTPRequest, error) {
	return e.t.Render(r, toVars(vars))
}

func (e tplEngine) Text(src string, vars Vars) (string, error) {
	return e.t.RenderString(src, template.CtxPlain, toVars(vars))
}

func (e tplEngine) Extract(outputs []*template.Output, body []byte, vars Vars) ([]template.Record, error) {
	recs, err := template.Extract(outputs, body, toVars(vars))
	if errors.Is(err, template.ErrNotJSON) {
		err = template.ErrNotJSON // its message quotes the body (personal data)
	}
	return recs, err
}
