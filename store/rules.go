package store

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"cidproxy/lookup"
)

// PrefixCSVColumns is the prefix rule CSV header (both required, any
// order).
var PrefixCSVColumns = []string{"prefix", "name"}

// maxRules bounds a prefix import, which is held in memory.
const maxRules = 100_000

func (db *DB) validateRule(r *lookup.PrefixRule) error {
	if r.ID != "" && !validID(r.ID) {
		return &FieldError{"id", fmt.Errorf("%w: %q", ErrInvalid, r.ID)}
	}
	if _, err := db.norm.NormalizePrefix(r.Prefix); err != nil {
		return &FieldError{"prefix", fmt.Errorf("%w: %v", ErrInvalid, err)}
	}
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || len(r.Name) > maxFieldLen {
		return &FieldError{"name", fmt.Errorf("%w: a name of 1-%d bytes is required", ErrInvalid, maxFieldLen)}
	}
	return nil
}

// PutPrefixRule creates (empty ID) or replaces a prefix rule and updates
// the index. A prefix that normalises like another rule's prefix is an
// error wrapping lookup.ErrPrefixTaken.
func (db *DB) PutPrefixRule(ctx context.Context, r lookup.PrefixRule) (lookup.PrefixRule, error) {
	if err := ctx.Err(); err != nil {
		return r, err
	}
	if err := db.validateRule(&r); err != nil {
		return r, err
	}
	if r.ID == "" {
		r.ID = db.ids.next()
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if owner := db.ix.RuleOwner(r.Prefix); owner != "" && owner != r.ID {
		return r, fmt.Errorf("store: prefix %q: %w (rule %s)", r.Prefix, lookup.ErrPrefixTaken, owner)
	}
	err := db.update(func(txn *badger.Txn, rw *revWriter) error {
		if _, err := rw.change(lookup.Change{Kind: lookup.KindPrefix, ID: r.ID}); err != nil {
			return err
		}
		return txn.Set(ruleKey(r.ID), encodeRule(&r))
	})
	if err != nil {
		return r, fmt.Errorf("store: put rule: %w", err)
	}
	if err := db.ix.PutRule(r); err != nil {
		return r, fmt.Errorf("store: index rule: %w", err)
	}
	return r, nil
}

// GetPrefixRule returns rule id or ErrNotFound.
func (db *DB) GetPrefixRule(ctx context.Context, id string) (lookup.PrefixRule, error) {
	if err := ctx.Err(); err != nil {
		return lookup.PrefixRule{}, err
	}
	if !validID(id) {
		return lookup.PrefixRule{}, ErrNotFound
	}
	v, err := db.getRaw(ruleKey(id))
	if err != nil {
		return lookup.PrefixRule{}, fmt.Errorf("store: prefix rule %s: %w", id, err)
	}
	return decodeRule(id, v)
}

// DeletePrefixRule removes rule id; ErrNotFound when it does not exist.
func (db *DB) DeletePrefixRule(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validID(id) {
		return fmt.Errorf("store: prefix rule %s: %w", maskID(id), ErrNotFound)
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	err := db.update(func(txn *badger.Txn, rw *revWriter) error {
		if _, err := txn.Get(ruleKey(id)); err != nil {
			return err
		}
		if _, err := rw.change(lookup.Change{Kind: lookup.KindPrefix, ID: id, Deleted: true}); err != nil {
			return err
		}
		return txn.Delete(ruleKey(id))
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("store: prefix rule %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: delete rule: %w", err)
	}
	db.ix.DeleteRule(id)
	return nil
}

// ListPrefixRules returns every prefix rule in id order.
func (db *DB) ListPrefixRules(ctx context.Context) ([]lookup.PrefixRule, error) {
	var out []lookup.PrefixRule
	err := db.scan(ctx, prefixRule, "", func(id string, v []byte) (bool, error) {
		r, err := decodeRule(id, v)
		out = append(out, r)
		return err == nil, err
	})
	return out, err
}

// ImportPrefixCSV imports prefix rules from CSV with the header
// "prefix,name". A row whose prefix normalises like an existing rule's
// replaces that rule's name (so importing a file twice is harmless); the
// same prefix twice in one file is an error. All-or-nothing like
// ImportCSV; it returns how many rules it wrote.
func (db *DB) ImportPrefixCSV(ctx context.Context, r io.Reader) (int, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cols, err := readHeader(cr, PrefixCSVColumns)
	if err != nil {
		return 0, err
	}
	if len(cols) != len(PrefixCSVColumns) {
		return 0, &CSVError{Line: 1, Err: errors.New("both columns prefix and name are required")}
	}
	rules, err := db.readRules(ctx, cr, cols)
	if err != nil {
		return 0, err
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	for i := range rules {
		if owner := db.ix.RuleOwner(rules[i].Prefix); owner != "" {
			rules[i].ID = owner
		}
	}
	err = db.batch(func(rw *revWriter) error {
		for i := range rules {
			if _, err := rw.change(lookup.Change{Kind: lookup.KindPrefix, ID: rules[i].ID}); err != nil {
				return err
			}
			if err := rw.w.Set(ruleKey(rules[i].ID), encodeRule(&rules[i])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: prefix import: %w", err)
	}
	for _, r := range rules {
		if err := db.ix.PutRule(r); err != nil {
			return 0, fmt.Errorf("store: index rule: %w", err)
		}
	}
	return len(rules), nil
}

func (db *DB) readRules(ctx context.Context, cr *csv.Reader, cols []int) ([]lookup.PrefixRule, error) {
	var rules []lookup.PrefixRule
	var errs []error
	seen := make(map[string]int)
	for len(errs) < maxCSVErrors {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, csvReadError(err))
			break
		}
		line, _ := cr.FieldPos(0)
		if len(rules) >= maxRules || ctx.Err() != nil {
			return nil, errors.Join(ctx.Err(), fmt.Errorf("store: prefix import: more than %d rules", maxRules))
		}
		if len(rec) != len(cols) {
			errs = append(errs, &CSVError{Line: line, Err: fmt.Errorf("%d fields, the header has %d", len(rec), len(cols))})
			continue
		}
		var r lookup.PrefixRule
		for i, v := range rec {
			if cols[i] == 0 {
				r.Prefix = strings.TrimSpace(v)
			} else {
				r.Name = v
			}
		}
		if err := db.validateRule(&r); err != nil {
			errs = append(errs, rowError(line, err))
			continue
		}
		p, _ := db.norm.NormalizePrefix(r.Prefix)
		if first, dup := seen[p]; dup {
			errs = append(errs, &CSVError{Line: line, Field: "prefix", Err: fmt.Errorf("%q repeats the prefix of line %d", r.Prefix, first)})
			continue
		}
		seen[p] = line
		r.ID = db.ids.next()
		rules = append(rules, r)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("store: prefix import rejected, nothing written: %w", errors.Join(errs...))
	}
	return rules, nil
}

// ExportPrefixCSV writes every rule as "prefix,name" CSV.
func (db *DB) ExportPrefixCSV(ctx context.Context, w io.Writer) (int, error) {
	rules, err := db.ListPrefixRules(ctx)
	if err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(PrefixCSVColumns)
	for _, r := range rules {
		_ = cw.Write([]string{SafeCSVCell(r.Prefix, true), SafeCSVCell(r.Name, false)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return 0, fmt.Errorf("store: export rules: %w", err)
	}
	return len(rules), nil
}
