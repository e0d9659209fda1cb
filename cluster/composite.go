package cluster

import (
	"context"
	"errors"
	"time"

	"cidproxy/crm/service"
)

// localOutbox is the node's own durable outbox (service.KVOutbox).
type localOutbox interface {
	service.Outbox
	Prune(ctx context.Context, now time.Time) error
}

// Composite is the journal outbox of a cluster node: records go to the
// replicated Outbox; when NATS cannot take one (unreachable, no PubAck in
// time) it waits in the local outbox (Badger, durable) and Run forwards it
// under the same message id when NATS is back (so a record whose PubAck
// was lost is not stored twice within the dedup window). Deliveries, dead
// letters and their management all go through the replicated outbox.
type Composite struct {
	Remote *Outbox
	Local  localOutbox
	// PublishTimeout bounds one Add to NATS before it falls back (default 5 s).
	PublishTimeout time.Duration
}

var _ service.Outbox = (*Composite)(nil)

// forwardBatch is how many local records one forwarding pass moves.
const forwardBatch = 256

// Add implements service.Outbox.
func (c *Composite) Add(ctx context.Context, e service.Entry) error {
	if c.Remote.c.Connected() {
		t := c.PublishTimeout
		if t <= 0 {
			t = 5 * time.Second
		}
		rctx, cancel := context.WithTimeout(ctx, t)
		err := c.Remote.Add(rctx, e)
		cancel()
		if err == nil || errors.Is(err, service.ErrDuplicate) {
			return err
		}
		c.Remote.c.log.Warn("journal record kept locally: NATS did not store it", "err", err)
	}
	return c.Local.Add(ctx, e)
}

// Due implements service.Outbox: nothing is due while NATS is unreachable.
func (c *Composite) Due(ctx context.Context, now time.Time, limit int) ([]service.Entry, error) {
	if !c.Remote.c.Connected() {
		return nil, nil
	}
	return c.Remote.Due(ctx, now, limit)
}

// Update implements service.Outbox.
func (c *Composite) Update(ctx context.Context, e service.Entry) error {
	return c.Remote.Update(ctx, e)
}

// Done implements service.Outbox.
func (c *Composite) Done(ctx context.Context, key string) error { return c.Remote.Done(ctx, key) }

// Dead implements service.Outbox.
func (c *Composite) Dead(ctx context.Context, e service.Entry) error { return c.Remote.Dead(ctx, e) }

// DeadLetters implements service.Outbox.
func (c *Composite) DeadLetters(ctx context.Context, integration string) ([]service.Entry, error) {
	return c.Remote.DeadLetters(ctx, integration)
}

// Retry implements service.Outbox.
func (c *Composite) Retry(ctx context.Context, key string, now time.Time) error {
	return c.Remote.Retry(ctx, key, now)
}

// Drop implements service.Outbox.
func (c *Composite) Drop(ctx context.Context, key string) error { return c.Remote.Drop(ctx, key) }

// Depth implements service.Outbox: the records waiting locally count as
// pending; while NATS is unreachable only they are counted.
func (c *Composite) Depth(ctx context.Context) (int, int, error) {
	lp, ld, err := c.Local.Depth(ctx)
	if err != nil {
		return 0, 0, err
	}
	if !c.Remote.c.Connected() {
		return lp, ld, nil
	}
	rp, rd, err := c.Remote.Depth(ctx)
	return lp + rp, ld + rd, err
}

// Prune forgets the local outbox's old done markers.
func (c *Composite) Prune(ctx context.Context, now time.Time) error { return c.Local.Prune(ctx, now) }

// Forward moves the records waiting locally to the replicated outbox and
// returns how many it moved. A record stays local until NATS has stored it.
func (c *Composite) Forward(ctx context.Context) (int, error) {
	n := 0
	defer func() {
		if p, _, err := c.Local.Depth(ctx); err == nil {
			c.Remote.c.m.localPending.Set(float64(p))
		}
	}()
	for c.Remote.c.Connected() {
		es, err := c.Local.Due(ctx, time.Now().Add(100*365*24*time.Hour), forwardBatch)
		if err != nil || len(es) == 0 {
			return n, err
		}
		for _, e := range es {
			e.Sending = false
			if err := c.Remote.Add(ctx, e); err != nil && !errors.Is(err, service.ErrDuplicate) {
				return n, err
			}
			if err := c.Local.Done(ctx, e.Key); err != nil {
				return n, err
			}
			n++
			c.Remote.c.m.forwarded.Inc()
		}
	}
	return n, nil
}

// Run forwards local records every interval until ctx ends.
func (c *Composite) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := c.Forward(ctx); err != nil && ctx.Err() == nil {
			c.Remote.c.log.Warn("journal records not forwarded to NATS yet", "forwarded", n, "err", err)
		} else if n > 0 {
			c.Remote.c.log.Info("journal records forwarded to NATS", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
