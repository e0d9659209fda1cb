package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"cidproxy/api/stream"
)

// nodeHeader names the node that published a popup stream message.
const nodeHeader = "Cidproxy-Node"

// Deliverer is the popup hub of this node (stream.Hub).
type Deliverer interface{ Deliver(stream.Message) }

// Fanout is the cluster's stream.Fanout: a message is delivered to this
// node's hub at once (so popups work while NATS is down) and published
// on NATS subject PREFIX.popup.EXT; every other node delivers it to its
// hub. Core NATS, not a stream: a popup is worth nothing late.
type Fanout struct {
	c   *Conn
	hub Deliverer
	sub *nats.Subscription
}

var _ stream.Fanout = (*Fanout)(nil)

// NewFanout subscribes to the other nodes' messages for hub.
func NewFanout(c *Conn, hub Deliverer) (*Fanout, error) {
	f := &Fanout{c: c, hub: hub}
	sub, err := c.NC.Subscribe(c.subject("popup", "*"), f.receive)
	if err != nil {
		return nil, fmt.Errorf("cluster: popup subscribe: %w", err)
	}
	f.sub = sub
	return f, nil
}

var reToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// extToken is ext as one subject token (hashed when it is not one).
func extToken(ext string) string {
	if reToken.MatchString(ext) {
		return ext
	}
	h := sha256.Sum256([]byte(ext))
	return "h" + hex.EncodeToString(h[:12])
}

// Publish implements stream.Fanout.
func (f *Fanout) Publish(_ context.Context, m stream.Message) error {
	f.hub.Deliver(m)
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	msg := nats.NewMsg(f.c.subject("popup", extToken(m.Ext)))
	msg.Header.Set(nodeHeader, f.c.Node)
	msg.Data = data
	return f.c.NC.PublishMsg(msg)
}

func (f *Fanout) receive(msg *nats.Msg) {
	if msg.Header.Get(nodeHeader) == f.c.Node {
		return // delivered locally when published
	}
	var m stream.Message
	if err := json.Unmarshal(msg.Data, &m); err != nil || m.Ext == "" {
		f.c.m.fanoutErrors.Inc()
		return
	}
	f.hub.Deliver(m)
}

// Close stops receiving.
func (f *Fanout) Close() error { return f.sub.Unsubscribe() }

// Claims is the cluster's stream.Claimer: a put-if-absent in a key-value
// bucket (claims expire after an hour), so one browser tab on any node
// opens a popup. Until the bucket is set up, claims are this node's.
type Claims struct {
	c     *Conn
	kv    atomic.Pointer[jetstream.KeyValue]
	local *stream.MemClaims
}

var _ stream.Claimer = (*Claims)(nil)

// NewClaims creates (or joins) the claims bucket.
func NewClaims(ctx context.Context, c *Conn) (*Claims, error) {
	cl := newClaims(c)
	return cl, cl.attach(ctx)
}

func newClaims(c *Conn) *Claims { return &Claims{c: c, local: stream.NewMemClaims(time.Now)} }

func (cl *Claims) attach(ctx context.Context) error {
	if cl.kv.Load() != nil {
		return nil
	}
	kv, err := cl.c.bucket(ctx, "POPUP_CLAIMS", time.Hour, 1)
	if err != nil {
		return err
	}
	cl.kv.Store(&kv)
	return nil
}

// Claim implements stream.Claimer.
func (cl *Claims) Claim(ctx context.Context, key string) (bool, error) {
	kv := cl.kv.Load()
	if kv == nil {
		return cl.local.Claim(ctx, key)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	h := sha256.Sum256([]byte(key))
	_, err := (*kv).Create(ctx, hex.EncodeToString(h[:16]), []byte(cl.c.Node))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrKeyExists):
		return false, nil
	}
	return false, fmt.Errorf("cluster: popup claim: %w", err)
}
