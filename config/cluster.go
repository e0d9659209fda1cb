package config

import (
	"net/url"
	"regexp"
	"strings"
)

// Cluster joins the node to a cluster over NATS JetStream (cluster:). A nil
// Cluster (no section) is one node exactly as without clustering: Badger
// alone, no NATS needed.
type Cluster struct {
	// Node names this node (lease holder, metrics); unique in the cluster.
	Node string `yaml:"node"`
	NATS NATS   `yaml:"nats"`
	// StreamReplicas is the replica count of the streams and buckets: 1 or
	// 3 (3 survives one NATS server down). Default 1.
	StreamReplicas int `yaml:"stream_replicas"`
	// Prefix names the cluster's streams, buckets (upper-cased) and
	// subjects, so several clusters can share NATS servers. Default
	// "cidproxy".
	Prefix string `yaml:"prefix"`
}

// NATS is how the node reaches the NATS servers. At most one of token,
// user+password and creds; secrets accept ${env:NAME} and ${file:PATH}.
type NATS struct {
	// URLs: nats://HOST:PORT or tls://HOST:PORT, one per server.
	URLs     []string `yaml:"urls"`
	Token    string   `yaml:"token"`
	User     string   `yaml:"user"`
	Password string   `yaml:"password"`
	// Creds is a NATS credentials file (JWT + nkey seed).
	Creds string  `yaml:"creds"`
	TLS   NATSTLS `yaml:"tls"`
}

// NATSTLS configures TLS to the NATS servers (PEM files).
type NATSTLS struct {
	// CA verifies the servers; empty uses the system roots.
	CA string `yaml:"ca"`
	// Cert and Key: a client certificate, when the servers ask for one.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Enabled reports whether TLS settings are given.
func (t NATSTLS) Enabled() bool { return t.CA != "" || t.Cert != "" || t.Key != "" }

// Replicas returns StreamReplicas with its default.
func (c *Cluster) Replicas() int {
	if c.StreamReplicas == 0 {
		return 1
	}
	return c.StreamReplicas
}

var (
	reNodeName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	rePrefix   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,30}$`)
)

func (c *Config) validateCluster(bad func(key, format string, a ...any)) {
	cl := c.Cluster
	if cl == nil {
		return
	}
	if !reNodeName.MatchString(cl.Node) {
		bad("cluster.node", "%q: use 1-40 lower-case letters, digits, - or _", cl.Node)
	}
	if cl.Prefix != "" && !rePrefix.MatchString(cl.Prefix) {
		bad("cluster.prefix", "%q: use 1-31 lower-case letters, digits or _, starting with a letter", cl.Prefix)
	}
	if cl.StreamReplicas != 0 && cl.StreamReplicas != 1 && cl.StreamReplicas != 3 {
		bad("cluster.stream_replicas", "%d: use 1 or 3", cl.StreamReplicas)
	}
	n := cl.NATS
	if len(n.URLs) == 0 {
		bad("cluster.nats.urls", "required: at least one nats:// URL")
	}
	for i, u := range n.URLs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "nats" && p.Scheme != "tls") || p.Host == "" || p.User != nil {
			bad("cluster.nats.urls", "[%d] %q: use nats://HOST:PORT or tls://HOST:PORT (credentials go in token, user/password or creds)", i, redactURL(u))
		}
	}
	auth := 0
	for _, set := range []bool{n.Token != "", n.User != "" || n.Password != "", n.Creds != ""} {
		if set {
			auth++
		}
	}
	if auth > 1 {
		bad("cluster.nats", "set at most one of token, user+password, creds")
	}
	if (n.User == "") != (n.Password == "") {
		bad("cluster.nats.password", "user and password go together")
	}
	if (n.TLS.Cert == "") != (n.TLS.Key == "") {
		bad("cluster.nats.tls.key", "cert and key go together")
	}
}

// redactURL hides a password written into a URL by mistake.
func redactURL(u string) string {
	if p, err := url.Parse(u); err == nil && p.User != nil {
		return p.Redacted()
	}
	if i := strings.LastIndex(u, "@"); i >= 0 {
		return "***" + u[i:]
	}
	return u
}
