package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"cidproxy/crm"
	"cidproxy/crm/service"
)

// Journal stream settings.
const (
	// dedupWindow is how long the server remembers a Nats-Msg-Id (the
	// entry key): an Add of the same record within it is ErrDuplicate.
	dedupWindow = 10 * time.Minute
	// ackWait is how long a record fetched by a node that then dies stays
	// invisible before another node gets it. A delivery in progress
	// extends it (Update before the CRM request).
	ackWait = 30 * time.Second
	// doneTTL is how long a delivered record's key is remembered: a copy
	// stored again after its first was delivered and deleted (a publish
	// retried across a stream leader change, when the server rebuilds its
	// dedup table only from the records still stored) is dropped.
	doneTTL = 24 * time.Hour
	// aadRecord binds sealed stream records to their use.
	aadRecord = "journal/record"
)

// Outbox is the replicated journal outbox (service.Outbox): a JetStream
// work-queue stream of records (Nats-Msg-Id = the entry key, so a record
// added twice is stored once) consumed by one durable pull consumer that
// every node shares with explicit acks. A record leaves the stream only
// on a double ack (Done after the CRM's 2xx, or Dead). Back-off is a
// delayed nak; the attempt count, last error and the "sending" mark live
// in a key-value bucket (they survive the node), so the journal's own
// attempt limit moves a record to the dead letters, a second bucket.
// MaxDeliver stays unlimited: waits (circuit open, user links not loaded)
// are deliveries too and must not lose a record.
type Outbox struct {
	c      *Conn
	stream string
	cons   jetstream.Consumer
	state  jetstream.KeyValue
	dead   jetstream.KeyValue
	done   jetstream.KeyValue
	sealer *crm.Sealer
	now    func() time.Time
	// opTimeout bounds every request to NATS.
	opTimeout time.Duration

	mu       sync.Mutex
	inflight map[string]jetstream.Msg
}

var _ service.Outbox = (*Outbox)(nil)

// OutboxOptions configure NewOutbox; zero values pick the defaults.
type OutboxOptions struct {
	// Sealer encrypts the records at rest (they hold numbers and names).
	Sealer *crm.Sealer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// AckWait: how long a record fetched by a node that died stays
	// invisible to the others (default 30 s).
	AckWait time.Duration
	// OpTimeout bounds each request to NATS (default 5 s): during a leader
	// election a request may get no answer at all.
	OpTimeout time.Duration
}

// NewOutbox creates (or joins) the journal stream, consumer and buckets.
func NewOutbox(ctx context.Context, c *Conn, opts OutboxOptions) (*Outbox, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AckWait <= 0 {
		opts.AckWait = ackWait
	}
	if opts.OpTimeout <= 0 {
		opts.OpTimeout = 5 * time.Second
	}
	o := &Outbox{c: c, stream: c.name("JOURNAL"), sealer: opts.Sealer, now: opts.Now, opTimeout: opts.OpTimeout, inflight: map[string]jetstream.Msg{}}
	s, err := c.JS.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: o.stream, Subjects: []string{c.subject("journal", ">")},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
		Replicas: c.Replicas, Duplicates: dedupWindow,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: journal stream: %w", err)
	}
	o.cons, err = s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: "journal", AckPolicy: jetstream.AckExplicitPolicy, AckWait: opts.AckWait,
		MaxDeliver: -1, Replicas: c.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: journal consumer: %w", err)
	}
	if o.state, err = c.bucket(ctx, "JOURNAL_STATE", 0, 1); err != nil {
		return nil, err
	}
	if o.dead, err = c.bucket(ctx, "JOURNAL_DEAD", 0, 1); err != nil {
		return nil, err
	}
	if o.done, err = c.bucket(ctx, "JOURNAL_DONE", doneTTL, 1); err != nil {
		return nil, err
	}
	return o, nil
}

// op bounds one request to NATS.
func (o *Outbox) op(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, o.opTimeout)
}

func (o *Outbox) seal(e service.Entry, aad string) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil || o.sealer == nil {
		return b, err
	}
	return o.sealer.Seal(b, aad)
}

