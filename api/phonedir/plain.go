package phonedir

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strconv"

	"cidproxy/lookup"
)

// renderXML writes the plain listing:
//
//	<Directory title="" total="N" offset="0">
//	  <Contact id=""><Name/><FirstName/><LastName/><Company/><Email/>
//	    <Number type="mobile_number" label="Mobile">...</Number>
//	  </Contact>
//	</Directory>
//
// total counts the contacts with numbers before paging.
func renderXML(w *bufio.Writer, dir Directory, p Page) error {
	total, from := count(dir.Contacts), min(p.Offset, count(dir.Contacts))
	x := xmlWriter{w: w}
	w.WriteString(xmlHeader)
	x.open("Directory", "title", oneLine(dir.Title), "total", strconv.Itoa(total), "offset", strconv.Itoa(from))
	each(&dir, p.Offset, p.Limit, func(e *entry) {
		x.open("Contact", "id", oneLine(e.c.ID))
		x.elem("Name", e.name)
		for _, f := range [][2]string{{"FirstName", e.first}, {"LastName", e.last}, {"Company", e.company}, {"Email", oneLine(e.c.Email)}} {
			if f[1] != "" {
				x.elem(f[0], f[1])
			}
		}
		for _, n := range e.numbers() {
			x.elem("Number", n.value, "type", n.field(), "label", n.label())
		}
		x.close("Contact")
	})
	x.close("Directory")
	return nil
}

// count is the number of contacts with at least one number.
func count(cs []lookup.Contact) int {
	n := 0
	for i := range cs {
		if rowCount(&cs[i]) > 0 {
			n++
		}
	}
	return n
}

// JSONDirectory is the JSON listing.
type JSONDirectory struct {
	Title    string        `json:"title"`
	Total    int           `json:"total"`
	Offset   int           `json:"offset"`
	Contacts []JSONContact `json:"contacts"`
}

// JSONContact is one contact of the JSON listing.
type JSONContact struct {
	ID        string       `json:"id,omitempty"`
	Name      string       `json:"name"`
	FirstName string       `json:"first_name,omitempty"`
	LastName  string       `json:"last_name,omitempty"`
	Company   string       `json:"company,omitempty"`
	Email     string       `json:"email,omitempty"`
	Numbers   []JSONNumber `json:"numbers"`
}

// JSONNumber is one number; Type is a lookup.NumberFieldNames entry.
type JSONNumber struct {
	Type   string `json:"type"`
	Label  string `json:"label"`
	Number string `json:"number"`
}

func renderJSON(w *bufio.Writer, dir Directory, p Page) error {
	out := JSONDirectory{Title: oneLine(dir.Title), Contacts: []JSONContact{}}
	out.Total, out.Offset = each(&dir, p.Offset, p.Limit, func(e *entry) {
		jc := JSONContact{ID: oneLine(e.c.ID), Name: e.name, FirstName: e.first, LastName: e.last,
			Company: e.company, Email: oneLine(e.c.Email), Numbers: make([]JSONNumber, e.n)}
		for i, n := range e.numbers() {
			jc.Numbers[i] = JSONNumber{Type: n.field(), Label: n.label(), Number: n.value}
		}
		out.Contacts = append(out.Contacts, jc)
	})
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("phonedir: json: %w", err)
	}
	return nil
}
