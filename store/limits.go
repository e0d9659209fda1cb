package store

import (
	"fmt"

	"cidproxy/config"
)

// WithLimits sets the limits tiers (default: config.Default().Limits).
func WithLimits(l config.Limits) Option { return func(o *options) { o.limits = l } }

// tier returns the limits for the current number of extensions.
func (db *DB) tier() config.LimitTier { return db.limits.For(db.extensionCount()) }

// tierName describes the tier in errors: "1000 extensions tier".
func (db *DB) tierName() string {
	return fmt.Sprintf("%d extensions tier", db.tier().MinExtensions)
}

// Limits returns the limits tier in force and the current usage: company
// contacts and phonebooks.
func (db *DB) Limits() (tier config.LimitTier, contacts, phonebooks int) {
	db.mu.RLock()
	contacts, phonebooks = db.nContacts, len(db.pbs)
	db.mu.RUnlock()
	return db.tier(), contacts, phonebooks
}

// checkContacts returns ErrLimit when adding n company contacts would go
// over the limit.
func (db *DB) checkContacts(n int) error {
	db.mu.RLock()
	cur := db.nContacts
	db.mu.RUnlock()
	if lim := db.tier().CompanyContacts; cur+n > lim {
		return fmt.Errorf("store: company contacts limit %d reached (%s; %d stored, %d more asked): %w", lim, db.tierName(), cur, n, ErrLimit)
	}
	return nil
}

// checkPersonal is checkContacts for the personal contacts of owner.
func (db *DB) checkPersonal(owner string, n int) error {
	db.mu.RLock()
	cur := db.personalN[owner]
	db.mu.RUnlock()
	if lim := db.tier().PersonalContacts; cur+n > lim {
		return fmt.Errorf("store: personal contacts limit %d per extension reached for extension %s (%s): %w", lim, owner, db.tierName(), ErrLimit)
	}
	return nil
}

func (db *DB) addContacts(n int) {
	db.mu.Lock()
	db.nContacts += n
	db.mu.Unlock()
}

func (db *DB) addPersonal(owner string, n int) {
	db.mu.Lock()
	db.personalN[owner] += n
	db.mu.Unlock()
}
