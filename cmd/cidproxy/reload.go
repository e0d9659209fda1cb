package main

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"

	"cidproxy/config"
)

// reloadReport says what a reload applied and which changed settings wait
// for a restart (listeners, store, ...: they cannot change under running
// calls).
type reloadReport struct {
	Applied         []string `json:"applied"`
	RestartRequired []string `json:"restart_required"`
}

// liveSections are the configuration sections a reload applies.
var liveSections = map[string]bool{"log": true, "extensions": true, "crm": true}

// Reload applies cfg to the running daemon without dropping calls or
// transactions: the log level, the configured extensions, and the CRM
// integrations (changed ones rebuilt, calls in flight keep theirs). On an
// error nothing is applied and the running configuration stays.
func (m *Main) Reload(ctx context.Context, cfg *config.Config) (reloadReport, error) {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	rep := reloadReport{Applied: []string{"crm", "extensions", "log.level"}, RestartRequired: restartKeys(m.Config, cfg)}
	if err := m.CRM.Configure(ctx, cfg.CRM.Integrations); err != nil {
		return reloadReport{}, fmt.Errorf("reload refused, the running configuration stays: %w", err)
	}
	if err := m.DB.SeedExtensions(ctx, cfg.Extensions); err != nil {
		return reloadReport{}, fmt.Errorf("reload: extensions: %w", err)
	}
	if m.Level != nil {
		m.Level.Set(logLevel(cfg.Log.Level))
	}
	m.Config = cfg
	m.Log.Info("configuration reloaded", "restart_required", strings.Join(rep.RestartRequired, ","))
	return rep, nil
}

// reloadFrom loads the configuration with load and reloads it; a bad file
// is refused with every problem listed and the running configuration stays.
func (m *Main) reloadFrom(ctx context.Context, load func() (*config.Config, error)) (reloadReport, error) {
	cfg, err := load()
	if err != nil {
		return reloadReport{}, fmt.Errorf("reload refused, the running configuration stays: %w", err)
	}
	return m.Reload(ctx, cfg)
}

// restartKeys lists the top-level sections (log.format for log) that
// differ between old and new and that a reload does not apply.
func restartKeys(old, new *config.Config) []string {
	out := []string{}
	ov, nv := reflect.ValueOf(*old), reflect.ValueOf(*new)
	for i := range ov.NumField() {
		name, _, _ := strings.Cut(ov.Type().Field(i).Tag.Get("yaml"), ",")
		if liveSections[name] || reflect.DeepEqual(ov.Field(i).Interface(), nv.Field(i).Interface()) {
			continue
		}
		out = append(out, name)
	}
	if old.Log.Format != new.Log.Format {
		out = append(out, "log.format")
	}
	return out
}

func logLevel(s string) slog.Level {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return lvl
}
