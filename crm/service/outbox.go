package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"cidproxy/crm"
	"cidproxy/sip/event"
)

// Entry is one journal record waiting for (or done with) delivery.
type Entry struct {
	// Key is the idempotency key: integration/hash(call id).
	Key         string      `json:"key"`
	Integration string      `json:"integration"`
	Event       event.Event `json:"event"`
	Created     time.Time   `json:"created"`
	Attempts    int         `json:"attempts"`
	NextTry     time.Time   `json:"next_try"`
	LastError   string      `json:"last_error,omitempty"`
	// Sending is set, persisted, before a delivery attempt: an entry found
	// with it after a restart may have reached the CRM already.
	Sending bool `json:"sending,omitempty"`
}

// EntryKey is the idempotency key of a call's record for an integration.
func EntryKey(integration, callID string) string {
	h := sha256.Sum256([]byte(callID))
	return integration + "/" + hex.EncodeToString(h[:12])
}

// ErrDuplicate is returned by Outbox.Add for a key already added.
var ErrDuplicate = errors.New("journal: record already added")

// Outbox is the journal's durable queue. The single-node implementation
// keeps it in Badger (NewKVOutbox); cluster mode replaces it with a
// replicated work queue. Implementations must be safe for concurrent use.
type Outbox interface {
	// Add persists e; a key added before (pending, dead or done) is
	// ErrDuplicate. It must be durable when it returns.
	Add(ctx context.Context, e Entry) error
	// Due returns up to limit pending entries whose NextTry is not after now.
	Due(ctx context.Context, now time.Time, limit int) ([]Entry, error)
	// Update stores a pending entry's new state (attempts, next try).
	Update(ctx context.Context, e Entry) error
	// Done marks e delivered (or not to be delivered) and removes it.
	Done(ctx context.Context, key string) error
	// Dead moves e to the dead letters.
	Dead(ctx context.Context, e Entry) error
	// DeadLetters lists the dead letters of integration ("" = all).
	DeadLetters(ctx context.Context, integration string) ([]Entry, error)
	// Retry moves a dead letter back to pending, due now.
	Retry(ctx context.Context, key string, now time.Time) error
	// Drop deletes a dead letter.
	Drop(ctx context.Context, key string) error
	// Depth returns the number of pending entries and dead letters.
	Depth(ctx context.Context) (pending, dead int, err error)
}

// KVOutbox is the Badger-backed Outbox (entries sealed: they hold numbers
// and names).
type KVOutbox struct {
	kv      crm.KV
	secrets *crm.SecretStore
	mu      sync.Mutex // serialises Add's check-then-put and moves
	// index holds the pending entries' due times (loaded on first use), so
	// Due unseals only entries that are due, not a backlog of hours.
	index  map[string]dueInfo
	dead   int
	loaded bool
}

type dueInfo struct{ next, created time.Time }

var _ Outbox = (*KVOutbox)(nil)

const (
	obPending = "journal/pending/"
	obDead    = "journal/dead/"
	obDone    = "journal/done/"
	doneTTL   = 7 * 24 * time.Hour
)

// NewKVOutbox returns an outbox in kv.
func NewKVOutbox(kv crm.KV, sealer *crm.Sealer) *KVOutbox {
	return &KVOutbox{kv: kv, secrets: crm.NewSecretStore(kv, sealer)}
}

func (o *KVOutbox) exists(ctx context.Context, key string) (bool, error) {
	for _, p := range []string{obPending, obDead, obDone} {
		_, err := o.kv.Get(ctx, p+key)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, crm.ErrNotFound) {
			return false, err
		}
	}
	return false, nil
}

// Add implements Outbox.
func (o *KVOutbox) Add(ctx context.Context, e Entry) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	ok, err := o.exists(ctx, e.Key)
	if err != nil {
		return err
	}
	if ok {
		return ErrDuplicate
	}
	if err := o.load(ctx); err != nil {
		return err
	}
	if err := o.secrets.PutJSON(ctx, obPending+e.Key, e); err != nil {
		return err
	}
	o.index[e.Key] = dueInfo{e.NextTry, e.Created}
	return nil
}

// load reads the pending index and dead-letter count once (o.mu held).
func (o *KVOutbox) load(ctx context.Context) error {
	if o.loaded {
		return nil
	}
	all, err := o.list(ctx, obPending)
	if err != nil {
		return err
	}
	d, err := o.kv.List(ctx, obDead)
	if err != nil {
		return err
	}
	o.index = make(map[string]dueInfo, len(all))
	for _, e := range all {
		o.index[e.Key] = dueInfo{e.NextTry, e.Created}
	}
	o.dead, o.loaded = len(d), true
	return nil
}

