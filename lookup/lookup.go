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

import (
	"context"
	"errors"
)

// ErrNotFound is returned by a Source that has no name for the number; the
// Chain then asks the next source.
var ErrNotFound = errors.New("lookup: not found")

// Source names reported in Result.Source.
const (
	SourceExtension = "extension"
	SourcePersonal  = "personal"
	SourceCompany   = "company"
	SourcePrefix    = "prefix"
	SourceCRM       = "crm"
)

// Query is one caller-identification request.
type Query struct {
	// Number is the caller's number as received (SIP user part or tel URI).
	Number string
	// Callee is the called extension or number (Request-URI/To user), used by
	// sources whose answers depend on who is called (personal contacts,
	// phonebook visibility).
	Callee string
}

// Result is a match.
type Result struct {
	Name      string // display name, not yet sanitised for SIP
	Source    string // one of the Source* constants
	ContactID string // store id of the matched contact or rule, if any
	// Phonebook is the name of the phonebook through which a company
	// contact matched for this callee (empty otherwise); used for
	// routing by phonebook.
	Phonebook string
	// Integration and URL name the CRM record behind the match (the
	// integration and the record's page) when it came from a CRM.
	Integration string
	URL         string
}

// Source is one place names come from.
type Source interface {
	// Name identifies the source in metrics and logs.
	Name() string
	// Lookup returns a match or ErrNotFound. Other errors are reported by
	// the chain and treated as no match from this source.
	Lookup(ctx context.Context, q Query) (Result, error)
}

// Chain asks its sources in order; the first match wins.
type Chain []Source

// Lookup implements Source. It returns ErrNotFound when no source matches;
// if a source failed and none matched, the first such error is joined in.
func (c Chain) Lookup(ctx context.Context, q Query) (Result, error) {
	var firstErr error
	for _, s := range c {
		r, err := s.Lookup(ctx, q)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, ErrNotFound) && firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if firstErr != nil {
		return Result{}, errors.Join(ErrNotFound, firstErr)
	}
	return Result{}, ErrNotFound
}

// Name implements Source.
func (c Chain) Name() string { return "chain" }

// Remote is implemented by sources that ask a system outside the daemon
// (a CRM). Withheld callers are never looked up in them.
type Remote interface {
	Remote() bool
}

// Remote implements Remote: a chain is remote when any of its sources is.
// A chain that is not answers from the daemon's memory, and callers may
// skip the machinery (deadline timer, goroutine) that bounds a slow source.
func (c Chain) Remote() bool {
	for _, s := range c {
		if r, ok := s.(Remote); ok && r.Remote() {
			return true
		}
	}
	return false
}

// LookupLocal is Lookup restricted to sources that are not Remote; the
// proxy uses it for withheld callers when naming them is enabled.
func (c Chain) LookupLocal(ctx context.Context, q Query) (Result, error) {
	local := make(Chain, 0, len(c))
	for _, s := range c {
		if r, ok := s.(Remote); ok && r.Remote() {
			continue
		}
		local = append(local, s)
	}
	return local.Lookup(ctx, q)
}
