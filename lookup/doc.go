// Package lookup holds cidproxy's domain types for caller identification:
// the query a SIP request turns into, the result a source returns, the
// Source interface, and the Chain that asks sources in order. It also owns
// the contact types, number normalisation and the in-memory number index.
// It imports none of sip, store or crm.
//
// Numbers are matched by a canonical key (Normalizer): "+E164" for
// anything phonenumbers parses with more than 6 digits ("+49 30 1234567",
// "004930 1234567" and "030 1234567" in region DE are all "+49301234567"),
// plain digits for short numbers and extensions ("1001") and for anything
// it cannot parse. Validity for the region is never checked. A fast path
// handles the forms a PBX sends without phonenumbers.
//
// The Index keeps exact numbers of company contacts (a hash map of packed
// keys), an optional last-N-digits table and prefix rules (a digit trie).
// Resolution: exact number, then last N digits (ErrAmbiguous when several
// contacts share them), then the longest prefix rule. A shared number
// names the contact with the smallest id. A hit takes a read lock and
// does not allocate; writers update it in place under the write lock.
package lookup
