package config

import (
	"strings"
	"testing"
)

const clusterGood = `
cluster:
  node: node-1
  nats: {urls: ["nats://10.0.0.1:4222", "tls://10.0.0.2:4222"], token: "${env:NATS_TOKEN}", tls: {ca: /etc/ca.pem}}
  stream_replicas: 3
`

func TestClusterAbsentIsSingleNode(t *testing.T) {
	c, err := loadString(t, "log: {level: info}\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster != nil {
		t.Fatalf("no cluster section must leave Cluster nil, got %+v", c.Cluster)
	}
}

func TestClusterGood(t *testing.T) {
	c, err := loadString(t, clusterGood)
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster.Node != "node-1" || c.Cluster.Replicas() != 3 || len(c.Cluster.NATS.URLs) != 2 || !c.Cluster.NATS.TLS.Enabled() {
		t.Errorf("cluster %+v", c.Cluster)
	}
	c, err = loadString(t, "cluster: {node: a, nats: {urls: [nats://127.0.0.1:4222]}}\n")
	if err != nil || c.Cluster.Replicas() != 1 {
		t.Fatalf("default replicas: %v %+v", err, c.Cluster)
	}
}

// TestClusterInvalid: each mistake is an error naming the key, and a
// password written into a URL is not echoed.
func TestClusterInvalid(t *testing.T) {
	cases := []struct{ replace, with, want string }{
		{"node: node-1", "node: Node_1!", `key cluster.node: "Node_1!": use 1-40 lower-case`},
		{"node: node-1", "node: \"\"", `key cluster.node: "": use 1-40`},
		{"stream_replicas: 3", "stream_replicas: 2", `key cluster.stream_replicas: 2: use 1 or 3`},
		{`urls: ["nats://10.0.0.1:4222", "tls://10.0.0.2:4222"]`, "urls: []", `key cluster.nats.urls: required`},
		{`"nats://10.0.0.1:4222"`, `"http://10.0.0.1:4222"`, `key cluster.nats.urls: [0] "http://10.0.0.1:4222": use nats://`},
		{`"nats://10.0.0.1:4222"`, `"nats://u:hunter2@10.0.0.1:4222"`, `"nats://u:xxxxx@10.0.0.1:4222": use nats://`},
		{`token: "${env:NATS_TOKEN}"`, `token: t, user: u, password: p`, `key cluster.nats: set at most one of token, user+password, creds`},
		{`token: "${env:NATS_TOKEN}"`, `user: u`, `key cluster.nats.password: user and password go together`},
		{`tls: {ca: /etc/ca.pem}`, `tls: {cert: /etc/c.pem}`, `key cluster.nats.tls.key: cert and key go together`},
		{"stream_replicas: 3", "replicas: 3", `replicas`},
		{"stream_replicas: 3", "prefix: Cid.Proxy", `key cluster.prefix: "Cid.Proxy": use 1-31 lower-case`},
	}
	for _, tc := range cases {
		y := strings.Replace(clusterGood, tc.replace, tc.with, 1)
		if y == clusterGood {
			t.Fatalf("%q not in the fixture", tc.replace)
		}
		_, err := loadString(t, y)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s -> %s:\n  %v\nwant %s", tc.replace, tc.with, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("password echoed: %v", err)
		}
	}
}
