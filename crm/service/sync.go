package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"cidproxy/crm"
	"cidproxy/lookup"
	"cidproxy/store"
)

// ref links a synced store contact to its CRM record.
type ref struct {
	StoreID     string    `json:"store_id"`
	Integration string    `json:"integration"`
	Type        string    `json:"type"` // ContactSyncType (request name)
	ID          string    `json:"id"`   // the CRM's contact id
	URL         string    `json:"url,omitempty"`
	Synced      time.Time `json:"synced"`
}

const refPrefix = "ref/"

// refIndex keeps every ref in memory (the INVITE path reads it), persisted
// in the KV under ref/<store id>.
type refIndex struct {
	kv    crm.KV
	mu    sync.RWMutex
	byID  map[string]ref    // store id -> ref
	byCRM map[string]string // integration/type/crm id -> store id
}

func crmKey(integration, typ, id string) string { return integration + "/" + typ + "/" + id }

func loadRefs(ctx context.Context, kv crm.KV) (*refIndex, error) {
	x := &refIndex{kv: kv, byID: map[string]ref{}, byCRM: map[string]string{}}
	keys, err := kv.List(ctx, refPrefix)
	if err != nil {
		return nil, fmt.Errorf("crm refs: %w", err)
	}
	for _, k := range keys {
		b, err := kv.Get(ctx, k)
		if err != nil {
			continue
		}
		var r ref
		if json.Unmarshal(b, &r) == nil && r.StoreID != "" {
			x.byID[r.StoreID] = r
			x.byCRM[crmKey(r.Integration, r.Type, r.ID)] = r.StoreID
		}
	}
	return x, nil
}

func (x *refIndex) get(storeID string) (ref, bool) {
	x.mu.RLock()
	r, ok := x.byID[storeID]
	x.mu.RUnlock()
	return r, ok
}

func (x *refIndex) storeID(integration, typ, id string) string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.byCRM[crmKey(integration, typ, id)]
}

func (x *refIndex) put(ctx context.Context, r ref) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := x.kv.Put(ctx, refPrefix+r.StoreID, b); err != nil {
		return err
	}
	x.mu.Lock()
	x.byID[r.StoreID] = r
	x.byCRM[crmKey(r.Integration, r.Type, r.ID)] = r.StoreID
	x.mu.Unlock()
	return nil
}

func (x *refIndex) del(ctx context.Context, storeID string) error {
	if err := x.kv.Delete(ctx, refPrefix+storeID); err != nil && !errors.Is(err, crm.ErrNotFound) {
		return err
	}
	x.mu.Lock()
	if r, ok := x.byID[storeID]; ok {
		delete(x.byCRM, crmKey(r.Integration, r.Type, r.ID))
		delete(x.byID, storeID)
	}
	x.mu.Unlock()
	return nil
}

func (x *refIndex) len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID)
}

// phonebookName is where the integration's matches land.
func (in *Integration) phonebookName() string {
	if in.cfg.Sync.Phonebook != "" {
		return in.cfg.Sync.Phonebook
	}
	return in.name + " CRM"
}

// ErrPhonebookTaken is returned when the configured phonebook exists and
// holds contacts of another source.
var ErrPhonebookTaken = errors.New("phonebook belongs to another source")

// phonebook returns the id of the integration's phonebook, creating it
// (read-only, visible to every extension) when missing.
func (in *Integration) phonebook(ctx context.Context) (string, error) {
	in.pbMu.Lock()
	defer in.pbMu.Unlock()
	if in.pbID != "" {
		return in.pbID, nil
	}
	src := "crm:" + in.name
	name := in.phonebookName()
	pb, err := in.s.opts.Store.PhonebookByName(ctx, name)
	switch {
	case err == nil:
		if pb.Source != src {
			return "", fmt.Errorf("%w: %q has source %q, not %s", ErrPhonebookTaken, name, pb.Source, src)
		}
	case errors.Is(err, store.ErrNotFound):
		if pb, err = in.s.opts.Store.SyncPhonebook(ctx, lookup.Phonebook{Name: name, ViewAll: true, Source: src, ReadOnly: true}); err != nil {
			return "", err
		}
	default:
		return "", err
	}
	in.pbID = pb.ID
	return pb.ID, nil
}

// remember writes c as a read-only contact of the integration's phonebook
// and returns its store id. number (the caller's) is added when none of the
// contact's numbers has its key, so the next call is named locally.
func (in *Integration) remember(ctx context.Context, c crm.Contact, number string) (string, error) {
	pb, err := in.phonebook(ctx)
	if err != nil {
		return "", err
	}
	lc := in.toContact(c, number)
	lc.ID = in.s.refs.storeID(in.name, c.Type, c.ID)
	lc.Phonebooks = []string{pb}
	saved, err := in.s.opts.Store.SyncContact(ctx, lc)
	if err != nil {
		return "", err
	}
	r := ref{StoreID: saved.ID, Integration: in.name, Type: c.Type, ID: c.ID, URL: c.URL, Synced: in.s.opts.Now()}
	return saved.ID, in.s.refs.put(ctx, r)
}

// toContact maps a CRM contact to a store contact, dropping numbers the
// store would refuse.
func (in *Integration) toContact(c crm.Contact, number string) lookup.Contact {
	lc := lookup.Contact{
		FirstName: c.FirstName, LastName: c.LastName, Company: c.Company, Email: c.Email,
		Business: c.Business, Business2: c.Business2, BusinessFax: c.BusinessFax, Mobile: c.Mobile,
		Mobile2: c.Mobile2, Home: c.Home, Home2: c.Home2, HomeFax: c.HomeFax, Other: c.Other,
		Zip: c.ZipCode, Street: c.Street, City: c.City, State: c.State, Country: c.Country,
		Remark: c.Remark, Source: "crm:" + in.name, ReadOnly: true,
	}
	want, _ := in.s.opts.Normalize(number)
	has := false
	for _, p := range lc.NumberFields() {
		if *p == "" {
			continue
		}
		k, err := in.s.opts.Normalize(*p)
		if err != nil {
			*p = ""
			continue
		}
		has = has || k == want
	}
	if !has && want != "" {
		for _, p := range []*string{&lc.Other, &lc.Business2, &lc.Mobile2, &lc.Home2} {
			if *p == "" {
				*p = number
				break
			}
		}
	}
	if strings.TrimSpace(lc.FirstName+lc.LastName+lc.Company) == "" {
		lc.LastName = c.DisplayName()
	}
	return lc
}

// forget removes the synced contact storeID (the CRM no longer has it).
func (in *Integration) forget(storeID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.s.opts.Store.DeleteSynced(ctx, storeID); err != nil && !errors.Is(err, store.ErrNotFound) {
		in.s.log.Warn("crm contact gone from the CRM but not removed", "integration", in.name, "err", err)
		return
	}
	if err := in.s.refs.del(ctx, storeID); err != nil {
		in.s.log.Warn("crm contact reference not removed", "integration", in.name, "err", err)
	}
}

// contactFor returns the CRM contact behind a store contact id (nil when
// the contact is not from this integration).
func (in *Integration) contactFor(ctx context.Context, storeID string) *crm.Contact {
	r, ok := in.s.refs.get(storeID)
	if !ok || r.Integration != in.name {
		return nil
	}
	c := &crm.Contact{ID: r.ID, Type: r.Type, URL: r.URL}
	if lc, err := in.s.opts.Store.GetContact(ctx, storeID); err == nil {
		c.FirstName, c.LastName, c.Company, c.Email = lc.FirstName, lc.LastName, lc.Company, lc.Email
	}
	return c
}
