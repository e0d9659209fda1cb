package store

import "errors"

// Sentinel errors of the contacts model. Returned errors wrap them with
// detail (which record, which limit, where it comes from); test them with
// errors.Is.
var (
	// ErrReadOnly: the record comes from a sync (sql:, crm:) or sits in a
	// synced phonebook and cannot be changed through the API.
	ErrReadOnly = errors.New("read-only")
	// ErrLimit: a configured limit (company contacts, phonebooks,
	// personal contacts per extension) would be exceeded; nothing was written.
	ErrLimit = errors.New("limit reached")
	// ErrConflict: the write clashes with another record (a phonebook
	// name in use, an id of another kind).
	ErrConflict = errors.New("conflict")
	// ErrRevisionGone: Changes was asked for revisions older than the
	// retained change log (or newer than the store's revision); the client
	// must resynchronise from scratch.
	ErrRevisionGone = errors.New("store: revision no longer in the change log, resync required")
	// ErrUnauthorized: Authenticate got an unknown, revoked or malformed token.
	ErrUnauthorized = errors.New("store: unknown token")
)