func (o *KVOutbox) list(ctx context.Context, prefix string) ([]Entry, error) {
	keys, err := o.kv.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(keys))
	for _, k := range keys {
		var e Entry
		if err := o.secrets.GetJSON(ctx, k, &e); err != nil {
			if errors.Is(err, crm.ErrNotFound) {
				continue
			}
			return nil, fmt.Errorf("journal: %s: %w", k, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Due implements Outbox: the oldest due entries first.
func (o *KVOutbox) Due(ctx context.Context, now time.Time, limit int) ([]Entry, error) {
	o.mu.Lock()
	if err := o.load(ctx); err != nil {
		o.mu.Unlock()
		return nil, err
	}
	var keys []string
	for k, d := range o.index {
		if !d.next.After(now) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return o.index[keys[i]].created.Before(o.index[keys[j]].created) })
	o.mu.Unlock()
	if len(keys) > limit {
		keys = keys[:limit]
	}
	out := make([]Entry, 0, len(keys))
	for _, k := range keys {
		var e Entry
		if err := o.secrets.GetJSON(ctx, obPending+k, &e); err != nil {
			if errors.Is(err, crm.ErrNotFound) {
				continue
			}
			return nil, fmt.Errorf("journal: %s: %w", k, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Update implements Outbox.
func (o *KVOutbox) Update(ctx context.Context, e Entry) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.secrets.PutJSON(ctx, obPending+e.Key, e); err != nil {
		return err
	}
	if o.index != nil {
		o.index[e.Key] = dueInfo{e.NextTry, e.Created}
	}
	return nil
}

// Done implements Outbox: the done marker is written before the pending
// entry is deleted, so a crash in between never resends.
func (o *KVOutbox) Done(ctx context.Context, key string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.kv.Put(ctx, obDone+key, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
		return err
	}
	if err := o.kv.Delete(ctx, obPending+key); err != nil {
		return err
	}
	delete(o.index, key)
	return nil
}

// Dead implements Outbox.
func (o *KVOutbox) Dead(ctx context.Context, e Entry) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e.Sending = false
	if err := o.secrets.PutJSON(ctx, obDead+e.Key, e); err != nil {
		return err
	}
	if err := o.kv.Delete(ctx, obPending+e.Key); err != nil {
		return err
	}
	delete(o.index, e.Key)
	o.dead++
	return nil
}

// DeadLetters implements Outbox.
func (o *KVOutbox) DeadLetters(ctx context.Context, integration string) ([]Entry, error) {
	p := obDead
	if integration != "" {
		p += integration + "/"
	}
	return o.list(ctx, p)
}

// Retry implements Outbox.
func (o *KVOutbox) Retry(ctx context.Context, key string, now time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var e Entry
	if err := o.secrets.GetJSON(ctx, obDead+key, &e); err != nil {
		return err
	}
	e.Attempts, e.NextTry, e.LastError = 0, now, ""
	if err := o.load(ctx); err != nil {
		return err
	}
	if err := o.secrets.PutJSON(ctx, obPending+key, e); err != nil {
		return err
	}
	if err := o.kv.Delete(ctx, obDead+key); err != nil {
		return err
	}
	o.index[key] = dueInfo{e.NextTry, e.Created}
	o.dead--
	return nil
}

// Drop implements Outbox.
func (o *KVOutbox) Drop(ctx context.Context, key string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, err := o.kv.Get(ctx, obDead+key); err != nil {
		return err
	}
	if err := o.kv.Put(ctx, obDone+key, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
		return err
	}
	if err := o.kv.Delete(ctx, obDead+key); err != nil {
		return err
	}
	o.dead--
	return nil
}

// Depth implements Outbox.
func (o *KVOutbox) Depth(ctx context.Context) (int, int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.load(ctx); err != nil {
		return 0, 0, err
	}
	return len(o.index), o.dead, nil
}

// Prune forgets done markers older than seven days.
func (o *KVOutbox) Prune(ctx context.Context, now time.Time) error {
	keys, err := o.kv.List(ctx, obDone)
	if err != nil {
		return err
	}
	for _, k := range keys {
		v, err := o.kv.Get(ctx, k)
		if err != nil {
			continue
		}
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(string(v))); err != nil || now.Sub(t) > doneTTL {
			if err := o.kv.Delete(ctx, k); err != nil {
				return err
			}
		}
	}
	return nil
}
