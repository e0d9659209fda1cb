package template

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

var methodList = strings.Join(httpMethods, ", ")

func (v *validator) request(s *Scenario, r *Request, known map[string]struct{}) {
	w := where{}.in(s).req(r)
	if r.Name == "" {
		v.err(w.at("Name").errf("request without Name"))
	}
	if !slices.Contains(httpMethods, r.HTTPMethod()) {
		v.err(w.at("Method").errf("bad Method %q: want one of %s", r.Method, methodList))
	}
	src := r.URLFormat
	if src == "" {
		for _, a := range r.Extra.Attrs {
			if a.Name.Local == "URL" {
				src = a.Value
				v.warn(w.at("URL").warnf("read as URLFormat"))
			}
		}
	}
	if strings.TrimSpace(src) == "" {
		v.err(w.at("URLFormat").errf("empty URLFormat"))
	} else {
		r.url = v.compile(src, CtxURL, w.at("URLFormat"), known)
	}
	v.requestParams(r, w, known)
	if r.Outputs != nil {
		for _, o := range r.Outputs.Outputs {
			ow := w.out(o)
			if o.Name == "" {
				v.err(ow.at("Name").errf("output without Name"))
			}
			p, err := v.c.compilePath(o.Path)
			if err != nil {
				v.err(ow.at("Path").errf("%s", err))
				continue
			}
			o.p = p
			v.lintPath(p, ow.at("Path"), known)
		}
	}
}

func (v *validator) lintPath(p *path, w where, known map[string]struct{}) {
	for _, a := range p.alts {
		for _, r := range a.v.refs {
			if _, ok := known[r]; !ok {
				v.warn(w.warnf("unknown variable .%s (renders empty unless the caller sets it)", r))
			}
		}
	}
}

func paramKind(p *Parameter) string {
	switch {
	case strings.EqualFold(p.Type, "Header") || p.Father == FatherHeader:
		return "Header"
	case strings.EqualFold(p.Type, "Body"):
		return "Body"
	}
	return ""
}

func (v *validator) requestParams(r *Request, w where, known map[string]struct{}) {
	bodies := 0
	for _, p := range r.Parameters {
		if paramKind(p) == "Body" {
			bodies++
		}
	}
	r.bodyCount = bodies
	for _, p := range r.Parameters {
		pw := w.par(p).at("Value")
		switch paramKind(p) {
		case "Header":
			if !isToken(p.Name) {
				v.err(w.par(p).at("Name").errf("bad header name %q", p.Name))
			}
			v.value(p, CtxHeader, pw, known)
		case "Body":
			ctx := CtxPlain
			if bodies == 1 {
				ctx = bodyContext(r.RequestEncoding, p.Value)
			}
			v.value(p, ctx, pw, known)
			if ctx == CtxJSON && p.v != nil {
				v.sampleJSON(p, pw)
			}
		default:
			v.value(p, CtxPlain, pw, known)
			v.warn(w.par(p).at("Type").warnf("Type %q is not used by cidproxy (want Header or Body; kept)", p.Type))
		}
	}
	if bodies > 0 && (r.HTTPMethod() == "GET" || r.HTTPMethod() == "HEAD") {
		v.warn(w.at("Method").warnf("%s request with a body", r.HTTPMethod()))
	}
}

// sampleJSON renders a JSON body with every variable set to "1" and
// reports a body that would never be valid JSON.
func (v *validator) sampleJSON(p *Parameter, w where) {
	vars := Vars{}
	for _, r := range p.v.refs {
		vars[r] = "1"
	}
	out, err := p.v.exec(vars)
	if err != nil {
		return // data-dependent; reported when it happens
	}
	var x any
	if err := json.Unmarshal([]byte(out), &x); err != nil {
		v.err(w.errf("body is not valid JSON (%s)", err))
	}
}

var actionRe = regexp.MustCompile(`\{\{.*?\}\}`)

// bodyContext picks the body escaping from RequestEncoding, or from the
// first character of the body text when RequestEncoding is empty or unknown.
func bodyContext(enc, src string) Context {
	e := strings.ToLower(strings.TrimSpace(enc))
	switch {
	case strings.Contains(e, "json"):
		return CtxJSON
	case strings.Contains(e, "urlencoded") || e == "form":
		return CtxForm
	case strings.Contains(e, "xml"):
		return CtxXML
	}
	s := strings.TrimSpace(actionRe.ReplaceAllString(src, ""))
	switch {
	case s == "":
		return CtxPlain
	case s[0] == '{' || s[0] == '[':
		return CtxJSON
	case s[0] == '<':
		return CtxXML
	case strings.Contains(s, "="):
		return CtxForm
	}
	return CtxPlain
}
