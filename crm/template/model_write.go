package template

import (
	"bytes"
	"encoding/xml"
	"strings"
)

// Bytes writes the template back as XML: known attributes in a fixed order
// (empty ones omitted, except names and values), then the unknown attributes
// and elements that were read. Parsing the result yields an equal model
// (see Equal); comments and formatting are not kept.
func (t *Template) Bytes() []byte {
	var b bytes.Buffer
	if t.XMLVersion != "" {
		b.WriteString(`<?xml version="` + t.XMLVersion + `" encoding="UTF-8"?>` + "\n")
	}
	writeNode(&b, t.node(), 0)
	return b.Bytes()
}

// MarshalXML implements xml.Marshaler; it writes the <Information> element
// (without the XML declaration).
func (t *Template) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	if err := encodeNode(e, t.node()); err != nil {
		return err
	}
	return e.Flush()
}

func encodeNode(e *xml.Encoder, n *Node) error {
	start := xml.StartElement{Name: xml.Name{Local: n.Name}, Attr: n.Attrs}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if n.Text != "" {
		if err := e.EncodeToken(xml.CharData(n.Text)); err != nil {
			return err
		}
	}
	for _, c := range n.Children {
		if err := encodeNode(e, c); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func writeNode(b *bytes.Buffer, n *Node, depth int) {
	indent := strings.Repeat("  ", depth)
	b.WriteString(indent + "<" + n.Name)
	for _, a := range n.Attrs {
		b.WriteString(" " + a.Name.Local + `="`)
		_ = xml.EscapeText(b, []byte(a.Value))
		b.WriteByte('"')
	}
	switch {
	case len(n.Children) == 0 && n.Text == "":
		b.WriteString(" />\n")
		return
	case len(n.Children) == 0:
		b.WriteByte('>')
		_ = xml.EscapeText(b, []byte(n.Text))
		b.WriteString("</" + n.Name + ">\n")
		return
	}
	b.WriteString(">\n")
	if n.Text != "" {
		b.WriteString(indent + "  ")
		_ = xml.EscapeText(b, []byte(n.Text))
		b.WriteByte('\n')
	}
	for _, c := range n.Children {
		writeNode(b, c, depth+1)
	}
	b.WriteString(indent + "</" + n.Name + ">\n")
}

type kv struct {
	k, v   string
	always bool
}

func mkNode(name string, attrs []kv, e Extra) *Node {
	n := &Node{Name: name, Text: e.Text}
	for _, a := range attrs {
		if a.v != "" || a.always {
			n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: a.k}, Value: a.v})
		}
	}
	n.Attrs = append(n.Attrs, e.Attrs...)
	return n
}

func (t *Template) node() *Node {
	n := mkNode("Information", []kv{
		{"Provider", t.Provider, false}, {"Name", t.Name, false}, {"Key", t.Key, false},
		{"Logo", t.Logo, false}, {"Remark", t.Remark, false}, {"Version", t.Version, false},
		{"AuthType", t.AuthType, false}, {"MaxConcurrentRequest", t.MaxConcurrentRequest, false},
		{"UserAssociation", t.UserAssociation, false}, {"CallJournal", t.CallJournal, false},
		{"CreateNewContact", t.CreateNewContact, false}, {"CreateNewTicket", t.CreateNewTicket, false},
	}, t.Extra)
	if len(t.Parameters) > 0 {
		n.Children = append(n.Children, paramsNode(t.Parameters))
	}
	sc := &Node{Name: "Scenarios"}
	for _, s := range t.Scenarios {
		sc.Children = append(sc.Children, s.node())
	}
	n.Children = append(n.Children, sc)
	n.Children = append(n.Children, t.Extra.Elems...)
	return n
}

func (s *Scenario) node() *Node {
	n := mkNode("Scenario", []kv{{"Id", s.ID, true}, {"Type", s.Type, false}}, s.Extra)
	if s.Presets != nil {
		n.Children = append(n.Children, s.Presets)
	}
	n.Children = append(n.Children, paramsNode(s.Parameters))
	rq := &Node{Name: "Requests"}
	for _, r := range s.Requests {
		rq.Children = append(rq.Children, r.node())
	}
	n.Children = append(n.Children, rq)
	n.Children = append(n.Children, s.Extra.Elems...)
	return n
}

func paramsNode(ps []*Parameter) *Node {
	n := &Node{Name: "Parameters"}
	for _, p := range ps {
		c := mkNode("Parameter", []kv{
			{"Father", p.Father, false}, {"Name", p.Name, true}, {"Type", p.Type, false},
			{"Editor", p.Editor, false}, {"Title", p.Title, false}, {"Value", p.Value, true},
			{"Description", p.Description, false}, {"Key", p.Key, false},
		}, p.Extra)
		c.Children = append(c.Children, p.Extra.Elems...)
		n.Children = append(n.Children, c)
	}
	return n
}

func (r *Request) node() *Node {
	n := mkNode("Request", []kv{
		{"Name", r.Name, true}, {"Method", r.Method, false}, {"Weight", r.Weight, false},
		{"ResponseType", r.ResponseType, false}, {"RequestEncoding", r.RequestEncoding, false},
		{"URLFormat", r.URLFormat, true},
	}, r.Extra)
	n.Children = append(n.Children, paramsNode(r.Parameters))
	if o := r.Outputs; o != nil {
		on := mkNode("Outputs", []kv{{"Next", o.Next, false}}, o.Extra)
		for _, out := range o.Outputs {
			c := mkNode("Output", []kv{{"Name", out.Name, true}, {"Path", out.Path, true}, {"Type", out.Type, false}}, out.Extra)
			c.Children = append(c.Children, out.Extra.Elems...)
			on.Children = append(on.Children, c)
		}
		on.Children = append(on.Children, o.Extra.Elems...)
		n.Children = append(n.Children, on)
	}
	n.Children = append(n.Children, r.Extra.Elems...)
	return n
}
