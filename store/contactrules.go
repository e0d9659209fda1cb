package store

import (
	"fmt"
	"slices"
	"strings"

	"cidproxy/lookup"
)

// checkRev fails with ErrConflict when want is not 0 and the stored
// record (nil: none) has another revision.
func checkRev(kind, id string, want uint64, old *lookup.Contact) error {
	if want == 0 {
		return nil
	}
	var have uint64
	if old != nil {
		have = old.Rev
	}
	if have != want {
		return fmt.Errorf("store: %s %s is at revision %d, not %d: %w", kind, id, have, want, ErrConflict)
	}
	return nil
}

// validMembership trims, sorts and deduplicates phonebook ids and checks
// that each exists.
func (db *DB) validMembership(l []string) ([]string, error) {
	if len(l) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(l))
	db.mu.RLock()
	defer db.mu.RUnlock()
	for _, id := range l {
		id = strings.TrimSpace(id)
		if _, ok := db.pbs[id]; !ok {
			return nil, &FieldError{"phonebooks", fmt.Errorf("%w: phonebook %s does not exist", ErrInvalid, maskID(id))}
		}
		out = append(out, id)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// checkWritable refuses API writes to synced contacts and to read-only
// phonebooks' memberships. old is nil for a new contact, c nil for a
// deletion.
func (db *DB) checkWritable(old, c *lookup.Contact) error {
	if old != nil && old.ReadOnly {
		return fmt.Errorf("store: contact comes from %s and is read-only: %w", old.Source, ErrReadOnly)
	}
	if c != nil && c.ReadOnly {
		return &FieldError{"read_only", fmt.Errorf("%w: read-only contacts and sources sql:/crm: are written by sync only", ErrInvalid)}
	}
	var before, after []string
	if old != nil {
		before = old.Phonebooks
	}
	if c != nil {
		after = c.Phonebooks
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	for _, id := range union(before, after) {
		if p, ok := db.pbs[id]; ok && p.ReadOnly {
			return fmt.Errorf("store: contact is in phonebook %q, which comes from %s and is read-only: %w", p.Name, p.Source, ErrReadOnly)
		}
	}
	return nil
}

// union returns the sorted union of two sorted id lists.
func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}
