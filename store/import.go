package store

import (
	"context"
	"errors"
	"fmt"

	"cidproxy/lookup"
)

// maxImportErrors bounds the rejected rows ImportContacts reports.
const maxImportErrors = 1000

// ImportContacts writes cs as new contacts (ids in cs are ignored) and
// reports the rows (1-based positions in cs) it rejected. With owner set
// they become personal contacts of that extension (phonebook must then be
// empty); otherwise company contacts, members of phonebook when given
// (which must exist and not be read-only) and of the valid phonebooks
// they list. Source defaults to "csv"; read-only or synced rows are
// rejected (the sync writes those).
//
// The write is one Bulk: all or nothing, across a crash too. Without
// partial any rejected row writes nothing and the error wraps ErrInvalid,
// with the rows in the result. Limits apply to the whole batch: over the
// limit writes nothing (ErrLimit). Every contact gets its own revision
// and change.
func (db *DB) ImportContacts(ctx context.Context, cs []lookup.Contact, owner, phonebook string, partial bool) (lookup.ImportResult, error) {
	var res lookup.ImportResult
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if err := db.importTarget(ctx, owner, phonebook); err != nil {
		return res, err
	}
	b, err := db.NewBulk()
	if err != nil {
		return res, err
	}
	defer b.Abort()
	for i := range cs {
		if i%1024 == 0 && ctx.Err() != nil {
			return res, ctx.Err()
		}
		if err := b.importRow(ctx, cs[i], owner, phonebook); err != nil {
			if b.err != nil {
				return res, err
			}
			if len(res.Rejected) < maxImportErrors {
				res.Rejected = append(res.Rejected, importError(i+1, err))
			}
		}
	}
	if len(res.Rejected) > 0 && !partial {
		return res, fmt.Errorf("store: import rejected, nothing written (%d rows, first row %d: %s): %w",
			len(cs)-b.Len(), res.Rejected[0].Row, res.Rejected[0].Error, ErrInvalid)
	}
	br, err := b.Commit(ctx)
	if err != nil {
		return res, err
	}
	res.Imported = br.Added
	return res, nil
}

// importTarget checks owner or phonebook of an import.
func (db *DB) importTarget(ctx context.Context, owner, phonebook string) error {
	if owner != "" {
		if phonebook != "" {
			return &FieldError{"phonebook", fmt.Errorf("%w: personal contacts have no phonebooks", ErrInvalid)}
		}
		_, err := db.GetExtension(ctx, owner)
		return err
	}
	if phonebook == "" {
		return nil
	}
	p, err := db.GetPhonebook(ctx, phonebook)
	if err != nil {
		return err
	}
	if p.ReadOnly {
		return fmt.Errorf("store: phonebook %q comes from %s and is read-only: %w", p.Name, p.Source, ErrReadOnly)
	}
	return nil
}

func (b *Bulk) importRow(ctx context.Context, c lookup.Contact, owner, phonebook string) error {
	if owner != "" {
		_, err := b.PutPersonal(ctx, owner, c)
		return err
	}
	if phonebook != "" {
		c.Phonebooks = append(c.Phonebooks, phonebook)
	}
	_, err := b.PutContact(c)
	return err
}

func importError(row int, err error) lookup.ImportError {
	ie := lookup.ImportError{Row: row, Error: err.Error()}
	var fe *FieldError
	if errors.As(err, &fe) {
		ie.Field, ie.Error = fe.Field, fe.Err.Error()
	}
	return ie
}
