package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"cidproxy/config"
)

// Conn is the node's connection to the NATS servers. It reconnects by
// itself for ever (also when no server answers at start) and reports its
// state in cidproxy_cluster_nats_connected.
type Conn struct {
	NC   *nats.Conn
	JS   jetstream.JetStream
	Node string
	// Prefix names this cluster's streams, buckets and subjects.
	Prefix   string
	Replicas int
	log      *slog.Logger
	m        *metrics
}

// Options are what Connect needs besides the configuration.
type Options struct {
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Prefix names streams, buckets (upper-cased) and subjects; default
	// "cidproxy". Tests use a unique one.
	Prefix string
}

// Connect dials the servers of cfg. It does not wait for a server: a node
// starts (and answers INVITEs) while NATS is down; Connected tells.
func Connect(cfg *config.Cluster, o Options) (*Conn, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Prefix == "" {
		o.Prefix = "cidproxy"
	}
	c := &Conn{Node: cfg.Node, Prefix: o.Prefix, Replicas: cfg.Replicas(), log: o.Logger.With("component", "cluster"), m: newMetrics(o.Registerer)}
	opts, err := c.options(cfg.NATS)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(strings.Join(cfg.NATS.URLs, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("cluster: nats: %w", err)
	}
	c.NC = nc
	c.m.setConnected(nc.IsConnected())
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: jetstream: %w", err)
	}
	c.JS = js
	return c, nil
}

func (c *Conn) options(n config.NATS) ([]nats.Option, error) {
	opts := []nats.Option{
		nats.Name("cidproxy " + c.Node),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.ConnectHandler(func(*nats.Conn) { c.m.setConnected(true); c.log.Info("nats connected") }),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			c.m.setConnected(true)
			c.m.reconnects.Inc()
			c.log.Info("nats reconnected", "server", nc.ConnectedUrlRedacted())
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			c.m.setConnected(false)
			c.log.Warn("nats disconnected", "err", err)
		}),
		nats.ClosedHandler(func(*nats.Conn) { c.m.setConnected(false) }),
	}
	secret := func(v string) (string, error) { return config.ResolveSecret(v) }
	switch {
	case n.Token != "":
		t, err := secret(n.Token)
		if err != nil {
			return nil, fmt.Errorf("cluster.nats.token: %w", err)
		}
		opts = append(opts, nats.Token(t))
	case n.User != "":
		p, err := secret(n.Password)
		if err != nil {
			return nil, fmt.Errorf("cluster.nats.password: %w", err)
		}
		opts = append(opts, nats.UserInfo(n.User, p))
	case n.Creds != "":
		if _, err := os.Stat(n.Creds); err != nil {
			return nil, fmt.Errorf("cluster.nats.creds: %w", err)
		}
		opts = append(opts, nats.UserCredentials(n.Creds))
	}
	if n.TLS.Enabled() {
		t, err := tlsConfig(n.TLS)
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.Secure(t))
	}
	return opts, nil
}

func tlsConfig(t config.NATSTLS) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("cluster.nats.tls.ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("cluster.nats.tls.ca: no certificate in the file")
		}
		cfg.RootCAs = pool
	}
	if t.Cert != "" {
		kp, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("cluster.nats.tls.cert: %w", err)
		}
		cfg.Certificates = []tls.Certificate{kp}
	}
	return cfg, nil
}

// Connected reports whether the node is connected to a NATS server now.
func (c *Conn) Connected() bool { return c.NC.IsConnected() }

// Ready is nil when the node is connected to NATS; it implements the
// daemon's readiness check.
func (c *Conn) Ready(context.Context) error {
	if !c.Connected() {
		return errors.New("not connected to NATS")
	}
	return nil
}

// Close drains the connection (pending publishes are flushed).
func (c *Conn) Close() {
	if err := c.NC.Drain(); err != nil {
		c.NC.Close()
	}
}

// name builds a stream or bucket name of this cluster: PREFIX_PART.
func (c *Conn) name(part string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(c.Prefix)) + "_" + part
}

// subject builds a subject of this cluster: prefix.parts...
func (c *Conn) subject(parts ...string) string {
	return c.Prefix + "." + strings.Join(parts, ".")
}

// bucket creates (or updates) a key-value bucket of this cluster.
func (c *Conn) bucket(ctx context.Context, part string, ttl time.Duration, history uint8) (jetstream.KeyValue, error) {
	kv, err := c.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: c.name(part), TTL: ttl, History: history, Replicas: c.Replicas, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: bucket %s: %w", c.name(part), err)
	}
	return kv, nil
}
