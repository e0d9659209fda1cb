package api

import (
	"context"

	"cidproxy/lookup"
)

// Store is what the API needs from the store; *store.DB implements it.
// Errors: store.ErrNotFound -> 404, store.ErrInvalid / *store.FieldError ->
// 422, store.ErrReadOnly -> 409, store.ErrLimit -> 409 (limit reached),
// store.ErrConflict -> 409/412. The API maps them with errors.Is.
type Store interface {
	// Extensions.
	PutExtension(ctx context.Context, e lookup.Extension) (lookup.Extension, error)
	GetExtension(ctx context.Context, number string) (lookup.Extension, error)
	DeleteExtension(ctx context.Context, number string) error
	ListExtensions(ctx context.Context) ([]lookup.Extension, error)

	// Phonebooks. Deleting one removes its memberships, not the contacts.
	PutPhonebook(ctx context.Context, p lookup.Phonebook) (lookup.Phonebook, error)
	GetPhonebook(ctx context.Context, id string) (lookup.Phonebook, error)
	DeletePhonebook(ctx context.Context, id string) error
	ListPhonebooks(ctx context.Context) ([]lookup.Phonebook, error)

	// Company contacts; Contact.Phonebooks is the membership. An empty ID creates.
	PutContact(ctx context.Context, c lookup.Contact) (lookup.Contact, error)
	GetContact(ctx context.Context, id string) (lookup.Contact, error)
	DeleteContact(ctx context.Context, id string) error
	// SearchContacts lists company contacts visible to q.Viewer (all for an
	// admin), filtered by q; it returns the next cursor ("" at the end).
	SearchContacts(ctx context.Context, q lookup.ContactQuery) ([]lookup.Contact, string, error)

	// Personal contacts of extension owner.
	PutPersonal(ctx context.Context, owner string, c lookup.Contact) (lookup.Contact, error)
	GetPersonal(ctx context.Context, owner, id string) (lookup.Contact, error)
	DeletePersonal(ctx context.Context, owner, id string) error
	SearchPersonal(ctx context.Context, owner string, q lookup.ContactQuery) ([]lookup.Contact, string, error)

	// ImportContacts writes company contacts (into phonebook, if not
	// empty) or, with owner set, personal contacts. All or nothing unless
	// partial: then valid rows are written and the rest reported. Limits
	// apply to the whole batch.
	ImportContacts(ctx context.Context, cs []lookup.Contact, owner, phonebook string, partial bool) (lookup.ImportResult, error)

	// Prefix rules.
	PutPrefixRule(ctx context.Context, r lookup.PrefixRule) (lookup.PrefixRule, error)
	GetPrefixRule(ctx context.Context, id string) (lookup.PrefixRule, error)
	DeletePrefixRule(ctx context.Context, id string) error
	ListPrefixRules(ctx context.Context) ([]lookup.PrefixRule, error)

	// Changes returns up to limit changes with Rev > since, oldest first,
	// and the store's current revision. The API filters by viewer.
	Changes(ctx context.Context, since uint64, limit int) ([]lookup.Change, uint64, error)

	// Tokens: CreateToken returns the plain token once (stored hashed);
	// Authenticate compares in constant time and returns who it is.
	CreateToken(ctx context.Context, v lookup.Viewer, label string) (string, error)
	Authenticate(ctx context.Context, token string) (lookup.Viewer, error)
	TokenStore
}
