package template

import (
	"encoding/xml"
	"fmt"
)

// decoder maps the generic tree onto the model and collects warnings.
type decoder struct {
	warn []Warning
}

func (d *decoder) warnf(line int, format string, args ...any) {
	d.warn = append(d.warn, Warning{Line: line, Msg: fmt.Sprintf(format, args...)})
}

// attrs assigns the known attributes of n to the pointers in known and
// returns the unknown ones (kept for the round trip, with a warning).
func (d *decoder) attrs(n *Node, known map[string]*string) []xml.Attr {
	var extra []xml.Attr
	for _, a := range n.Attrs {
		if p, ok := known[a.Name.Local]; ok {
			*p = a.Value
			continue
		}
		extra = append(extra, a)
		d.warnf(n.Line, "<%s> attribute %s is not used by cidproxy (kept)", n.Name, a.Name.Local)
	}
	return extra
}

func (d *decoder) unknownElem(parent, n *Node) {
	d.warnf(n.Line, "<%s> element <%s> is not used by cidproxy (kept)", parent.Name, n.Name)
}

// wrapper reads a list element such as <Parameters>, returning the children
// named item. Anything else inside it is dropped with a warning.
func (d *decoder) wrapper(n *Node, item string) []*Node {
	for _, a := range n.Attrs {
		d.warnf(n.Line, "<%s> attribute %s is ignored (dropped)", n.Name, a.Name.Local)
	}
	if n.Text != "" {
		d.warnf(n.Line, "<%s> text content is ignored (dropped)", n.Name)
	}
	var out []*Node
	for _, c := range n.Children {
		if c.Name != item {
			d.warnf(c.Line, "<%s> element <%s> is ignored (dropped)", n.Name, c.Name)
			continue
		}
		out = append(out, c)
	}
	return out
}

func (d *decoder) text(n *Node, e *Extra) {
	if n.Text != "" {
		e.Text = n.Text
		d.warnf(n.Line, "<%s> text content is not used by cidproxy (kept)", n.Name)
	}
}

func (d *decoder) template(n *Node) (*Template, error) {
	if n.Name != "Information" {
		return nil, fmt.Errorf("line %d: root element is <%s>, want <Information>", n.Line, n.Name)
	}
	t := &Template{Line: n.Line}
	t.Extra.Attrs = d.attrs(n, map[string]*string{
		"Provider": &t.Provider, "Name": &t.Name, "Key": &t.Key, "Logo": &t.Logo,
		"Remark": &t.Remark, "Version": &t.Version, "AuthType": &t.AuthType,
		"MaxConcurrentRequest": &t.MaxConcurrentRequest, "UserAssociation": &t.UserAssociation,
		"CallJournal": &t.CallJournal, "CreateNewContact": &t.CreateNewContact,
		"CreateNewTicket": &t.CreateNewTicket,
	})
	d.text(n, &t.Extra)
	for _, c := range n.Children {
		switch c.Name {
		case "Scenarios":
			for _, sc := range d.wrapper(c, "Scenario") {
				t.Scenarios = append(t.Scenarios, d.scenario(sc))
			}
		case "Parameters":
			t.Parameters = append(t.Parameters, d.params(c)...)
		default:
			d.unknownElem(n, c)
			t.Extra.Elems = append(t.Extra.Elems, c)
		}
	}
	return t, nil
}

func (d *decoder) scenario(n *Node) *Scenario {
	s := &Scenario{Line: n.Line}
	s.Extra.Attrs = d.attrs(n, map[string]*string{"Id": &s.ID, "Type": &s.Type})
	d.text(n, &s.Extra)
	for _, c := range n.Children {
		switch c.Name {
		case "Presets":
			s.Presets = c
		case "Parameters":
			s.Parameters = append(s.Parameters, d.params(c)...)
		case "Requests":
			for _, rn := range d.wrapper(c, "Request") {
				s.Requests = append(s.Requests, d.request(rn))
			}
		default:
			d.unknownElem(n, c)
			s.Extra.Elems = append(s.Extra.Elems, c)
		}
	}
	return s
}

func (d *decoder) params(n *Node) []*Parameter {
	var out []*Parameter
	for _, c := range d.wrapper(n, "Parameter") {
		p := &Parameter{Line: c.Line}
		p.Extra.Attrs = d.attrs(c, map[string]*string{
			"Name": &p.Name, "Value": &p.Value, "Type": &p.Type, "Father": &p.Father,
			"Editor": &p.Editor, "Title": &p.Title, "Description": &p.Description, "Key": &p.Key,
		})
		d.text(c, &p.Extra)
		for _, cc := range c.Children {
			d.unknownElem(c, cc)
			p.Extra.Elems = append(p.Extra.Elems, cc)
		}
		out = append(out, p)
	}
	return out
}

func (d *decoder) request(n *Node) *Request {
	r := &Request{Line: n.Line}
	r.Extra.Attrs = d.attrs(n, map[string]*string{
		"Name": &r.Name, "Method": &r.Method, "ResponseType": &r.ResponseType,
		"RequestEncoding": &r.RequestEncoding, "URLFormat": &r.URLFormat, "Weight": &r.Weight,
	})
	d.text(n, &r.Extra)
	for _, c := range n.Children {
		switch c.Name {
		case "Parameters":
			r.Parameters = append(r.Parameters, d.params(c)...)
		case "Outputs":
			r.Outputs = d.outputs(c)
		default:
			d.unknownElem(n, c)
			r.Extra.Elems = append(r.Extra.Elems, c)
		}
	}
	return r
}

func (d *decoder) outputs(n *Node) *Outputs {
	o := &Outputs{Line: n.Line}
	o.Extra.Attrs = d.attrs(n, map[string]*string{"Next": &o.Next})
	d.text(n, &o.Extra)
	for _, c := range n.Children {
		if c.Name != "Output" {
			d.unknownElem(n, c)
			o.Extra.Elems = append(o.Extra.Elems, c)
			continue
		}
		out := &Output{Line: c.Line}
		out.Extra.Attrs = d.attrs(c, map[string]*string{"Name": &out.Name, "Path": &out.Path, "Type": &out.Type})
		d.text(c, &out.Extra)
		for _, cc := range c.Children {
			d.unknownElem(c, cc)
			out.Extra.Elems = append(out.Extra.Elems, cc)
		}
		o.Outputs = append(o.Outputs, out)
	}
	return o
}
