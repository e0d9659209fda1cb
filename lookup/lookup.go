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
