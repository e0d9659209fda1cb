package template

import (
	"slices"
	"strings"
)

func (v *validator) scenario(s *Scenario) {
	known := knownVars(v.t, s, v.o.extraVars)
	w := where{}.in(s)
	first := map[string]int{}
	for _, p := range s.Parameters {
		v.value(p, paramContext(s, p), w.par(p).at("Value"), known)
		v.paramUse(s, p)
		if l, dup := first[p.Name]; dup && p.Father != FatherCustomField && p.Father != FatherHeader {
			v.warn(w.par(p).warnf("duplicate parameter (first at line %d, which is used)", l))
		} else if !dup {
			first[p.Name] = p.Line
		}
	}
	seen := map[string]int{}
	for _, r := range s.Requests {
		v.request(s, r, known)
		if l, ok := seen[r.Name]; ok && r.Name != "" {
			v.err(w.req(r).at("Name").errf("duplicate request Name (first at line %d)", l))
		}
		seen[r.Name] = r.Line
	}
	for _, r := range s.Requests {
		v.next(s, r)
	}
	switch s.ID {
	case ScenarioSyncContactAuto, ScenarioSearchContact:
		v.contactSearch(s)
	case ScenarioUserAssociation:
		for _, r := range s.Requests {
			if !hasOutput(r, "UserUniqueId") {
				v.err(w.req(r).errf("no UserUniqueId output (required)"))
			}
		}
	}
}

// paramContext decides how a parameter's value is escaped.
func paramContext(s *Scenario, p *Parameter) Context {
	if p.Father == FatherHeader || strings.EqualFold(p.Type, "Header") {
		return CtxHeader
	}
	switch s.ID {
	case ScenarioAuth:
		switch p.Name {
		case "AuthEndPoint", "TokenEndPoint":
			return CtxURL
		case "AdditionalQueryString", "TokenRequestFields":
			return CtxQuery
		}
	case ScenarioSyncContactAuto, ScenarioSearchContact:
		switch p.Name {
		case "URLFormat":
			return CtxURL
		case "ContactFieldForUri", "ContactFieldForUrl":
			return CtxPath
		}
	}
	return CtxPlain
}

// paramUse warns about scenario parameters cidproxy does not act on.
func (v *validator) paramUse(s *Scenario, p *Parameter) {
	w := where{}.in(s).par(p)
	switch p.Father {
	case "":
		if !slices.Contains(scenarioParams[s.ID], p.Name) {
			v.warn(w.warnf("parameter is not used by cidproxy (kept)"))
		}
	case FatherCustomField, FatherHeader:
		if s.ID != ScenarioAuth {
			v.warn(w.at("Father").warnf("%s outside the AuthMethod scenario is not used by cidproxy (kept)", p.Father))
		}
	case FatherTokenErrorMap, FatherAuthOption:
		if !slices.Contains(scenarioParams[s.ID], p.Name) {
			v.warn(w.warnf("parameter is not used by cidproxy (kept)"))
		}
	case FatherCustomScenario:
		v.warn(w.at("Father").warnf("%s is not used by cidproxy; its Name is a known variable (kept)", p.Father))
	default:
		v.warn(w.at("Father").warnf("unknown Father %q is not used by cidproxy (kept)", p.Father))
	}
	if s.ID == ScenarioSyncContactAuto || s.ID == ScenarioSearchContact {
		v.contactURLParam(s, p)
	}
}

func (v *validator) contactURLParam(s *Scenario, p *Parameter) {
	w := where{}.in(s).par(p).at("Value")
	switch p.Name {
	case "ContactUrlType":
		switch p.Value {
		case "", "specify_url_format", "retrieve_from_contact":
		default:
			v.err(w.errf("bad ContactUrlType %q: want specify_url_format or retrieve_from_contact", p.Value))
		}
		if p.Value == "retrieve_from_contact" && s.ParamValue("ContactFieldForUri") == "" && s.ParamValue("ContactFieldForUrl") == "" {
			v.err(w.errf("retrieve_from_contact needs a ContactFieldForUri path"))
		}
	case "ContactFieldForUri", "ContactFieldForUrl":
		if strings.TrimSpace(p.Value) == "" {
			return
		}
		o := &Output{Name: "ContactUrl", Path: p.Value, Line: p.Line}
		if pp, err := v.c.compilePath(o.Path); err != nil {
			v.err(w.errf("%s", err))
		} else {
			o.p = pp
			s.urlOut = o
		}
	}
}

func hasOutput(r *Request, name string) bool {
	for _, o := range r.OutputList() {
		if o.Name == name && strings.TrimSpace(o.Path) != "" {
			return true
		}
	}
	return false
}

// next checks that Outputs Next names a Common request and does not loop.
func (v *validator) next(s *Scenario, r *Request) {
	if r.Next() == "" {
		return
	}
	w := where{}.in(s).req(r).at("Next")
	w.line = r.Outputs.Line
	chain := []string{r.Name}
	visited := map[*Request]bool{r: true}
	for cur := r; cur.Next() != ""; {
		nx := v.t.CommonRequest(cur.Next())
		if nx == nil {
			if cur == r {
				v.err(w.errf("Next %q is not a request of the Common scenario", r.Next()))
			}
			return
		}
		chain = append(chain, nx.Name)
		if nx == r {
			v.err(w.errf("Next chain loops: %s", strings.Join(chain, " -> ")))
			return
		}
		if visited[nx] {
			return // a loop that does not pass r is reported by its members
		}
		visited[nx] = true
		cur = nx
	}
}

// contactSearch checks the outputs a contact search needs, counting those of
// the Common requests chained with Next.
func (v *validator) contactSearch(s *Scenario) {
	for _, r := range s.Requests {
		w := where{}.in(s).req(r)
		has := map[string]bool{}
		for cur, n := r, 0; cur != nil && n < 16; n++ {
			for _, o := range cur.OutputList() {
				if strings.TrimSpace(o.Path) != "" {
					has[o.Name] = true
				}
			}
			cur = v.t.CommonRequest(cur.Next())
		}
		for _, req := range []string{"ContactsId", "FirstName"} {
			if !has[req] {
				v.err(w.errf("no %s output (required)", req))
			}
		}
		if !slices.ContainsFunc(PhoneOutputs, func(n string) bool { return has[n] }) {
			v.err(w.errf("no phone number output (need one of %s)", strings.Join(PhoneOutputs, ", ")))
		}
	}
}
