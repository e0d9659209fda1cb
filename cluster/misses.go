package cluster

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"cidproxy/crm/service"
)

// missBucketTTL bounds how long any miss is kept in the bucket; a longer
// miss_ttl is cut to it.
const missBucketTTL = 24 * time.Hour

// Misses shares the CRM miss caches between nodes: a key-value bucket
// (key INTEGRATION.base64(number key), value the expiry) mirrored in
// memory by a watch, so Has never waits for the network; Put and Del
// write the bucket (and the mirror at once).
type Misses struct {
	c  *Conn
	kv atomic.Pointer[jetstream.KeyValue]
	w  jetstream.KeyWatcher

	mu    sync.RWMutex
	m     map[string]map[string]time.Time // integration -> key -> expiry
	puts  int                             // since the last sweep
	wg    sync.WaitGroup                  // bucket writes in flight
	ready chan struct{}
}

// NewMisses creates (or joins) the bucket and starts mirroring it; Close
// stops.
func NewMisses(ctx context.Context, c *Conn) (*Misses, error) {
	ms := newMisses(c)
	return ms, ms.attach(ctx)
}

// newMisses returns a cache that stays on this node until attach.
func newMisses(c *Conn) *Misses {
	return &Misses{c: c, m: map[string]map[string]time.Time{}, ready: make(chan struct{})}
}

// attach creates (or joins) the bucket and starts mirroring it.
func (ms *Misses) attach(ctx context.Context) error {
	if ms.kv.Load() != nil {
		return nil
	}
	kv, err := ms.c.bucket(ctx, "CRM_MISSES", missBucketTTL, 1)
	if err != nil {
		return err
	}
	w, err := kv.WatchAll(context.Background())
	if err != nil {
		return err
	}
	ms.w = w
	ms.kv.Store(&kv)
	go ms.mirror()
	return nil
}

func missKey(integration, key string) string {
	return integration + "." + base64.RawURLEncoding.EncodeToString([]byte(key))
}

func (ms *Misses) mirror() {
	loaded := false
	for ent := range ms.w.Updates() {
		if ent == nil {
			if !loaded {
				loaded = true
				close(ms.ready)
			}
			continue
		}
		integ, enc, ok := strings.Cut(ent.Key(), ".")
		k, err := base64.RawURLEncoding.DecodeString(enc)
		if !ok || err != nil {
			continue
		}
		exp, perr := time.Parse(time.RFC3339Nano, string(ent.Value()))
		ms.mu.Lock()
		if ent.Operation() != jetstream.KeyValuePut || perr != nil {
			delete(ms.m[integ], string(k))
		} else {
			ms.set(integ, string(k), exp)
		}
		ms.mu.Unlock()
	}
}

// sweepEvery is how many puts pass between sweeps of expired misses (the
// bucket's own expiry is not seen by the watch).
const sweepEvery = 4096

// set stores a miss (ms.mu held) and now and then forgets expired ones.
func (ms *Misses) set(integ, k string, exp time.Time) {
	if ms.m[integ] == nil {
		ms.m[integ] = map[string]time.Time{}
	}
	ms.m[integ][k] = exp
	if ms.puts++; ms.puts >= sweepEvery {
		ms.puts = 0
		now := time.Now()
		for _, keys := range ms.m {
			for key, e := range keys {
				if now.After(e) {
					delete(keys, key)
				}
			}
		}
	}
}

// Ready is closed when the mirror holds the bucket's contents.
func (ms *Misses) Ready() <-chan struct{} { return ms.ready }

// For returns the miss cache of integration (service.Options.Misses).
func (ms *Misses) For(integration string) service.MissCache {
	return missView{ms, integration}
}

// Close waits for bucket writes in flight and stops the mirror.
func (ms *Misses) Close() error {
	ms.wg.Wait()
	if ms.kv.Load() == nil {
		return nil
	}
	return ms.w.Stop()
}

type missView struct {
	ms    *Misses
	integ string
}

func (v missView) Has(key string, now time.Time) bool {
	v.ms.mu.RLock()
	exp, ok := v.ms.m[v.integ][key]
	v.ms.mu.RUnlock()
	return ok && !now.After(exp)
}

func (v missView) Put(key string, exp time.Time) {
	v.ms.mu.Lock()
	v.ms.set(v.integ, key, exp)
	v.ms.mu.Unlock()
	v.write(func(ctx context.Context, kv jetstream.KeyValue, k string) error {
		_, err := kv.Put(ctx, k, []byte(exp.UTC().Format(time.RFC3339Nano)))
		return err
	}, key)
}

func (v missView) Del(key string) {
	v.ms.mu.Lock()
	delete(v.ms.m[v.integ], key)
	v.ms.mu.Unlock()
	v.write(func(ctx context.Context, kv jetstream.KeyValue, k string) error { return kv.Delete(ctx, k) }, key)
}

// write runs one bucket write in the background (a CRM search must not
// wait for NATS), bounded; a failure, or NATS unreachable, leaves the
// miss to this node only (the other nodes ask the CRM once more).
func (v missView) write(f func(context.Context, jetstream.KeyValue, string) error, key string) {
	kv := v.ms.kv.Load()
	if kv == nil || !v.ms.c.Connected() {
		return
	}
	v.ms.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := f(ctx, *kv, missKey(v.integ, key)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			v.ms.c.log.Warn("crm miss cache: bucket write failed", "integration", v.integ, "err", err)
		}
	})
}

func (v missView) Len() int {
	v.ms.mu.RLock()
	defer v.ms.mu.RUnlock()
	return len(v.ms.m[v.integ])
}