func (o *Outbox) open(b []byte, aad string) (service.Entry, error) {
	var e service.Entry
	if o.sealer != nil {
		var err error
		if b, err = o.sealer.Open(b, aad); err != nil {
			return e, err
		}
	}
	err := json.Unmarshal(b, &e)
	return e, err
}

// Add implements service.Outbox: it returns when the stream has stored
// the record (a PubAck; with 3 replicas, on a majority).
func (o *Outbox) Add(ctx context.Context, e service.Entry) error {
	ctx, cancel := o.op(ctx)
	defer cancel()
	return o.publish(ctx, e, e.Key)
}

func (o *Outbox) publish(ctx context.Context, e service.Entry, msgID string) error {
	data, err := o.seal(e, aadRecord)
	if err != nil {
		return err
	}
	ack, err := o.c.JS.Publish(ctx, o.c.subject("journal", e.Integration), data, jetstream.WithMsgID(msgID))
	if err != nil {
		return fmt.Errorf("cluster: journal publish: %w", err)
	}
	if ack.Duplicate {
		return service.ErrDuplicate
	}
	return nil
}

// Due implements service.Outbox: it fetches up to limit records from the
// shared consumer; a record not due yet goes back with a delay.
func (o *Outbox) Due(ctx context.Context, now time.Time, limit int) ([]service.Entry, error) {
	ctx, cancel := o.op(ctx)
	defer cancel()
	batch, err := o.cons.FetchNoWait(limit)
	if err != nil {
		return nil, fmt.Errorf("cluster: journal fetch: %w", err)
	}
	var out []service.Entry
	for msg := range batch.Messages() {
		e, err := o.open(msg.Data(), aadRecord)
		if err != nil {
			// Unreadable (wrong key?): kept in the stream, retried later.
			o.c.log.Warn("journal record unreadable", "err", err)
			_ = msg.NakWithDelay(time.Minute)
			continue
		}
		if _, err := o.done.Get(ctx, e.Key); err == nil {
			_ = msg.DoubleAck(ctx) // a copy of a record delivered already
			continue
		} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
			_ = msg.NakWithDelay(time.Second)
			continue
		}
		if err := o.loadState(ctx, &e); err != nil {
			_ = msg.NakWithDelay(time.Second)
			continue
		}
		if d := e.NextTry.Sub(now); d > 0 {
			_ = msg.NakWithDelay(d)
			continue
		}
		o.mu.Lock()
		o.inflight[e.Key] = msg
		o.mu.Unlock()
		out = append(out, e)
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && len(out) == 0 {
		return nil, fmt.Errorf("cluster: journal fetch: %w", err)
	}
	return out, nil
}

// loadState lays the record's saved state (attempts, back-off, sending
// mark) over e.
func (o *Outbox) loadState(ctx context.Context, e *service.Entry) error {
	ent, err := o.state.Get(ctx, e.Key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	st, err := o.open(ent.Value(), "journal/state/"+e.Key)
	if err != nil {
		return err
	}
	e.Attempts, e.NextTry, e.LastError, e.Sending = st.Attempts, st.NextTry, st.LastError, st.Sending
	return nil
}

func (o *Outbox) take(key string, keep bool) (jetstream.Msg, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	msg, ok := o.inflight[key]
	if !ok {
		return nil, fmt.Errorf("cluster: journal record %s is not being delivered by this node", key)
	}
	if !keep {
		delete(o.inflight, key)
	}
	return msg, nil
}

// Update implements service.Outbox: the state is saved; a later NextTry
// naks the record with that delay, otherwise the delivery goes on and
// its ack deadline is extended.
func (o *Outbox) Update(ctx context.Context, e service.Entry) error {
	ctx, cancel := o.op(ctx)
	defer cancel()
	d := e.NextTry.Sub(o.now())
	msg, err := o.take(e.Key, d <= 0)
	if err != nil {
		return err
	}
	data, err := o.seal(e, "journal/state/"+e.Key)
	if err != nil {
		return err
	}
	if _, err := o.state.Put(ctx, e.Key, data); err != nil {
		return fmt.Errorf("cluster: journal state: %w", err)
	}
	if d > 0 {
		return msg.NakWithDelay(d)
	}
	return msg.InProgress()
}

// Done implements service.Outbox: the key is marked done (so a copy is
// never delivered), then the record is double-acked (the server confirms
// it is gone from the work queue).
func (o *Outbox) Done(ctx context.Context, key string) error {
	ctx, cancel := o.op(ctx)
	defer cancel()
	msg, err := o.take(key, false)
	if err != nil {
		return err
	}
	if _, err := o.done.Put(ctx, key, nil); err != nil {
		return fmt.Errorf("cluster: journal done mark: %w", err)
	}
	if err := msg.DoubleAck(ctx); err != nil {
		return fmt.Errorf("cluster: journal ack: %w", err)
	}
	o.forget(ctx, key)
	return nil
}

func (o *Outbox) forget(ctx context.Context, key string) {
	if err := o.state.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		o.c.log.Warn("journal state not deleted", "err", err)
	}
}

