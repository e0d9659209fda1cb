package cluster

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"cidproxy/crm/service"
)

// localOutbox is the node's own durable outbox (service.KVOutbox).
type localOutbox interface {
	service.Outbox
	Prune(ctx context.Context, now time.Time) error
}

// Composite is the journal outbox of a cluster node. Add writes the
// record to the node's Badger outbox (a local write: the event bus calls
// it synchronously and it must not wait for the network) and wakes Run,
// which forwards it to the replicated Outbox at once, under its key as
// message id (a forward retried after a lost PubAck is dropped by the
// server's dedup), and removes it locally only after the PubAck. While
// NATS is unreachable records wait locally. Deliveries, dead letters and
// their management all go through the replicated outbox.
type Composite struct {
	conn   *Conn
	remote atomic.Pointer[Outbox]
	Local  localOutbox
	wake   chan struct{}
}

var _ service.Outbox = (*Composite)(nil)

// NewComposite returns the outbox of a node on conn over local; until
// SetRemote (the journal stream could be set up) every record waits
// locally.
func NewComposite(conn *Conn, local localOutbox, remote *Outbox) *Composite {
	c := &Composite{conn: conn, Local: local, wake: make(chan struct{}, 1)}
	if remote != nil {
		c.remote.Store(remote)
	}
	return c
}

// SetRemote attaches the replicated outbox.
func (c *Composite) SetRemote(o *Outbox) { c.remote.Store(o) }

// errNotReady answers what needs the replicated outbox before it is set up.
var errNotReady = errors.New("cluster: the replicated journal is not set up yet (NATS unreachable since start)")

// up returns the replicated outbox when it is set up and NATS is connected.
func (c *Composite) up() *Outbox {
	if r := c.remote.Load(); r != nil && c.conn.Connected() {
		return r
	}
	return nil
}

// rem returns the replicated outbox or errNotReady.
func (c *Composite) rem() (*Outbox, error) {
	if r := c.remote.Load(); r != nil {
		return r, nil
	}
	return nil, errNotReady
}

// forwardBatch is how many local records one forwarding pass moves.
const forwardBatch = 256

// Add implements service.Outbox: durable on this node's disk when it
// returns; forwarded to the replicated journal by Run.
func (c *Composite) Add(ctx context.Context, e service.Entry) error {
	if err := c.Local.Add(ctx, e); err != nil {
		return err
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// Due implements service.Outbox: nothing is due while NATS is unreachable.
func (c *Composite) Due(ctx context.Context, now time.Time, limit int) ([]service.Entry, error) {
	r := c.up()
	if r == nil {
		return nil, nil
	}
	return r.Due(ctx, now, limit)
}

// Update implements service.Outbox.
func (c *Composite) Update(ctx context.Context, e service.Entry) error {
	r, err := c.rem()
	if err != nil {
		return err
	}
	return r.Update(ctx, e)
}

// Done implements service.Outbox.
func (c *Composite) Done(ctx context.Context, key string) error {
	r, err := c.rem()
	if err != nil {
		return err
	}
	return r.Done(ctx, key)
}

// Dead implements service.Outbox.
func (c *Composite) Dead(ctx context.Context, e service.Entry) error {
	r, err := c.rem()
	if err != nil {
		return err
	}
	return r.Dead(ctx, e)
}

// DeadLetters implements service.Outbox.
func (c *Composite) DeadLetters(ctx context.Context, integration string) ([]service.Entry, error) {
	r, err := c.rem()
	if err != nil {
		return nil, err
	}
	return r.DeadLetters(ctx, integration)
}

// Retry implements service.Outbox.
func (c *Composite) Retry(ctx context.Context, key string, now time.Time) error {
	r, err := c.rem()
	if err != nil {
		return err
	}
	return r.Retry(ctx, key, now)
}

// Drop implements service.Outbox.
func (c *Composite) Drop(ctx context.Context, key string) error {
	r, err := c.rem()
	if err != nil {
		return err
	}
	return r.Drop(ctx, key)
}

// Depth implements service.Outbox: the records waiting locally count as
// pending; while NATS is unreachable only they are counted.
func (c *Composite) Depth(ctx context.Context) (int, int, error) {
	lp, ld, err := c.Local.Depth(ctx)
	if err != nil {
		return 0, 0, err
	}
	r := c.up()
	if r == nil {
		return lp, ld, nil
	}
	rp, rd, err := r.Depth(ctx)
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
			c.conn.m.localPending.Set(float64(p))
		}
	}()
	for r := c.up(); r != nil; r = c.up() {
		es, err := c.Local.Due(ctx, time.Now().Add(100*365*24*time.Hour), forwardBatch)
		if err != nil || len(es) == 0 {
			return n, err
		}
		for _, e := range es {
			e.Sending = false
			if err := r.Add(ctx, e); err != nil && !errors.Is(err, service.ErrDuplicate) {
				return n, err
			}
			if err := c.Local.Done(ctx, e.Key); err != nil {
				return n, err
			}
			n++
			c.conn.m.forwarded.Inc()
		}
	}
	return n, nil
}

// Run forwards local records when Add wakes it, and every interval,
// until ctx ends.
func (c *Composite) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := c.Forward(ctx); err != nil && ctx.Err() == nil {
			c.conn.log.Warn("journal records not forwarded to NATS yet", "forwarded", n, "err", err)
		} else if n > 0 {
			c.conn.log.Info("journal records forwarded to NATS", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.wake:
		}
	}
}
