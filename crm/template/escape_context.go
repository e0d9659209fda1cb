package template

import (
	"errors"
	"fmt"
	"strings"
	"text/template/parse"
)

type urlPart int

const (
	urlStart     urlPart = iota // nothing or only a scheme so far
	urlAfterBase                // an action supplied the base URL
	urlHost
	urlPath
	urlQuery
	urlFragment
)

// state is the escaping context at one point of a value.
type state struct {
	ctx   Context
	inStr bool // JSON: inside a string literal; GJSON path: inside quotes
	esc   bool // the previous byte was a backslash inside a string
	url   urlPart
}

func startState(c Context) state {
	s := state{ctx: c}
	if c == CtxQuery {
		s.url = urlQuery
	}
	return s
}

// escaper returns the function appended to an output action in state s.
func (s state) escaper() string {
	switch s.ctx {
	case CtxHeader:
		return escHeader
	case CtxJSON:
		if s.inStr {
			return escJSONStr
		}
		return escJSONValue
	case CtxURL, CtxQuery:
		switch s.url {
		case urlStart:
			return escURLBase
		case urlHost:
			return escURLHost
		case urlAfterBase, urlPath:
			return escURLPath
		}
		return escURLQuery
	case CtxForm:
		return escURLQuery
	case CtxXML:
		return escXML
	case CtxPath:
		if s.inStr {
			return escPathStr
		}
		return escPathKey
	}
	return escPlain
}

func (s state) afterAction() state {
	s.esc = false
	if (s.ctx == CtxURL || s.ctx == CtxQuery) && s.url == urlStart {
		s.url = urlAfterBase
	}
	return s
}

// text advances the state over literal template text.
func (s state) text(t string) state {
	switch s.ctx {
	case CtxJSON, CtxPath:
		for i := 0; i < len(t); i++ {
			c := t[i]
			switch {
			case s.esc:
				s.esc = false
			case s.inStr && c == '\\':
				s.esc = true
			case c == '"':
				s.inStr = !s.inStr
			}
		}
	case CtxURL, CtxQuery:
		for i := 0; i < len(t); i++ {
			if (s.url == urlStart || s.url == urlAfterBase) && strings.HasPrefix(t[i:], "://") {
				s.url = urlHost
				i += 2
				continue
			}
			switch c := t[i]; {
			case c == '#':
				s.url = urlFragment
			case c == '?' && s.url < urlQuery:
				s.url = urlQuery
			case c == '/' && s.url < urlPath:
				s.url = urlPath
			}
		}
	}
	return s
}

var errBranches = errors.New("the branches of {{if}}/{{with}}/{{range}} end inside and outside a JSON string; the body would not be valid JSON")

// merge joins the states at the end of two branches. URL states take the
// later part (its escaper is the stricter one); JSON string states must agree.
func merge(a, b state) (state, error) {
	if a.ctx == CtxJSON && a.inStr != b.inStr {
		return a, errBranches
	}
	if b.url > a.url {
		a.url = b.url
	}
	a.esc = a.esc && b.esc
	return a, nil
}

// escapeTree appends the context's escaper to every output action of list.
func escapeTree(list *parse.ListNode, s state) (state, error) {
	if list == nil {
		return s, nil
	}
	var err error
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			s = s.text(string(n.Text))
		case *parse.ActionNode:
			if len(n.Pipe.Decl) == 0 {
				appendCmd(n, s.escaper())
				s = s.afterAction()
			}
		case *parse.IfNode:
			s, err = escapeBranch(&n.BranchNode, s, false)
		case *parse.WithNode:
			s, err = escapeBranch(&n.BranchNode, s, false)
		case *parse.RangeNode:
			s, err = escapeBranch(&n.BranchNode, s, true)
		case *parse.TemplateNode:
			return s, errors.New("{{template}} is not supported")
		}
		if err != nil {
			return s, err
		}
	}
	return s, nil
}

func escapeBranch(b *parse.BranchNode, s state, loop bool) (state, error) {
	s1, err := escapeTree(b.List, s)
	if err != nil {
		return s, err
	}
	if loop {
		if s1, err = merge(s, s1); err != nil {
			return s, err
		}
	}
	s2, err := escapeTree(b.ElseList, s)
	if err != nil {
		return s, err
	}
	return merge(s1, s2)
}

func appendCmd(n *parse.ActionNode, name string) {
	id := parse.NewIdentifier(name).SetPos(n.Pos)
	n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{NodeType: parse.NodeCommand, Pos: n.Pos, Args: []parse.Node{id}})
}

// refs collects the top-level variable names a tree refers to (.Name, $.Name).
func refs(n parse.Node, out map[string]struct{}) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				refs(c, out)
			}
		}
	case *parse.ActionNode:
		refs(n.Pipe, out)
	case *parse.PipeNode:
		if n != nil {
			for _, c := range n.Cmds {
				refs(c, out)
			}
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			refs(a, out)
		}
	case *parse.FieldNode:
		out[n.Ident[0]] = struct{}{}
	case *parse.VariableNode:
		if len(n.Ident) > 1 && n.Ident[0] == "$" {
			out[n.Ident[1]] = struct{}{}
		}
	case *parse.ChainNode:
		refs(n.Node, out)
	case *parse.IfNode:
		refsBranch(&n.BranchNode, out)
	case *parse.WithNode:
		refsBranch(&n.BranchNode, out)
	case *parse.RangeNode:
		refsBranch(&n.BranchNode, out)
	}
}

func refsBranch(b *parse.BranchNode, out map[string]struct{}) {
	refs(b.Pipe, out)
	refs(b.List, out)
	refs(b.ElseList, out)
}

// arity of the seed functions: minimum and maximum argument counts.
var arity = map[string][2]int{"TimeFormat": {2, 3}, "ToMillis": {1, 1}, "Capitalize": {1, 1}, "UrlEncode": {1, 1}}

// checkCalls reports seed-function calls with a wrong number of arguments,
// which text/template would only find when rendering.
func checkCalls(n parse.Node) error {
	var err error
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		if err != nil || n == nil {
			return
		}
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for i, c := range n.Cmds {
				if e := checkCmd(c, i > 0); e != nil && err == nil {
					err = e
				}
				for _, a := range c.Args {
					walk(a)
				}
			}
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		}
	}
	walk(n)
	return err
}

func checkCmd(c *parse.CommandNode, piped bool) error {
	id, ok := c.Args[0].(*parse.IdentifierNode)
	if !ok {
		return nil
	}
	a, ok := arity[id.Ident]
	if !ok {
		return nil
	}
	n := len(c.Args) - 1
	if piped {
		n++
	}
	if n < a[0] || n > a[1] {
		want := fmt.Sprintf("%d", a[0])
		if a[1] != a[0] {
			want = fmt.Sprintf("%d or %d", a[0], a[1])
		}
		return fmt.Errorf("%s takes %s arguments, got %d", id.Ident, want, n)
	}
	return nil
}
