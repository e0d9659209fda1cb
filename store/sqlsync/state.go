package sqlsync

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"cidproxy/lookup"
	"cidproxy/store"
)

// syncState is what a source synced: for every contact its id and the
// hash of the values it was written from. It is stored as KV records
// "NAME/s/NNNNNN" of up to stateChunk bytes ([uvarint id length][id][8-byte
// hash] each), a few hundred records for 500,000 contacts, and rewritten in
// the run's store.Bulk when anything changed.
type syncState struct {
	name  string
	old   [][]byte // the stored records
	m     stateMap // by idKey: old hash, seen in this run
	next  []byte   // the new state, built row by row
	dirty bool
}

const stateChunk = 64 << 10

func stateKey(source string, i int) string { return fmt.Sprintf("%s/s/%06d", source, i) }

func (s *Syncer) loadState(ctx context.Context, name string) (*syncState, error) {
	st := &syncState{name: name, m: stateMap{}}
	err := s.db.KV(kvNamespace).Each(ctx, name+"/s/", func(_ string, val []byte) error {
		b := append([]byte(nil), val...)
		st.old = append(st.old, b)
		return eachEntry(b, func(id string, h uint64) { st.m[idKey(id)] = rowState{hash: h} })
	})
	if err != nil {
		return nil, fmt.Errorf("sync state: %w", err)
	}
	size := 0
	for _, b := range st.old {
		size += len(b)
	}
	st.next = make([]byte, 0, size+size/16) // grown once, not by doubling
	return st, nil
}

func eachEntry(b []byte, fn func(id string, h uint64)) error {
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n+8 {
			return errors.New("sync state: corrupt record")
		}
		id := string(b[k : k+int(n)])
		fn(id, binary.BigEndian.Uint64(b[k+int(n):]))
		b = b[k+int(n)+8:]
	}
	return nil
}

// keep records id with hash h in the new state.
func (st *syncState) keep(id string, h uint64) {
	st.next = binary.AppendUvarint(st.next, uint64(len(id)))
	st.next = append(st.next, id...)
	st.next = binary.BigEndian.AppendUint64(st.next, h)
}

// finish stages, with remove, the deletion of contacts synced before and
// not seen now (else keeps them) and, when anything changed, the new state.
func (st *syncState) finish(b *store.Bulk, remove bool) error {
	var err error
	for _, rec := range st.old {
		e := eachEntry(rec, func(id string, h uint64) {
			switch {
			case st.m[idKey(id)].seen:
			case remove:
				st.dirty = true
				err = errors.Join(err, b.DeleteContact(id))
			default:
				st.keep(id, h)
			}
		})
		if err = errors.Join(err, e); err != nil {
			return err
		}
	}
	if !st.dirty {
		return nil
	}
	return st.write(b)
}

// write stages the new state's records and the deletion of surplus old ones.
func (st *syncState) write(b *store.Bulk) error {
	i := 0
	for rest := st.next; len(rest) > 0; i++ {
		n := 0
		for n < len(rest) && n < stateChunk {
			l, k := binary.Uvarint(rest[n:])
			n += k + int(l) + 8
		}
		if err := b.PutKV(kvNamespace, stateKey(st.name, i), rest[:n]); err != nil {
			return err
		}
		rest = rest[n:]
	}
	for j := i; j < len(st.old); j++ {
		if err := b.DeleteKV(kvNamespace, stateKey(st.name, j)); err != nil {
			return err
		}
	}
	return nil
}

// phonebooks resolves the phonebook names of a run to ids, staging the
// creation of new ones once.
type phonebooks struct {
	src    *source
	byName map[string]lookup.Phonebook // lower-case name -> this source's (or the existing target)
	used   map[string]bool             // lower-case names rows use
	staged map[string]string           // lower-case name -> staged id
}

func (s *Syncer) phonebooks(ctx context.Context, src *source) (*phonebooks, error) {
	all, err := s.db.ListPhonebooks(ctx)
	if err != nil {
		return nil, err
	}
	p := &phonebooks{src: src, byName: map[string]lookup.Phonebook{}, used: map[string]bool{}, staged: map[string]string{}}
	for _, pb := range all {
		if pb.Source == src.tag() {
			p.byName[strings.ToLower(pb.Name)] = pb
		}
	}
	if ex := strings.TrimSpace(src.cfg.Phonebook.Existing); ex != "" {
		pb, err := s.db.PhonebookByName(ctx, ex)
		if err != nil {
			return nil, fmt.Errorf("phonebook.existing: %w", err)
		}
		if pb.Source != src.tag() && pb.ReadOnly {
			return nil, fmt.Errorf("phonebook.existing: %q comes from %s: %w", pb.Name, pb.Source, store.ErrConflict)
		}
		p.byName[strings.ToLower(pb.Name)] = pb
	}
	return p, nil
}

func (p *phonebooks) use(name string) { p.used[strings.ToLower(name)] = true }

// id returns the id of the phonebook named name, staging it (or taking
// over the existing target phonebook) on first use.
func (p *phonebooks) id(b *store.Bulk, name string) (string, error) {
	k := strings.ToLower(name)
	if id, ok := p.staged[k]; ok {
		return id, nil
	}
	pb, ok := p.byName[k]
	if ok && pb.Source == p.src.tag() {
		return pb.ID, nil
	}
	if !ok { // new: visible to no one until granted, like every new phonebook
		pb = lookup.Phonebook{ID: p.src.stableID("p", k), Name: name}
	}
	pb.Source = p.src.tag()
	staged, err := b.PutPhonebook(pb)
	if err != nil {
		return "", fmt.Errorf("phonebook %q: %w", name, err)
	}
	p.staged[k] = staged.ID
	return staged.ID, nil
}

// dropUnused stages the deletion of this source's phonebooks no row uses.
func (p *phonebooks) dropUnused(b *store.Bulk) error {
	for k, pb := range p.byName {
		if !p.used[k] && pb.Source == p.src.tag() {
			if err := b.DeletePhonebook(pb.ID); err != nil {
				return err
			}
		}
	}
	return nil
}
