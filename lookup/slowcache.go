package lookup

import "sync"

// slowCache remembers the keys of inputs that needed phonenumbers, so a
// caller whose number always arrives in an unusual form ("+49 (0)30 …", a
// region whose prefixes are patterns) pays the ~10 µs parse once. It is
// bounded: when full, an arbitrary entry makes room.
type slowCache struct {
	mu sync.RWMutex
	m  map[string]string
}

const (
	slowCacheSize     = 4096
	slowCacheMaxInput = 64
)

func (c *slowCache) get(s string) (string, bool) {
	c.mu.RLock()
	k, ok := c.m[s]
	c.mu.RUnlock()
	return k, ok
}

func (c *slowCache) put(s, k string) {
	if len(s) > slowCacheMaxInput {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]string)
	}
	if len(c.m) >= slowCacheSize {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[s] = k
}
