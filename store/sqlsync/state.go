package sqlsync

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"cidproxy/lookup"
	"cidproxy/store"
)

// The sync state of source NAME is one KV record per synced contact,
// "NAME/h/<contact id>" -> 8-byte hash of the values it was written from;
// it is written in the same store.Bulk as the contacts.
func stateKey(source, id string) string { return source + "/h/" + id }

func hashBytes(h uint64) []byte { return binary.BigEndian.AppendUint64(nil, h) }

func (s *Syncer) loadState(ctx context.Context, name string) (map[string]rowState, error) {
	state := map[string]rowState{}
	prefix := name + "/h/"
	err := s.db.KV(kvNamespace).Each(ctx, prefix, func(key string, val []byte) error {
		if len(val) == 8 {
			state[strings.TrimPrefix(key, prefix)] = rowState{hash: binary.BigEndian.Uint64(val)}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sync state: %w", err)
	}
	return state, nil
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
