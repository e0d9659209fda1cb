package crm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Journal defaults.
const (
	DefaultJournalAttempts = 8
	// journalDoneTTL is how long a journaled CallID is remembered.
	journalDoneTTL    = 7 * 24 * time.Hour
	journalPrefix     = "crm/outbox/"
	journalDonePrefix = "crm/journaled/"
)

// ErrDuplicateCall is returned by Enqueue for a call already journaled.
var ErrDuplicateCall = errors.New("crm: call already journaled")

// outboxEntry is a pending journal entry (sealed in the KV).
type outboxEntry struct {
	Record   CallRecord `json:"record"`
	Attempts int        `json:"attempts"`
	NextTry  time.Time  `json:"next_try"`
}

// Journal is a durable outbox for call journal entries: Enqueue persists
// the record first, Run sends pending records with LogCall, retrying with
// backoff, and marks a call done only after the CRM accepted it. A call
// (by CallID) is journaled at most once per integration.
type Journal struct {
	it       *Integration
	secrets  *SecretStore
	kv       KV
	attempts int
	backoff  Backoff
	now      func() time.Time
	log      *slog.Logger
}

// NewJournal returns the outbox of it, stored in kv (sealed).
func NewJournal(it *Integration, kv KV, sealer *Sealer) *Journal {
	return &Journal{it: it, secrets: NewSecretStore(kv, sealer), kv: kv, attempts: DefaultJournalAttempts,
		backoff: Backoff{Base: 30 * time.Second, Max: time.Hour}, now: time.Now, log: it.log}
}

func (j *Journal) key(prefix, callID string) string {
	h := sha256.Sum256([]byte(callID))
	return prefix + j.it.id + "/" + hex.EncodeToString(h[:12])
}

// Enqueue stores rec for journaling. rec.CallID is required.
func (j *Journal) Enqueue(ctx context.Context, rec CallRecord) error {
	if rec.CallID == "" {
		return errors.New("crm: journal: record without CallID")
	}
	if _, err := j.kv.Get(ctx, j.key(journalDonePrefix, rec.CallID)); err == nil {
		return ErrDuplicateCall
	}
	return j.secrets.PutJSON(ctx, j.key(journalPrefix, rec.CallID), outboxEntry{Record: rec, NextTry: j.now()})
}

// Pending returns how many entries wait in the outbox.
func (j *Journal) Pending(ctx context.Context) (int, error) {
	keys, err := j.kv.List(ctx, journalPrefix+j.it.id+"/")
	return len(keys), err
}

// Flush tries every due entry once and returns the number sent.
func (j *Journal) Flush(ctx context.Context) (int, error) {
	keys, err := j.kv.List(ctx, journalPrefix+j.it.id+"/")
	if err != nil {
		return 0, fmt.Errorf("crm: journal: %w", err)
	}
	sent := 0
	for _, k := range keys {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		ok, err := j.try(ctx, k)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, j.prune(ctx)
}

// prune forgets journaled CallIDs older than journalDoneTTL.
func (j *Journal) prune(ctx context.Context) error {
	keys, err := j.kv.List(ctx, journalDonePrefix+j.it.id+"/")
	if err != nil {
		return err
	}
	for _, k := range keys {
		v, err := j.kv.Get(ctx, k)
		if err != nil {
			continue
		}
		if t, err := time.Parse(time.RFC3339, string(v)); err != nil || j.now().Sub(t) > journalDoneTTL {
			if err := j.kv.Delete(ctx, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// try sends one entry if due. It reports whether the entry was journaled.
func (j *Journal) try(ctx context.Context, key string) (bool, error) {
	var e outboxEntry
	if err := j.secrets.GetJSON(ctx, key, &e); err != nil {
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		j.log.Error("crm journal entry unreadable; dropped", "err", err)
		return false, j.kv.Delete(ctx, key)
	}
	if j.now().Before(e.NextTry) {
		return false, nil
	}
	err := j.it.LogCall(ctx, e.Record)
	if err == nil {
		done := strings.Replace(key, journalPrefix, journalDonePrefix, 1)
		if perr := j.kv.Put(ctx, done, []byte(j.now().UTC().Format(time.RFC3339))); perr != nil {
			return false, perr
		}
		return true, j.kv.Delete(ctx, key)
	}
	e.Attempts++
	if e.Attempts >= j.attempts || permanent(err) {
		j.log.Error("crm journal entry dropped", "attempts", e.Attempts, "err", j.it.redact.String(err.Error()))
		return false, j.kv.Delete(ctx, key)
	}
	e.NextTry = j.now().Add(j.backoff.Delay(e.Attempts - 1))
	j.log.Warn("crm journal entry deferred", "attempts", e.Attempts, "next", e.NextTry, "err", j.it.redact.String(err.Error()))
	return false, j.secrets.PutJSON(ctx, key, e)
}

// permanent reports errors that retrying cannot fix (a 4xx other than 401,
// 408 and 429, or a template that cannot render).
func permanent(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.StatusCode >= 400 && se.StatusCode < 500 && se.StatusCode != 401 && se.StatusCode != 408 && se.StatusCode != 429
	}
	return false
}

// Run flushes the outbox every interval until ctx ends.
func (j *Journal) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := j.Flush(ctx); err != nil && ctx.Err() == nil {
			j.log.Warn("crm journal flush", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
