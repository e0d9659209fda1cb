package main

import (
	"context"
	"sync/atomic"

	"cidproxy/api/stream"
	"cidproxy/cluster"
	"cidproxy/crm/service"
)

// startCluster joins the cluster of the configuration's cluster section
// (none: single node, nothing to do). It does not wait for NATS: the node
// serves calls at once and the cluster worker sets the streams up when
// NATS answers (/readyz says so meanwhile).
func (m *Main) startCluster() error {
	cfg := m.Config.Cluster
	if cfg == nil {
		return nil
	}
	sealer, err := loadSealer(m.Config.CRM.KeyFile, m.Config.Store.Dir)
	if err != nil {
		return err
	}
	conn, err := cluster.Connect(cfg, cluster.Options{Logger: m.Log, Registerer: m.Registry, Prefix: cfg.Prefix})
	if err != nil {
		return err
	}
	local := service.NewKVOutbox(service.StoreKV(m.DB.KV("crm")), sealer)
	m.Cluster = cluster.NewNode(conn, local, sealer)
	m.ready.cluster = func() error { return m.Cluster.Ready(context.Background()) }
	m.work("cluster", m.Cluster.Run)
	return nil
}

// popupFanout returns the cluster's popup fan-out and claims for the hub
// that hub will hold (nil, nil on a single node).
func (m *Main) popupFanout(hub *atomic.Pointer[stream.Hub]) (stream.Fanout, stream.Claimer, error) {
	if m.Cluster == nil {
		return nil, nil, nil
	}
	f, err := cluster.NewFanout(m.Cluster.Conn, hubDeliverer{hub})
	if err != nil {
		return nil, nil, err
	}
	return f, m.Cluster.Claims, nil
}

// hubDeliverer hands messages from other nodes to the hub once it exists.
type hubDeliverer struct{ hub *atomic.Pointer[stream.Hub] }

func (d hubDeliverer) Deliver(msg stream.Message) {
	if h := d.hub.Load(); h != nil {
		h.Deliver(msg)
	}
}
