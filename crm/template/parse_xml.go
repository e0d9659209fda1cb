package template

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// MaxSize is the largest template accepted (the PBX limit: less than 1 MB).
const MaxSize = 1 << 20

// maxDepth bounds element nesting so hostile input cannot exhaust the stack.
const maxDepth = 64

var declVersion = regexp.MustCompile(`^(<\?xml[^?]*?version\s*=\s*["'])(1\.[0-9])(["'])`)

// readTree parses data into a generic element tree. It accepts an XML 1.1
// declaration (encoding/xml only knows 1.0) and returns the declared version.
func readTree(data []byte) (*Node, string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	version := ""
	if m := declVersion.FindSubmatchIndex(data); m != nil {
		version = string(data[m[4]:m[5]])
		if version != "1.0" {
			// Same length, so offsets and lines stay true.
			cp := make([]byte, len(data))
			copy(cp, data)
			copy(cp[m[4]:m[5]], "1.0")
			data = cp
		}
	} else if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("<?xml")) {
		version = "1.0"
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = charsetReader
	var stack []*Node
	var texts []*strings.Builder // character data per open element
	var root *Node
	for {
		line, _ := d.InputPos()
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, version, xmlErr(err, line)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return nil, version, fmt.Errorf("line %d: elements nested deeper than %d", line, maxDepth)
			}
			n := &Node{Name: qname(tk.Name), Line: line}
			for _, a := range tk.Attr {
				n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: qname(a.Name)}, Value: a.Value})
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, version, fmt.Errorf("line %d: more than one root element", line)
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			}
			stack = append(stack, n)
			texts = append(texts, nil)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].Name != qname(tk.Name) {
				return nil, version, fmt.Errorf("line %d: xml syntax: unexpected end element </%s>", line, qname(tk.Name))
			}
			if b := texts[len(texts)-1]; b != nil {
				stack[len(stack)-1].Text = b.String()
			}
			stack, texts = stack[:len(stack)-1], texts[:len(texts)-1]
		case xml.CharData:
			if len(stack) > 0 {
				if s := strings.TrimSpace(string(tk)); s != "" {
					b := texts[len(texts)-1]
					if b == nil {
						b = &strings.Builder{}
						texts[len(texts)-1] = b
					}
					b.WriteString(s)
				}
			}
		}
	}
	if len(stack) > 0 {
		return nil, version, fmt.Errorf("line %d: xml syntax: element <%s> not closed", stack[len(stack)-1].Line, stack[len(stack)-1].Name)
	}
	if root == nil {
		return nil, version, errors.New("line 1: no root element")
	}
	return root, version, nil
}

// qname joins a raw prefix and local name ("xsi:type").
func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func charsetReader(label string, r io.Reader) (io.Reader, error) {
	e, err := htmlindex.Get(label)
	if err != nil {
		return nil, fmt.Errorf("unsupported encoding %q", label)
	}
	return e.NewDecoder().Reader(r), nil
}

// xmlErr turns an encoding/xml error into "line N: msg".
func xmlErr(err error, line int) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("line %d: xml syntax: %s", se.Line, se.Msg)
	}
	return fmt.Errorf("line %d: xml: %s", line, strings.TrimPrefix(err.Error(), "xml: "))
}
