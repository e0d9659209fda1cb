package phonedir

import (
	"bufio"
	"slices"
	"strings"
)

// renderYealink writes a Yealink remote phonebook:
//
//	<YealinkIPPhoneDirectory>
//	  <DirectoryEntry><Name/><Telephone/>...</DirectoryEntry>
//	</YealinkIPPhoneDirectory>
//
// One DirectoryEntry per contact with one Telephone per number, as in the
// remote phonebook template of the Yealink administrator guides (SIP-T2/
// T4/T5 series, "Remote Phone Book"); the phone reads it from
// remote_phonebook.data.N.url.
func renderYealink(w *bufio.Writer, dir Directory, p Page) error {
	x := xmlWriter{w: w}
	w.WriteString(xmlHeader)
	x.open("YealinkIPPhoneDirectory")
	each(&dir, p.Offset, p.Limit, func(e *entry) {
		x.open("DirectoryEntry")
		x.elem("Name", e.name)
		for _, n := range e.numbers() {
			if dir.Labels {
				x.elem("Telephone", n.value, "label", n.label())
			} else {
				x.elem("Telephone", n.value)
			}
		}
		x.close("DirectoryEntry")
	})
	x.close("YealinkIPPhoneDirectory")
	return nil
}

// renderGrandstream writes a Grandstream XML phonebook as specified by
// the "GXP16xx/GXP17xx/GXP21xx XML Phonebook Guide" (documentation.
// grandstream.com; element names are case-sensitive):
//
//	<AddressBook><version>1</version>
//	  <pbgroup><id/><name/></pbgroup>...
//	  <Contact><FirstName/><LastName/>
//	    <Phone type="Work|Home|Mobile|Fax|Other"><phonenumber/><accountindex/></Phone>
//	    <Mail type="Work"/><Company/><Group/>
//	  </Contact>
//	</AddressBook>
//
// The guide requires at least one of FirstName and LastName; a contact
// with neither gets its company (or number) as FirstName. Groups are the
// phonebooks (Directory.Groups), numbered from 1 in name order.
func renderGrandstream(w *bufio.Writer, dir Directory, p Page) error {
	x := xmlWriter{w: w}
	w.WriteString(xmlHeader)
	x.open("AddressBook")
	x.elemInt("version", 1)
	groups := groupIDs(dir.Groups)
	for _, g := range groups.order {
		x.open("pbgroup")
		x.elemInt("id", groups.id[g])
		x.elem("name", oneLine(dir.Groups[g]))
		x.close("pbgroup")
	}
	account := min(max(dir.Account, 0), 5)
	each(&dir, p.Offset, p.Limit, func(e *entry) {
		x.open("Contact")
		first, last := e.first, e.last
		if first == "" && last == "" {
			first = e.name
		}
		if first != "" {
			x.elem("FirstName", first)
		}
		if last != "" {
			x.elem("LastName", last)
		}
		for _, n := range e.numbers() {
			x.open("Phone", "type", grandstreamTypes[n.idx])
			x.elem("phonenumber", n.value)
			x.elemInt("accountindex", account)
			x.close("Phone")
		}
		if mail := oneLine(e.c.Email); mail != "" {
			x.elem("Mail", mail, "type", "Work")
		}
		if e.company != "" {
			x.elem("Company", e.company)
		}
		for _, pb := range e.c.Phonebooks {
			if id, ok := groups.id[pb]; ok {
				x.elemInt("Group", id)
				break
			}
		}
		x.close("Contact")
	})
	x.close("AddressBook")
	return nil
}

// groupNumbers numbers phonebooks for a phone: 1.. in name order.
type groupNumbers struct {
	order []string // phonebook ids
	id    map[string]int
}

func groupIDs(groups map[string]string) groupNumbers {
	g := groupNumbers{id: map[string]int{}}
	for id := range groups {
		g.order = append(g.order, id)
	}
	slices.SortFunc(g.order, func(a, b string) int {
		if c := strings.Compare(groups[a], groups[b]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	for i, id := range g.order {
		g.id[id] = i + 1
	}
	return g
}

// renderSnom writes a Snom XML minibrowser directory (Snom "XML
// Minibrowser", SnomIPPhoneDirectory; the phone fetches it with a
// function key or dkey_directory set to "url ..."):
//
//	<SnomIPPhoneDirectory><Title/><Prompt/>
//	  <DirectoryEntry><Name/><Telephone/></DirectoryEntry>...
//	</SnomIPPhoneDirectory>
//
// A DirectoryEntry holds one number, so a contact with several numbers
// gets one entry per number, the name followed by the number's label
// ("Anna Schmidt (Mobile)"), as Cisco's directory does.
func renderSnom(w *bufio.Writer, dir Directory, p Page) error {
	x := xmlWriter{w: w}
	w.WriteString(xmlHeader)
	x.open("SnomIPPhoneDirectory")
	x.elem("Title", oneLine(dir.Title))
	x.elem("Prompt", "Dial")
	each(&dir, p.Offset, p.Limit, func(e *entry) {
		nums := e.numbers()
		for _, n := range nums {
			x.open("DirectoryEntry")
			name := e.name
			if len(nums) > 1 {
				name += " (" + n.label() + ")"
			}
			x.elem("Name", name)
			x.elem("Telephone", n.value)
			x.close("DirectoryEntry")
		}
	})
	x.close("SnomIPPhoneDirectory")
	return nil
}
