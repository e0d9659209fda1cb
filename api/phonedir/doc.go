// Package phonedir renders remote phonebooks that IP phones fetch over
// HTTP: Yealink remote phonebook XML, Grandstream XML phonebook, Cisco IP
// Phone directory XML (paged, with a CiscoIPPhoneInput search form), and a
// plain XML and JSON listing.
//
// The package is handler-agnostic: the HTTP API filters contacts by the
// extension's permissions, orders them, and passes them to Render with the
// page the phone asked for. Every string is sanitised (characters illegal
// in XML 1.0 and invalid UTF-8 are dropped, line breaks become spaces) and
// escaped, so any contact yields well-formed XML.
package phonedir
