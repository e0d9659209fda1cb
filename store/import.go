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
// Without partial it is all-or-nothing: any rejected row writes nothing
// and the error wraps ErrInvalid, with the rows in the result. Limits
// apply to the whole batch: over the limit writes nothing (ErrLimit).
// Every contact gets its own revision and change.
func (db *DB) ImportContacts(ctx context.Context, cs []lookup.Contact, owner, phonebook string, partial bool) (lookup.ImportResult, error) {
	var res lookup.ImportResult
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if err := db.importTarget(ctx, owner, phonebook); err != nil {
		return res, err
	}
	valid := make([]lookup.Contact, 0, len(cs))
	keys := make([][]string, 0, len(cs))
	for i := range cs {
		if i%1024 == 0 && ctx.Err() != nil {
			return res, ctx.Err()
		}
		c, k, err := db.importRow(cs[i], owner, phonebook)
		if err != nil {
			if len(res.Rejected) < maxImportErrors {
				res.Rejected = append(res.Rejected, importError(i+1, err))
			}
			continue
		}
		valid = append(valid, c)
		keys = append(keys, k)
	}
	if len(res.Rejected) > 0 && !partial {
		return res, fmt.Errorf("store: import rejected, nothing written (%d rows, first row %d: %s): %w",
			len(cs)-len(valid), res.Rejected[0].Row, res.Rejected[0].Error, ErrInvalid)
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	var err error
	if owner != "" {
		err = db.checkPersonal(owner, len(valid))
	} else {
		err = db.checkContacts(len(valid))
	}
	if err != nil {
		return res, err
	}
	err = db.writeBulk(owner, len(valid), func(fn func(id string, base []byte, pbs []string) error) error {
		var buf []byte
		for i := range valid {
			buf = encodeContactBase(buf[:0], &valid[i], keys[i])
			if err := fn(valid[i].ID, buf, valid[i].Phonebooks); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Imported = len(valid)
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

func (db *DB) importRow(c lookup.Contact, owner, phonebook string) (lookup.Contact, []string, error) {
	c.ID, c.Owner, c.Rev = "", owner, 0
	if c.Source == "" {
		c.Source = lookup.ContactSourceCSV
	}
	if c.ReadOnly || isSyncedSource(c.Source) {
		return c, nil, &FieldError{"source", fmt.Errorf("%w: read-only or synced contacts are written by sync only", ErrInvalid)}
	}
	keys, err := db.validateContact(&c)
	if err != nil {
		return c, nil, err
	}
	if owner != "" {
		c.Phonebooks = nil
	} else {
		if phonebook != "" {
			c.Phonebooks = append(c.Phonebooks, phonebook)
		}
		if c.Phonebooks, err = db.validMembership(c.Phonebooks); err != nil {
			return c, nil, err
		}
		if err := db.checkWritable(nil, &c); err != nil {
			return c, nil, err
		}
	}
	c.ID = db.ids.next()
	return c, keys, nil
}

func importError(row int, err error) lookup.ImportError {
	ie := lookup.ImportError{Row: row, Error: err.Error()}
	var fe *FieldError
	if errors.As(err, &fe) {
		ie.Field, ie.Error = fe.Field, fe.Err.Error()
	}
	return ie
}