// Dead implements service.Outbox: the record is kept in the dead-letter
// bucket, then acked out of the queue.
func (o *Outbox) Dead(ctx context.Context, e service.Entry) error {
	ctx, cancel := o.op(ctx)
	defer cancel()
	msg, err := o.take(e.Key, false)
	if err != nil {
		return err
	}
	e.Sending = false
	data, err := o.seal(e, "journal/dead/"+e.Key)
	if err != nil {
		return err
	}
	if _, err := o.dead.Put(ctx, e.Key, data); err != nil {
		_ = msg.Nak()
		return fmt.Errorf("cluster: journal dead letter: %w", err)
	}
	if err := msg.DoubleAck(ctx); err != nil {
		return fmt.Errorf("cluster: journal ack: %w", err)
	}
	o.forget(ctx, e.Key)
	return nil
}

// DeadLetters implements service.Outbox.
func (o *Outbox) DeadLetters(ctx context.Context, integration string) ([]service.Entry, error) {
	ctx, cancel := o.op(ctx)
	defer cancel()
	keys, err := o.deadKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []service.Entry
	for _, k := range keys {
		if integration != "" && !strings.HasPrefix(k, integration+"/") {
			continue
		}
		e, err := o.deadEntry(ctx, k)
		if errors.Is(err, crm.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (o *Outbox) deadKeys(ctx context.Context) ([]string, error) {
	l, err := o.dead.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil, nil
		}
		return nil, err
	}
	var keys []string
	for k := range l.Keys() {
		keys = append(keys, k)
	}
	return keys, nil
}

func (o *Outbox) deadEntry(ctx context.Context, key string) (service.Entry, error) {
	ent, err := o.dead.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return service.Entry{}, fmt.Errorf("journal: dead letter %s: %w", key, crm.ErrNotFound)
	}
	if err != nil {
		return service.Entry{}, err
	}
	return o.open(ent.Value(), "journal/dead/"+key)
}

// Retry implements service.Outbox: the dead letter is queued again (under
// a new message id, so deduplication lets it in) and then removed.
func (o *Outbox) Retry(ctx context.Context, key string, now time.Time) error {
	ctx, cancel := o.op(ctx)
	defer cancel()
	e, err := o.deadEntry(ctx, key)
	if err != nil {
		return err
	}
	e.Attempts, e.NextTry, e.LastError, e.Sending = 0, now, "", false
	o.forget(ctx, key)
	if err := o.publish(ctx, e, key+"#retry-"+strconv.FormatInt(now.UnixNano(), 10)); err != nil {
		return err
	}
	return o.dead.Delete(ctx, key)
}

// Drop implements service.Outbox.
func (o *Outbox) Drop(ctx context.Context, key string) error {
	ctx, cancel := o.op(ctx)
	defer cancel()
	if _, err := o.deadEntry(ctx, key); err != nil {
		return err
	}
	return o.dead.Delete(ctx, key)
}

// Depth implements service.Outbox: records in the queue (including those
// being delivered) and dead letters.
func (o *Outbox) Depth(ctx context.Context) (int, int, error) {
	ctx, cancel := o.op(ctx)
	defer cancel()
	s, err := o.c.JS.Stream(ctx, o.stream)
	if err != nil {
		return 0, 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, 0, err
	}
	keys, err := o.deadKeys(ctx)
	if err != nil {
		return 0, 0, err
	}
	return int(info.State.Msgs), len(keys), nil
}
