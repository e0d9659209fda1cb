package stream

import (
	"context"
	"sync"
	"time"
)

// Local is the single-node Fanout: it delivers to its own hub.
type Local struct{ Hub *Hub }

// Publish delivers m to the hub's clients.
func (l Local) Publish(_ context.Context, m Message) error {
	l.Hub.Deliver(m)
	return nil
}

// Claimer records which browser tab opens a popup: the first Claim of a
// key wins. A cluster implements it with a put-if-absent store.
type Claimer interface {
	Claim(ctx context.Context, key string) (bool, error)
}

// MemClaims is the in-memory Claimer; claims are forgotten after an hour.
type MemClaims struct {
	now    func() time.Time
	mu     sync.Mutex
	seen   map[string]time.Time
	pruned time.Time
}

// NewMemClaims returns an empty claim set on the clock now.
func NewMemClaims(now func() time.Time) *MemClaims {
	return &MemClaims{now: now, seen: map[string]time.Time{}}
}

// Claim reports whether key was not claimed before, and claims it.
func (c *MemClaims) Claim(_ context.Context, key string) (bool, error) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.pruned) > time.Minute {
		c.pruned = now
		pruneOlder(c.seen, now.Add(-time.Hour))
	}
	if _, ok := c.seen[key]; ok {
		return false, nil
	}
	c.seen[key] = now
	return true, nil
}
