package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"cidproxy/crm"
	"cidproxy/crm/service"
	"cidproxy/lookup"
)

// startCRM builds the CRM integrations (the file's and those managed
// through the API), records finished calls into their journal outbox
// (synchronously, from the bus) and returns the caller-ID source for the
// proxy: local sources first, then the CRMs. Without integrations the
// source answers inline from memory (Remote is false).
func (m *Main) startCRM(ctx context.Context) (lookup.Source, error) {
	local := lookup.Source(m.DB.Resolver())
	cfg := m.Config
	sealer, err := loadSealer(cfg.CRM.KeyFile, cfg.Store.Dir)
	if err != nil {
		return nil, err
	}
	opts := service.Options{
		Store: m.DB, KV: service.StoreKV(m.DB.KV("crm")), Sealer: sealer, Normalize: m.DB.Normalizer().Key,
		Logger: m.Log, Registerer: m.Registry, Location: time.Local,
	}
	if m.Cluster != nil { // the journal and the miss cache are the cluster's
		opts.Outbox, opts.Misses = m.Cluster.Outbox, m.Cluster.Misses.For
	}
	svc, err := service.New(ctx, cfg.CRM.Integrations, opts)
	if err != nil {
		return nil, err
	}
	m.CRM = svc
	m.Bus.AddRecorder(svc)
	m.work("crm", svc.Run)
	return svc.Resolver(local), nil
}

// loadSealer reads (or creates, 0600) the key that seals CRM secrets.
func loadSealer(keyFile, storeDir string) (*crm.Sealer, error) {
	if keyFile == "" {
		keyFile = filepath.Join(storeDir, "secret.key")
	}
	key, err := crm.LoadOrCreateKeyFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("crm.key_file: %w", err)
	}
	return crm.NewSealer(key)
}
