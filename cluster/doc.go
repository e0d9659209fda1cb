// Package cluster runs cidproxy nodes as one over NATS JetStream: the
// connection to the NATS servers (Conn), the replicated journal outbox
// (Outbox, Composite), popup fan-out and claims across nodes (Fanout,
// Claims), the shared CRM miss cache (Misses) and leases for scheduled
// work (Leases). It is the only package that imports NATS; cmd/cidproxy
// wires it in when the configuration has a cluster section.
package cluster
