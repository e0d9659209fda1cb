package store

import (
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics computed at scrape time.
var (
	descContacts = prometheus.NewDesc("cidproxy_contacts",
		"Company contacts loaded in the lookup index.", nil, nil)
	descRules = prometheus.NewDesc("cidproxy_prefix_rules",
		"Prefix rules loaded in the lookup index.", nil, nil)
	descPhonebooks = prometheus.NewDesc("cidproxy_phonebooks",
		"Phonebooks in the store.", nil, nil)
	descExtensions = prometheus.NewDesc("cidproxy_extensions",
		"Extensions in the store.", nil, nil)
	descPersonal = prometheus.NewDesc("cidproxy_personal_contacts",
		"Personal contacts of all extensions.", nil, nil)
	descRevision = prometheus.NewDesc("cidproxy_store_revision",
		"Current store revision (bumped by every write).", nil, nil)
	descLSM = prometheus.NewDesc("cidproxy_store_lsm_size_bytes",
		"Disk space used by the Badger LSM tree.", nil, nil)
	descVlog = prometheus.NewDesc("cidproxy_store_vlog_size_bytes",
		"Disk space used by the Badger value log.", nil, nil)
	descWriteErrors = prometheus.NewDesc("cidproxy_store_write_errors_total",
		"Store writes that failed: reason disk_full (refused, free space below store.min_free_space) or io (Badger failed).", []string{"reason"}, nil)
)

type collector struct{ db *DB }

// RegisterMetrics registers the store's collector (contacts and prefix
// rules loaded, phonebooks, extensions, personal contacts, the revision,
// Badger sizes; all computed at scrape time) on reg.
func (db *DB) RegisterMetrics(reg prometheus.Registerer) error {
	return reg.Register(collector{db})
}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descContacts
	ch <- descRules
	ch <- descPhonebooks
	ch <- descExtensions
	ch <- descPersonal
	ch <- descRevision
	ch <- descLSM
	ch <- descVlog
	ch <- descWriteErrors
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descContacts, prometheus.GaugeValue, float64(c.db.ix.Contacts()))
	ch <- prometheus.MustNewConstMetric(descRules, prometheus.GaugeValue, float64(c.db.ix.Rules()))
	c.db.mu.RLock()
	pbs, exts, personal := len(c.db.pbs), len(c.db.exts), 0
	for _, n := range c.db.personalN {
		personal += n
	}
	c.db.mu.RUnlock()
	ch <- prometheus.MustNewConstMetric(descPhonebooks, prometheus.GaugeValue, float64(pbs))
	ch <- prometheus.MustNewConstMetric(descExtensions, prometheus.GaugeValue, float64(exts))
	ch <- prometheus.MustNewConstMetric(descPersonal, prometheus.GaugeValue, float64(personal))
	ch <- prometheus.MustNewConstMetric(descRevision, prometheus.GaugeValue, float64(c.db.Rev()))
	lsm, vlog := c.db.diskSizes()
	ch <- prometheus.MustNewConstMetric(descLSM, prometheus.GaugeValue, float64(lsm))
	ch <- prometheus.MustNewConstMetric(descVlog, prometheus.GaugeValue, float64(vlog))
	ch <- prometheus.MustNewConstMetric(descWriteErrors, prometheus.CounterValue, float64(c.db.space.refused.Load()), "disk_full")
	ch <- prometheus.MustNewConstMetric(descWriteErrors, prometheus.CounterValue, float64(c.db.space.failed.Load()), "io")
}

// diskSizes sums the disk space of the store's table and value-log files
// (Badger's own Size() is refreshed only once a minute and counts the
// pre-sized value log at its full apparent size).
func (db *DB) diskSizes() (lsm, vlog int64) {
	entries, err := os.ReadDir(db.dir)
	if err != nil {
		return 0, 0
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue
		}
		switch filepath.Ext(e.Name()) {
		case ".sst":
			lsm += diskUsage(info)
		case ".vlog":
			vlog += diskUsage(info)
		}
	}
	return lsm, vlog
}
