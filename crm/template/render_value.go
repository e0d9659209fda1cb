package template

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strings"
	"sync"
	"text/template"
	"time"
)

// Vars are the variables of one rendering: custom-field values, global
// outputs, call data, earlier outputs. Values are usually strings; numbers,
// bools and time.Time are accepted. A variable that is referenced but absent
// renders as "" (never "<no value>").
type Vars map[string]any

// ErrNotCompiled is returned when rendering a template whose Parse failed.
var ErrNotCompiled = errors.New("template: not compiled (Parse reported errors)")

// compiled holds what Parse prepared for rendering.
type compiled struct {
	funcs template.FuncMap
}

func newCompiled(loc *time.Location) *compiled {
	f := template.FuncMap{}
	maps.Copy(f, seedFuncs(loc))
	maps.Copy(f, escapers)
	return &compiled{funcs: f}
}

// value is one compiled template string.
type value struct {
	src  string
	ctx  Context
	tmpl *template.Template // nil: src has no action and is used as is
	refs []string           // top-level variables referenced, sorted
}

var tmplErrPrefix = regexp.MustCompile(`^template: [^:]*:(\d+:)?(\d+:)? ?`)

// compileValue parses src for context ctx and appends the escapers.
func (c *compiled) compileValue(src string, ctx Context) (*value, error) {
	v := &value{src: src, ctx: ctx}
	if !strings.Contains(src, "{{") {
		return v, nil
	}
	t, err := template.New("v").Funcs(c.funcs).Parse(src)
	if err != nil {
		return nil, cleanTmplErr(err)
	}
	if len(t.Templates()) > 1 {
		return nil, errors.New("{{define}} and {{block}} are not supported")
	}
	if err := checkCalls(t.Tree.Root); err != nil {
		return nil, err
	}
	if _, err := escapeTree(t.Tree.Root, startState(ctx)); err != nil {
		return nil, err
	}
	m := map[string]struct{}{}
	refs(t.Tree.Root, m)
	for k := range m {
		v.refs = append(v.refs, k)
	}
	sort.Strings(v.refs)
	v.tmpl = t
	return v, nil
}

var undefinedFunc = regexp.MustCompile(`function "([^"]*)" not defined`)

// cleanTmplErr turns a text/template error into a short message.
func cleanTmplErr(err error) error {
	msg := tmplErrPrefix.ReplaceAllString(err.Error(), "")
	if m := undefinedFunc.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("unknown function %q", m[1])
	}
	return fmt.Errorf("template syntax: %s", msg)
}

var execErrCall = regexp.MustCompile(`^executing "v" at <[^>]*>: (error calling )?`)

// execErrMsg shortens a text/template execution error.
func execErrMsg(err error) string {
	msg := tmplErrPrefix.ReplaceAllString(err.Error(), "")
	return execErrCall.ReplaceAllString(msg, "")
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// exec renders v with vars; absent referenced variables render as "".
func (v *value) exec(vars Vars) (string, error) {
	if v == nil {
		return "", nil
	}
	if v.tmpl == nil {
		return v.finish(v.src), nil
	}
	data := vars
	for _, r := range v.refs {
		if _, ok := vars[r]; !ok {
			data = make(Vars, len(vars)+len(v.refs))
			maps.Copy(data, vars)
			for _, r := range v.refs {
				if _, ok := data[r]; !ok {
					data[r] = ""
				}
			}
			break
		}
	}
	if data == nil {
		data = Vars{}
	}
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	defer bufPool.Put(b)
	if err := v.tmpl.Execute(b, map[string]any(data)); err != nil {
		return "", fmt.Errorf("render: %s", execErrMsg(err))
	}
	return v.finish(b.String()), nil
}

// finish percent-encodes what a URL may not hold (literal text of the
// template; rendered values are escaped already).
func (v *value) finish(s string) string {
	if v.ctx == CtxURL {
		return encodeURL(strings.TrimSpace(s))
	}
	return s
}
