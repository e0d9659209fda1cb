package template

import "reflect"

// Equal reports whether a and b describe the same template: the same
// attributes, parameters, requests, outputs and kept unknown content. Line
// numbers, warnings and compiled state are ignored.
func Equal(a, b *Template) bool {
	return reflect.DeepEqual(plain(a), plain(b))
}

// plain returns a copy of t with positions, warnings and compiled state
// cleared.
func plain(t *Template) *Template {
	if t == nil {
		return nil
	}
	c := *t
	c.Line, c.Warnings, c.c = 0, nil, nil
	c.Extra = plainExtra(t.Extra)
	c.Parameters = plainParams(t.Parameters)
	c.Scenarios = nil
	for _, s := range t.Scenarios {
		sc := *s
		sc.Line, sc.urlOut = 0, nil
		sc.Presets = plainNode(s.Presets)
		sc.Extra = plainExtra(s.Extra)
		sc.Parameters = plainParams(s.Parameters)
		sc.Requests = nil
		for _, r := range s.Requests {
			sc.Requests = append(sc.Requests, plainRequest(r))
		}
		c.Scenarios = append(c.Scenarios, &sc)
	}
	return &c
}

func plainRequest(r *Request) *Request {
	c := *r
	c.Line, c.scenario, c.url, c.bodyCount = 0, nil, nil, 0
	c.Extra = plainExtra(r.Extra)
	c.Parameters = plainParams(r.Parameters)
	if r.Outputs != nil {
		o := *r.Outputs
		o.Line = 0
		o.Extra = plainExtra(r.Outputs.Extra)
		o.Outputs = nil
		for _, out := range r.Outputs.Outputs {
			x := *out
			x.Line, x.p = 0, nil
			x.Extra = plainExtra(out.Extra)
			o.Outputs = append(o.Outputs, &x)
		}
		c.Outputs = &o
	}
	return &c
}

func plainParams(ps []*Parameter) []*Parameter {
	var out []*Parameter
	for _, p := range ps {
		c := *p
		c.Line, c.v = 0, nil
		c.Extra = plainExtra(p.Extra)
		out = append(out, &c)
	}
	return out
}

func plainExtra(e Extra) Extra {
	c := Extra{Attrs: e.Attrs, Text: e.Text}
	if len(c.Attrs) == 0 {
		c.Attrs = nil
	}
	for _, n := range e.Elems {
		c.Elems = append(c.Elems, plainNode(n))
	}
	return c
}

func plainNode(n *Node) *Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Line = 0
	c.Children = nil
	if len(c.Attrs) == 0 {
		c.Attrs = nil
	}
	for _, ch := range n.Children {
		c.Children = append(c.Children, plainNode(ch))
	}
	return &c
}
