package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"cidproxy/config"
	"cidproxy/lookup"
)

const prefixExt = "v1/x/"

func extKey(number string) []byte { return []byte(prefixExt + number) }

// validExtension reports whether s is an extension number: 1-15 digits
// (as config validation requires).
func validExtension(s string) bool {
	if s == "" || len(s) > 15 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func validateExtension(e *lookup.Extension) error {
	e.Number = strings.TrimSpace(e.Number)
	e.Name = strings.TrimSpace(e.Name)
	e.Email = strings.TrimSpace(e.Email)
	if !validExtension(e.Number) {
		return &FieldError{"number", fmt.Errorf("%w: %q: an extension number is 1 to 15 digits", ErrInvalid, e.Number)}
	}
	for _, f := range []struct{ name, v string }{{"name", e.Name}, {"email", e.Email}} {
		if err := checkText(f.name, f.v); err != nil {
			return err
		}
	}
	return validatePopup(e)
}

// validatePopup checks the popup override; an empty one is dropped.
func validatePopup(e *lookup.Extension) error {
	p := e.Popup
	if p == nil {
		return nil
	}
	if *p == (lookup.PopupSettings{}) {
		e.Popup = nil
		return nil
	}
	if !slices.Contains([]string{"", "ringing", "answered", "ended", "manual", "off"}, p.Trigger) {
		return &FieldError{"popup.trigger", fmt.Errorf("%w: %q is not ringing, answered, ended, manual or off", ErrInvalid, p.Trigger)}
	}
	if !slices.Contains([]string{"", "new_contact", "none"}, p.Unknown) {
		return &FieldError{"popup.unknown", fmt.Errorf("%w: %q is not new_contact or none", ErrInvalid, p.Unknown)}
	}
	return nil
}

func checkText(field, v string) error {
	if len(v) > maxFieldLen || !validUTF8(v) {
		return &FieldError{field, fmt.Errorf("%w: longer than %d bytes or not UTF-8", ErrInvalid, maxFieldLen)}
	}
	if hasControl(v) {
		return &FieldError{field, fmt.Errorf("%w: holds a control character (such as NUL)", ErrInvalid)}
	}
	return nil
}

// PutExtension creates or replaces extension e.Number and returns it with
// its revision.
func (db *DB) PutExtension(ctx context.Context, e lookup.Extension) (lookup.Extension, error) {
	if err := ctx.Err(); err != nil {
		return e, err
	}
	if err := validateExtension(&e); err != nil {
		return e, err
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	err := db.update(func(txn *badger.Txn, rw *revWriter) error {
		rev, err := rw.change(lookup.Change{Kind: lookup.KindExtension, ID: e.Number})
		e.Rev = rev
		if err != nil {
			return err
		}
		return txn.Set(extKey(e.Number), encodeExtension(&e))
	})
	if err != nil {
		return e, fmt.Errorf("store: put extension: %w", err)
	}
	db.mu.Lock()
	db.exts[e.Number] = cloneExtension(e)
	db.mu.Unlock()
	db.ix.PutExtension(e.Number, e.Name)
	return e, nil
}

// GetExtension returns extension number or ErrNotFound.
func (db *DB) GetExtension(ctx context.Context, number string) (lookup.Extension, error) {
	if err := ctx.Err(); err != nil {
		return lookup.Extension{}, err
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	e, ok := db.exts[number]
	if !ok {
		return e, fmt.Errorf("store: extension %s: %w", maskID(number), ErrNotFound)
	}
	return cloneExtension(e), nil
}

// cloneExtension copies e so that no caller shares the cached popup
// settings (a PATCH decodes into what GetExtension returned).
func cloneExtension(e lookup.Extension) lookup.Extension {
	if e.Popup != nil {
		p := *e.Popup
		e.Popup = &p
	}
	return e
}

// ListExtensions returns every extension in numeric order.
func (db *DB) ListExtensions(ctx context.Context) ([]lookup.Extension, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	db.mu.RLock()
	out := make([]lookup.Extension, 0, len(db.exts))
	for _, e := range db.exts {
		out = append(out, cloneExtension(e))
	}
	db.mu.RUnlock()
	slices.SortFunc(out, func(a, b lookup.Extension) int { return compareNumbers(a.Number, b.Number) })
	return out, nil
}

// compareNumbers orders digit strings numerically (shorter first).
func compareNumbers(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// maxCascade bounds the personal contacts an extension deletion removes
// in its single transaction (the per-extension limit is far below).
const maxCascade = 20_000

// DeleteExtension removes extension number together with its personal
// contacts and tokens, and takes it out of every phonebook grant.
func (db *DB) DeleteExtension(ctx context.Context, number string) error {
	if _, err := db.GetExtension(ctx, number); err != nil {
		return err
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	personal, err := db.keysUnder(ctx, personalPrefix(number), maxCascade)
	if err != nil {
		return err
	}
	tokens, err := db.tokensOf(ctx, number)
	if err != nil {
		return err
	}
	grants := db.phonebooksGranting(number)
	err = db.update(func(txn *badger.Txn, rw *revWriter) error {
		for _, id := range personal {
			if _, err := rw.change(lookup.Change{Kind: lookup.KindPersonal, ID: id, Owner: number, Deleted: true}); err != nil {
				return err
			}
			if err := txn.Delete(personalKey(number, id)); err != nil {
				return err
			}
		}
		for _, k := range tokens {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		for i := range grants {
			p := &grants[i]
			p.View = slices.DeleteFunc(p.View, func(s string) bool { return s == number })
			p.Manage = slices.DeleteFunc(p.Manage, func(s string) bool { return s == number })
			if err := db.writePhonebook(txn, rw, p); err != nil {
				return err
			}
		}
		if _, err := rw.change(lookup.Change{Kind: lookup.KindExtension, ID: number, Deleted: true}); err != nil {
			return err
		}
		return txn.Delete(extKey(number))
	})
	if err != nil {
		return fmt.Errorf("store: delete extension: %w", err)
	}
	db.mu.Lock()
	delete(db.exts, number)
	delete(db.personalN, number)
	for _, p := range grants {
		db.pbs[p.ID] = p
	}
	db.mu.Unlock()
	for _, p := range grants {
		db.ix.PutPhonebook(indexPhonebook(&p))
	}
	db.ix.DeleteExtension(number)
	return nil
}

// SeedExtensions creates the configured extensions that do not exist and
// updates name, email and popup settings of those that do (an empty
// configured name, email or popup keeps the stored one). Unchanged
// extensions are not rewritten.
func (db *DB) SeedExtensions(ctx context.Context, exts []config.Extension) error {
	for _, ce := range exts {
		e := lookup.Extension{Number: ce.Number, Name: ce.Name, Email: ce.Email}
		if ce.Popup.Trigger != "" || ce.Popup.Unknown != "" {
			e.Popup = &lookup.PopupSettings{Trigger: ce.Popup.Trigger, Unknown: ce.Popup.Unknown}
		}
		cur, err := db.GetExtension(ctx, strings.TrimSpace(ce.Number))
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		default:
			if e.Name == "" {
				e.Name = cur.Name
			}
			if e.Email == "" {
				e.Email = cur.Email
			}
			if e.Popup == nil {
				e.Popup = cur.Popup
			}
			if e.Name == cur.Name && e.Email == cur.Email && samePopup(e.Popup, cur.Popup) {
				continue
			}
		}
		if _, err := db.PutExtension(ctx, e); err != nil {
			return fmt.Errorf("store: seed extension %s: %w", ce.Number, err)
		}
	}
	return nil
}

func samePopup(a, b *lookup.PopupSettings) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// loadExtensions reads every extension into memory and the index.
func (db *DB) loadExtensions() error {
	return db.scan(context.Background(), prefixExt, "", func(id string, v []byte) (bool, error) {
		e, err := decodeExtension(id, v)
		if err != nil {
			return false, fmt.Errorf("store: extension %s: %w", id, err)
		}
		db.exts[id] = e
		db.ix.PutExtension(e.Number, e.Name)
		return true, nil
	})
}

// extensionCount returns the number of extensions (for limit tiers).
func (db *DB) extensionCount() int {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return len(db.exts)
}

// maskID shortens a user-supplied id for error messages.
func maskID(s string) string {
	if len(s) > maxIDLen {
		return s[:maxIDLen] + "…"
	}
	return fmt.Sprintf("%q", s)
}
