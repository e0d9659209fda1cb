package phonedir

import (
	"bufio"
	"strconv"
)

// xmlWriter writes XML by hand: the vendor formats are small and fixed,
// and this avoids encoding/xml's reflection on the hot path (a phone may
// fetch thousands of contacts). Callers pass sanitised text (oneLine);
// the writer escapes it.
type xmlWriter struct {
	w      *bufio.Writer
	indent int
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

func (x *xmlWriter) pad() {
	for i := 0; i < x.indent; i++ {
		x.w.WriteString("  ")
	}
}

// open writes <name attr="v"...> on its own line; attrs are name/value
// pairs.
func (x *xmlWriter) open(name string, attrs ...string) {
	x.pad()
	x.w.WriteByte('<')
	x.w.WriteString(name)
	x.attrs(attrs)
	x.w.WriteString(">\n")
	x.indent++
}

func (x *xmlWriter) close(name string) {
	x.indent--
	x.pad()
	x.w.WriteString("</")
	x.w.WriteString(name)
	x.w.WriteString(">\n")
}

// elem writes <name attrs>text</name> on one line.
func (x *xmlWriter) elem(name, text string, attrs ...string) {
	x.pad()
	x.w.WriteByte('<')
	x.w.WriteString(name)
	x.attrs(attrs)
	if text == "" {
		x.w.WriteString("/>\n")
		return
	}
	x.w.WriteByte('>')
	escape(x.w, text)
	x.w.WriteString("</")
	x.w.WriteString(name)
	x.w.WriteString(">\n")
}

func (x *xmlWriter) elemInt(name string, v int) {
	x.elem(name, strconv.Itoa(v))
}

func (x *xmlWriter) attrs(kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		x.w.WriteByte(' ')
		x.w.WriteString(kv[i])
		x.w.WriteString(`="`)
		escape(x.w, kv[i+1])
		x.w.WriteByte('"')
	}
}

// escape writes s with the five XML special characters escaped. s must
// already be free of characters illegal in XML (see oneLine).
func escape(w *bufio.Writer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		case '\'':
			rep = "&apos;"
		default:
			continue
		}
		w.WriteString(s[last:i])
		w.WriteString(rep)
		last = i + 1
	}
	w.WriteString(s[last:])
}
