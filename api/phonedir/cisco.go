package phonedir

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"strconv"
)

// Cisco limits. A CiscoIPPhoneDirectory holds at most 32 DirectoryEntry
// objects; longer lists are served as several objects fetched one after
// the other ("Cisco Unified IP Phone Services Application Development
// Notes", OL-20949-01, CiscoIPPhoneDirectory). CiscoMaxName is the
// display width we cut names and titles to; it matches what the phones
// show on one line, not a limit found in that document.
const (
	CiscoMaxEntries = 32
	CiscoMaxName    = 32
	// CiscoMaxInputItems is the CiscoIPPhoneInput limit (five InputItems).
	CiscoMaxInputItems = 5
)

// Query parameters of the Cisco search form (RenderCiscoSearch) and of
// the paging soft keys.
const (
	QueryName   = "name"
	QueryNumber = "number"
	QueryOffset = "offset"
)

// ciscoName is the DirectoryEntry name of number n of e: the display
// name, with the number's label when the contact has several numbers, cut
// to CiscoMaxName runes.
func ciscoName(e *entry, n number) string {
	if e.n == 1 {
		return truncate(e.name, CiscoMaxName)
	}
	suffix := " (" + n.label() + ")"
	return truncate(e.name, CiscoMaxName-len(suffix)) + suffix
}

// ciscoRows calls fn for rows [from, to) of the directory, one row per
// number; only contacts that reach into the window are prepared.
func ciscoRows(dir *Directory, from, to int, fn func(name, number string)) {
	var e entry
	cs := dir.Contacts
	row := 0
	for i := range cs {
		if row >= to {
			return
		}
		k := rowCount(&cs[i])
		if k == 0 || row+k <= from {
			row += k
			continue
		}
		e.prepare(&cs[i], dir.Dialable)
		for _, n := range e.numbers() {
			if row >= from && row < to {
				fn(ciscoName(&e, n), n.value)
			}
			row++
		}
	}
}

// renderCisco writes one page of a CiscoIPPhoneDirectory:
//
//	<CiscoIPPhoneDirectory><Title/><Prompt/>
//	  <DirectoryEntry><Name/><Telephone/></DirectoryEntry>...
//	  <SoftKeyItem><Name/><URL/><Position/></SoftKeyItem>...
//	</CiscoIPPhoneDirectory>
//
// With BaseURL set, it adds Dial, EditDial and Exit soft keys (custom
// soft keys replace the phone's defaults) and Next/Prev keys that fetch
// the neighbouring pages.
func renderCisco(w *bufio.Writer, dir Directory, p Page) error {
	total := 0
	for i := range dir.Contacts {
		total += rowCount(&dir.Contacts[i])
	}
	limit := p.Limit
	if limit == 0 || limit > CiscoMaxEntries {
		limit = CiscoMaxEntries
	}
	from := min(p.Offset, total)
	to := min(from+limit, total)
	keys, err := ciscoSoftKeys(p.BaseURL, from, to, limit, total)
	if err != nil {
		return err
	}
	x := xmlWriter{w: w}
	w.WriteString(xmlHeader)
	x.open("CiscoIPPhoneDirectory")
	x.elem("Title", truncate(oneLine(dir.Title), CiscoMaxName))
	prompt := "No entries"
	if from < to {
		prompt = fmt.Sprintf("%d-%d of %d", from+1, to, total)
	}
	x.elem("Prompt", prompt)
	ciscoRows(&dir, from, to, func(name, number string) {
		x.open("DirectoryEntry")
		x.elem("Name", name)
		x.elem("Telephone", number)
		x.close("DirectoryEntry")
	})
	for _, k := range keys {
		x.open("SoftKeyItem")
		x.elem("Name", k.name)
		x.elem("URL", k.url)
		x.elemInt("Position", k.pos)
		x.close("SoftKeyItem")
	}
	x.close("CiscoIPPhoneDirectory")
	return nil
}

type softKey struct {
	name, url string
	pos       int
}

func ciscoSoftKeys(base string, from, to, limit, total int) ([]softKey, error) {
	if base == "" {
		return nil, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("phonedir: base url: %w", err)
	}
	at := func(off int) string {
		q := u.Query()
		q.Set(QueryOffset, strconv.Itoa(off))
		v := *u
		v.RawQuery = q.Encode()
		return v.String()
	}
	keys := []softKey{
		{"Dial", "SoftKey:Dial", 1},
		{"EditDial", "SoftKey:EditDial", 2},
		{"Exit", "SoftKey:Exit", 3},
	}
	if to < total {
		keys = append(keys, softKey{"Next", at(to), 4})
	}
	if from > 0 {
		keys = append(keys, softKey{"Prev", at(max(from-limit, 0)), 5})
	}
	return keys, nil
}

// RenderCiscoSearch writes the CiscoIPPhoneInput form that asks for a
// name (InputFlags "A", plain text) and a number ("T", telephone digits)
// and submits them with HTTP GET to action as the query parameters
// QueryName and QueryNumber (OL-20949-01, CiscoIPPhoneInput).
func RenderCiscoSearch(w io.Writer, title, action string) error {
	if _, err := url.Parse(action); err != nil {
		return fmt.Errorf("phonedir: search action url: %w", err)
	}
	bw := bufio.NewWriter(w)
	x := xmlWriter{w: bw}
	bw.WriteString(xmlHeader)
	x.open("CiscoIPPhoneInput")
	x.elem("Title", truncate(oneLine(title), CiscoMaxName))
	x.elem("Prompt", "Name or number")
	x.elem("URL", oneLine(action))
	for _, it := range [][3]string{{"Name", QueryName, "A"}, {"Number", QueryNumber, "T"}} {
		x.open("InputItem")
		x.elem("DisplayName", it[0])
		x.elem("QueryStringParam", it[1])
		x.elem("DefaultValue", "")
		x.elem("InputFlags", it[2])
		x.close("InputItem")
	}
	x.close("CiscoIPPhoneInput")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("phonedir: write: %w", err)
	}
	return nil
}
