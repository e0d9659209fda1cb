package cluster

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"cidproxy/crm"
)

// Node is what cluster mode adds to a daemon, built before NATS answers:
// until Setup has created the streams and buckets, journal records wait
// in the local outbox, popup claims and CRM misses stay on this node and
// no lease is granted (scheduled syncs wait). Run retries Setup and then
// forwards the local records.
type Node struct {
	Conn   *Conn
	Outbox *Composite
	Misses *Misses
	Claims *Claims
	Leases *Leases

	sealer *crm.Sealer
	setup  atomic.Bool
}

// leaseTTL is how long a dead holder's lease outlives it.
const leaseTTL = 30 * time.Second

// NewNode builds the parts on conn; local is the node's Badger outbox.
func NewNode(conn *Conn, local localOutbox, sealer *crm.Sealer) *Node {
	l, _ := newLeases(conn, leaseTTL)
	return &Node{
		Conn: conn, Outbox: NewComposite(conn, local, nil), Misses: newMisses(conn),
		Claims: newClaims(conn), Leases: l, sealer: sealer,
	}
}

// Setup creates (or joins) the streams and buckets and attaches them.
func (n *Node) Setup(ctx context.Context) error {
	if n.setup.Load() {
		return nil
	}
	o, err := NewOutbox(ctx, n.Conn, OutboxOptions{Sealer: n.sealer})
	if err != nil {
		return err
	}
	for _, attach := range []func(context.Context) error{n.Misses.attach, n.Claims.attach, n.Leases.attach} {
		if err := attach(ctx); err != nil {
			return err
		}
	}
	n.Outbox.SetRemote(o)
	n.setup.Store(true)
	return nil
}

// Run sets the node up (retrying every few seconds while NATS does not
// answer) and then forwards locally kept journal records until ctx ends.
func (n *Node) Run(ctx context.Context) error {
	for {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := n.Setup(sctx)
		cancel()
		if err == nil {
			break
		}
		n.Conn.log.Warn("cluster not set up yet: NATS unreachable", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(3 * time.Second):
		}
	}
	n.Outbox.Run(ctx, 2*time.Second)
	return nil
}

// Ready is nil when the node is set up and connected to NATS.
func (n *Node) Ready(ctx context.Context) error {
	if !n.setup.Load() {
		return errors.New("cluster streams not set up (NATS unreachable)")
	}
	return n.Conn.Ready(ctx)
}

// Close stops the mirror and drains the connection.
func (n *Node) Close() {
	_ = n.Misses.Close()
	n.Conn.Close()
}
