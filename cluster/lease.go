package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Leases hands scheduled work to one node at a time: a lease is a key in
// a bucket whose entries expire after ttl. The holder renews it every
// ttl/3 while its work runs; when the holder dies its lease expires and
// the next attempt of another node gets it.
type Leases struct {
	c   *Conn
	kv  atomic.Pointer[jetstream.KeyValue]
	ttl time.Duration
}

// errLeasesNotReady: no lease is granted before the bucket is set up.
var errLeasesNotReady = errors.New("cluster: lease bucket not set up yet (NATS unreachable since start)")

// NewLeases creates (or joins) the lease bucket; ttl is at least 3 s.
func NewLeases(ctx context.Context, c *Conn, ttl time.Duration) (*Leases, error) {
	l, err := newLeases(c, ttl)
	if err != nil {
		return nil, err
	}
	return l, l.attach(ctx)
}

func newLeases(c *Conn, ttl time.Duration) (*Leases, error) {
	if ttl < 3*time.Second {
		return nil, fmt.Errorf("cluster: lease ttl %s: at least 3s", ttl)
	}
	return &Leases{c: c, ttl: ttl}, nil
}

func (l *Leases) attach(ctx context.Context) error {
	if l.kv.Load() != nil {
		return nil
	}
	kv, err := l.c.bucket(ctx, "LEASES", l.ttl, 1)
	if err != nil {
		return err
	}
	l.kv.Store(&kv)
	return nil
}

func (l *Leases) bucket() (jetstream.KeyValue, error) {
	kv := l.kv.Load()
	if kv == nil {
		return nil, errLeasesNotReady
	}
	return *kv, nil
}

// Holder returns the node holding lease name ("" when none).
func (l *Leases) Holder(ctx context.Context, name string) (string, error) {
	kv, err := l.bucket()
	if err != nil {
		return "", err
	}
	ent, err := kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return string(ent.Value()), nil
}

// Do runs fn if this node gets lease name; ran is false when another node
// holds it. fn's context ends when the lease is lost (a renewal failed).
// The lease is not released when fn returns: it expires after ttl, so the
// same schedule firing a moment later on another node does not run the
// work again (schedules are at least a minute apart).
func (l *Leases) Do(ctx context.Context, name string, fn func(context.Context)) (ran bool, err error) {
	kv, err := l.bucket()
	if err != nil {
		return false, err
	}
	actx, cancel := context.WithTimeout(ctx, 2*time.Second)
	rev, err := kv.Create(actx, name, []byte(l.c.Node))
	cancel()
	if errors.Is(err, jetstream.ErrKeyExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cluster: lease %s: %w", name, err)
	}
	g := l.c.m.leaseHeld.WithLabelValues(name)
	g.Set(1)
	defer g.Set(0)
	wctx, lost := context.WithCancel(ctx)
	defer lost()
	done := make(chan struct{})
	go l.renew(wctx, kv, name, rev, lost, done)
	fn(wctx)
	lost()
	<-done
	return true, nil
}

// renew keeps the lease until ctx ends; a failed renewal calls lost.
func (l *Leases) renew(ctx context.Context, kv jetstream.KeyValue, name string, rev uint64, lost context.CancelFunc, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, l.ttl/3)
		next, err := kv.Update(rctx, name, []byte(l.c.Node), rev)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				l.c.log.Warn("lease lost: work stopped", "lease", name, "err", err)
				lost()
			}
			return
		}
		rev = next
	}
}
