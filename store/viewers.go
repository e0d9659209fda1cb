package store

import (
	"slices"

	"cidproxy/lookup"
)

// allViewers in lookup.Change.Viewers stands for every extension.
const allViewers = "*"

// viewersOf returns the Viewers of a change of phonebook id to next (nil:
// deleted): who could view it before (the stored copy) or after. db.wmu
// must be held, so the stored copy is the one before the change.
func (db *DB) viewersOf(id string, next *lookup.Phonebook) []string {
	db.mu.RLock()
	cur, ok := db.pbs[id]
	db.mu.RUnlock()
	var out []string
	if ok {
		out = appendViewers(out, &cur)
	}
	if next != nil {
		out = appendViewers(out, next)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// bulkViewers is viewersOf for a staged phonebook op.
func (db *DB) bulkViewers(o *bulkOp) []string {
	if o.op != opPhonebook {
		return db.viewersOf(o.id, nil)
	}
	p, err := decodePhonebook(o.id, o.val)
	if err != nil {
		return db.viewersOf(o.id, nil)
	}
	return db.viewersOf(o.id, &p)
}

func appendViewers(dst []string, p *lookup.Phonebook) []string {
	if p.ViewAll || p.ManageAll {
		return append(dst, allViewers)
	}
	return append(append(dst, p.View...), p.Manage...)
}
