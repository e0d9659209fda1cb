package phonedir

import "bufio"

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
//	  <Contact><LastName/><FirstName/>
//	    <Phone type="Work|Home|Mobile|Fax|Other"><phonenumber/><accountindex/></Phone>
//	  </Contact>
//	</AddressBook>
//
// The guide requires at least one of FirstName and LastName; a contact
// with neither gets its company (or number) as FirstName.
func renderGrandstream(w *bufio.Writer, dir Directory, p Page) error {
	x := xmlWriter{w: w}
	w.WriteString(xmlHeader)
	x.open("AddressBook")
	x.elemInt("version", 1)
	account := min(max(dir.Account, 0), 5)
	each(&dir, p.Offset, p.Limit, func(e *entry) {
		x.open("Contact")
		first, last := e.first, e.last
		if first == "" && last == "" {
			first = e.name
		}
		if last != "" {
			x.elem("LastName", last)
		}
		if first != "" {
			x.elem("FirstName", first)
		}
		for _, n := range e.numbers() {
			x.open("Phone", "type", grandstreamTypes[n.idx])
			x.elem("phonenumber", n.value)
			x.elemInt("accountindex", account)
			x.close("Phone")
		}
		x.close("Contact")
	})
	x.close("AddressBook")
	return nil
}
