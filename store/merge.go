package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"cidproxy/lookup"
)

// ImportMode says what an import does with the company contacts already
// stored.
type ImportMode string

// Import modes.
const (
	// ImportAdd adds every row as a new contact.
	ImportAdd ImportMode = "add"
	// ImportMerge updates the stored contact with a row's match key
	// (MatchKey) instead of adding a second one; re-importing a file
	// changes nothing.
	ImportMerge ImportMode = "merge"
	// ImportReplace merges, then deletes the contacts in the import's scope
	// that the file no longer has: the phonebook's members, or without a
	// phonebook every company contact that is not synced.
	ImportReplace ImportMode = "replace"
)

// MergeRow is one row of a merging import: the contact and the phonebooks
// (names or ids) it names.
type MergeRow struct {
	Row        int // file line, for errors
	Contact    lookup.Contact
	Phonebooks []string
}

// MergeResult counts what a merging import changed.
type MergeResult struct {
	Added, Updated, Deleted, Unchanged int
	Rejected                           []lookup.ImportError
}

// MatchKey is how an import recognises a contact it imported before: the
// e-mail address when there is one, else first name, last name, company
// and first number; "" (never matched) for a row without any of them.
func (db *DB) MatchKey(c *lookup.Contact) string {
	if e := strings.ToLower(strings.TrimSpace(c.Email)); e != "" {
		return "e:" + e
	}
	num := ""
	for _, p := range c.NumberFields() {
		if k, err := db.norm.Key(*p); err == nil {
			num = k
			break
		}
	}
	k := strings.ToLower(strings.Join([]string{strings.TrimSpace(c.FirstName), strings.TrimSpace(c.LastName), strings.TrimSpace(c.Company), num}, "|"))
	if k == "|||" {
		return ""
	}
	return "n:" + k
}

// ImportMerged imports company contacts, members of phonebook (if not
// empty) and of the phonebooks each row names, in mode; all or nothing.
// Synced (read-only) contacts are never changed or deleted: a row equal to
// one counts as unchanged (so an export imports back), a row that would
// change one is rejected.
func (db *DB) ImportMerged(ctx context.Context, rows []MergeRow, phonebook string, mode ImportMode) (MergeResult, error) {
	var res MergeResult
	if err := db.importTarget(ctx, "", phonebook); err != nil {
		return res, err
	}
	stored, err := db.matchable(ctx, mode)
	if err != nil {
		return res, err
	}
	b, err := db.NewBulk()
	if err != nil {
		return res, err
	}
	defer b.Abort()
	seen := map[string]int{}
	keep := map[string]bool{}
	for i, r := range rows {
		if err := db.mergeRow(ctx, b, r, phonebook, mode, stored, seen, keep, &res); err != nil {
			if b.err != nil {
				return res, err
			}
			if len(res.Rejected) < maxImportErrors {
				res.Rejected = append(res.Rejected, importError(rowOf(r, i), err))
			}
		}
	}
	if len(res.Rejected) > 0 {
		return res, fmt.Errorf("store: import rejected, nothing written (first: row %d: %s): %w", res.Rejected[0].Row, res.Rejected[0].Error, ErrInvalid)
	}
	if mode == ImportReplace {
		if err := db.stageReplaced(b, stored, phonebook, keep); err != nil {
			return res, err
		}
	}
	br, err := b.Commit(ctx)
	if err != nil {
		return res, err
	}
	res.Added, res.Updated, res.Deleted = br.Added, br.Updated, br.Deleted
	return res, nil
}

func rowOf(r MergeRow, i int) int {
	if r.Row > 0 {
		return r.Row
	}
	return i + 1
}

// matchable returns the stored contacts an import may match, by key.
func (db *DB) matchable(ctx context.Context, mode ImportMode) (map[string]lookup.Contact, error) {
	out := map[string]lookup.Contact{}
	if mode == ImportAdd {
		return out, nil
	}
	err := db.EachContact(ctx, func(c lookup.Contact) (bool, error) {
		if k := db.MatchKey(&c); k != "" {
			if _, dup := out[k]; !dup {
				out[k] = c
			}
		}
		return true, nil
	})
	return out, err
}

func (db *DB) mergeRow(ctx context.Context, b *Bulk, r MergeRow, phonebook string, mode ImportMode, stored map[string]lookup.Contact, seen map[string]int, keep map[string]bool, res *MergeResult) error {
	c := r.Contact
	c.ID, c.Owner, c.ReadOnly, c.Rev, c.Phonebooks = "", "", false, 0, nil
	pbs, err := db.phonebookIDs(ctx, r.Phonebooks)
	if err != nil {
		return err
	}
	if phonebook != "" {
		pbs = append(pbs, phonebook)
	}
	key := db.MatchKey(&c)
	if mode != ImportAdd && key != "" {
		if first, dup := seen[key]; dup {
			return fmt.Errorf("the same contact as row %d (same e-mail, or same name, company and first number): %w", first, ErrInvalid)
		}
		seen[key] = r.Row
	}
	old, found := stored[key]
	if mode == ImportAdd || key == "" || !found {
		c.Phonebooks = union(pbs, nil)
		_, err := b.PutContact(c)
		return err
	}
	keep[old.ID] = true
	c.ID, c.Source, c.Phonebooks = old.ID, old.Source, union(old.Phonebooks, pbs)
	if sameContact(&c, &old) {
		res.Unchanged++ // a synced contact too: an export imports back unchanged
		return nil
	}
	if old.ReadOnly {
		return fmt.Errorf("store: the contact of this row comes from %s and is read-only (change it at its source): %w", old.Source, ErrReadOnly)
	}
	return b.UpdateContact(c)
}

// phonebookIDs resolves phonebook names or ids.
func (db *DB) phonebookIDs(ctx context.Context, refs []string) ([]string, error) {
	out := make([]string, 0, len(refs))
	for _, ref := range refs {
		if p, err := db.GetPhonebook(ctx, ref); err == nil {
			out = append(out, p.ID)
			continue
		}
		p, err := db.PhonebookByName(ctx, ref)
		if errors.Is(err, ErrNotFound) {
			return nil, &FieldError{"phonebooks", fmt.Errorf("%w: phonebook %q does not exist", ErrInvalid, ref)}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p.ID)
	}
	return out, nil
}

func sameContact(a, b *lookup.Contact) bool {
	fa, fb := contactFields(a), contactFields(b)
	for i := range fa {
		if *fa[i] != *fb[i] {
			return false
		}
	}
	return slices.Equal(union(a.Phonebooks, nil), union(b.Phonebooks, nil))
}

// stageReplaced stages the deletion of the contacts in scope the import
// did not keep.
func (db *DB) stageReplaced(b *Bulk, stored map[string]lookup.Contact, phonebook string, keep map[string]bool) error {
	for _, c := range stored {
		if c.ReadOnly || keep[c.ID] || (phonebook != "" && !slices.Contains(c.Phonebooks, phonebook)) {
			continue
		}
		if err := b.deleteUnsynced(c.ID); err != nil {
			return err
		}
	}
	return nil
}
