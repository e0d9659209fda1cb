package template

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is one validation problem. Error() reads like
//
//	template: line 12: scenario "SyncContactAuto" request "Contacts" attribute URLFormat: unknown function "Foo"
type Error struct {
	Line      int
	Scenario  string // Scenario Id
	Request   string // Request Name
	Parameter string // Parameter Name
	Output    string // Output Name
	Attr      string // attribute (or element) concerned
	Msg       string
}

func (e *Error) Error() string { return "template: " + e.where().String() + e.Msg }

func (e *Error) where() where {
	return where{e.Line, e.Scenario, e.Request, e.Parameter, e.Output, e.Attr}
}

// where locates a finding.
type where struct {
	line                             int
	scenario, request, param, output string
	attr                             string
}

// String gives "line 12: scenario "X" request "Y" attribute Z: ".
func (w where) String() string {
	var b strings.Builder
	b.WriteString("line " + strconv.Itoa(w.line))
	sep := ": "
	add := func(kind, name string, quote bool) {
		if name == "" {
			return
		}
		b.WriteString(sep + kind + " ")
		if quote {
			b.WriteString(strconv.Quote(name))
		} else {
			b.WriteString(name)
		}
		sep = " "
	}
	add("scenario", w.scenario, true)
	add("request", w.request, true)
	add("parameter", w.param, true)
	add("output", w.output, true)
	add("attribute", w.attr, false)
	b.WriteString(": ")
	return b.String()
}

func (w where) errf(format string, args ...any) *Error {
	return &Error{Line: w.line, Scenario: w.scenario, Request: w.request, Parameter: w.param,
		Output: w.output, Attr: w.attr, Msg: fmt.Sprintf(format, args...)}
}

func (w where) warnf(format string, args ...any) Warning {
	s := w.String()
	s = strings.TrimPrefix(s, "line "+strconv.Itoa(w.line)+": ")
	return Warning{Line: w.line, Msg: s + fmt.Sprintf(format, args...)}
}

func (w where) in(s *Scenario) where {
	w.line, w.scenario = s.Line, s.ID
	return w
}

func (w where) req(r *Request) where {
	w.line, w.request = r.Line, r.Name
	return w
}

func (w where) par(p *Parameter) where {
	w.line, w.param = p.Line, p.Name
	return w
}

func (w where) out(o *Output) where {
	w.line, w.output = o.Line, o.Name
	return w
}

func (w where) at(attr string) where {
	w.attr = attr
	return w
}
