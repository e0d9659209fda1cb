package event

import (
	"sync"
	"sync/atomic"
)

// Bus fans events out to subscribers. Publish never blocks: a subscriber
// whose buffer is full loses the event and the loss is counted.
type Bus struct {
	mu        sync.RWMutex
	subs      []*Subscription
	recorders []Recorder
	closed    bool

	emitted [numKinds]atomic.Uint64
}

const numKinds = 7

var kindIndex = map[Kind]int{Ringing: 0, Answered: 1, Ended: 2, Missed: 3, Cancelled: 4, Busy: 5, Failed: 6}

// Subscription is one consumer's bounded queue.
type Subscription struct {
	name    string
	ch      chan Event
	dropped [numKinds]atomic.Uint64
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{} }

// Subscribe registers a consumer with a queue of size buf (minimum 1).
// The channel is closed by Close.
func (b *Bus) Subscribe(name string, buf int) *Subscription {
	if buf < 1 {
		buf = 1
	}
	s := &Subscription{name: name, ch: make(chan Event, buf)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(s.ch)
		return s
	}
	b.subs = append(b.subs, s)
	return s
}

// Recorder is a consumer that must not lose events (the call journal's
// outbox): Publish calls Record synchronously, before fanning the event out,
// so it must be quick (a local write) and must not block on the network.
type Recorder interface {
	Record(Event)
}

// AddRecorder registers r; call it before events flow.
func (b *Bus) AddRecorder(r Recorder) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.recorders = append(b.recorders, r)
}

// Publish hands e to every Recorder, then delivers it to every subscriber
// without blocking.
func (b *Bus) Publish(e Event) {
	i, ok := kindIndex[e.Kind]
	if !ok {
		return
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return
	}
	b.emitted[i].Add(1)
	for _, r := range b.recorders {
		r.Record(e)
	}
	for _, s := range b.subs {
		select {
		case s.ch <- e:
		default:
			s.dropped[i].Add(1)
		}
	}
}

// Close closes every subscriber channel; later publishes are ignored.
// Subscribers drain what is still queued.
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for _, s := range b.subs {
		close(s.ch)
	}
}

// Events returns the subscriber's queue.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Name returns the subscriber's name.
func (s *Subscription) Name() string { return s.name }

// Stat is a counter snapshot for one subscriber (or the bus when Subscriber is empty) and kind.
type Stat struct {
	Subscriber string
	Kind       Kind
	Emitted    uint64 // only set on bus rows
	Dropped    uint64
	Queued     int // only set on the first row of a subscriber
}

// Stats returns counters for metrics collection at scrape time.
func (b *Bus) Stats() []Stat {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]Stat, 0, len(Kinds)*(1+len(b.subs)))
	for _, k := range Kinds {
		out = append(out, Stat{Kind: k, Emitted: b.emitted[kindIndex[k]].Load()})
	}
	for _, s := range b.subs {
		for j, k := range Kinds {
			st := Stat{Subscriber: s.name, Kind: k, Dropped: s.dropped[kindIndex[k]].Load()}
			if j == 0 {
				st.Queued = len(s.ch)
			}
			out = append(out, st)
		}
	}
	return out
}
