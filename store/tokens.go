package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"cidproxy/lookup"
)

// API tokens: 32 random bytes, base64url without padding (43 characters),
// shown once. The store keeps v1/tok/<sha256 hex of the token> -> record
// (format, flags bit 0 admin, extension, label, created unix, the hash
// again); Authenticate looks the hash up and compares the stored hash with
// subtle.ConstantTimeCompare.
const (
	prefixToken = "v1/tok/"
	tokenBytes  = 32
	tokenLen    = 43 // base64url of 32 bytes, no padding
)

func tokenKey(hash []byte) []byte { return []byte(prefixToken + hex.EncodeToString(hash)) }

// TokenInfo describes a stored token (never the token itself).
type TokenInfo struct {
	ID      string        `json:"id"` // first 12 hex digits of the hash
	Viewer  lookup.Viewer `json:"viewer"`
	Label   string        `json:"label,omitempty"`
	Created time.Time     `json:"created"`
}

// TokenID returns the id ListTokens shows for a plain token.
func TokenID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])[:12]
}

// CreateToken creates a token for v (an admin, or an existing extension)
// and returns the plain token, which is not stored and cannot be shown
// again.
func (db *DB) CreateToken(ctx context.Context, v lookup.Viewer, label string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	label = strings.TrimSpace(label)
	if err := checkText("label", label); err != nil {
		return "", err
	}
	if v.Admin {
		v.Extension = ""
	} else if _, err := db.GetExtension(ctx, v.Extension); err != nil {
		return "", err
	}
	var raw [tokenBytes]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("store: token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(raw[:])
	h := sha256.Sum256([]byte(tok))
	val := encodeToken(v, label, time.Now(), h[:])
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if err := db.rawUpdate(func(txn *badger.Txn) error { return txn.Set(tokenKey(h[:]), val) }); err != nil {
		return "", fmt.Errorf("store: token: %w", err)
	}
	return tok, nil
}

// Authenticate returns who token belongs to, or ErrUnauthorized. The
// extension of an extension token must still exist.
func (db *DB) Authenticate(ctx context.Context, token string) (lookup.Viewer, error) {
	if err := ctx.Err(); err != nil {
		return lookup.Viewer{}, err
	}
	if !plausibleToken(token) {
		return lookup.Viewer{}, ErrUnauthorized
	}
	h := sha256.Sum256([]byte(token))
	v, err := db.getRaw(tokenKey(h[:]))
	if errors.Is(err, ErrNotFound) {
		return lookup.Viewer{}, ErrUnauthorized
	}
	if err != nil {
		return lookup.Viewer{}, err
	}
	info, stored, err := decodeToken(v)
	if err != nil {
		return lookup.Viewer{}, fmt.Errorf("store: token record: %w", err)
	}
	if subtle.ConstantTimeCompare(stored, h[:]) != 1 {
		return lookup.Viewer{}, ErrUnauthorized
	}
	if !info.Viewer.Admin {
		if _, err := db.GetExtension(ctx, info.Viewer.Extension); err != nil {
			return lookup.Viewer{}, ErrUnauthorized
		}
	}
	return info.Viewer, nil
}

// plausibleToken checks the shape of a presented token before hashing:
// 43 base64url characters.
func plausibleToken(t string) bool {
	if len(t) != tokenLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ListTokens describes every stored token, oldest first.
func (db *DB) ListTokens(ctx context.Context) ([]TokenInfo, error) {
	var out []TokenInfo
	err := db.scan(ctx, prefixToken, "", func(id string, v []byte) (bool, error) {
		info, _, err := decodeToken(v)
		if err != nil {
			return false, fmt.Errorf("store: token %s: %w", id[:min(len(id), 12)], err)
		}
		info.ID = id[:min(len(id), 12)]
		out = append(out, info)
		return true, nil
	})
	slices.SortFunc(out, func(a, b TokenInfo) int { return a.Created.Compare(b.Created) })
	return out, err
}

// DeleteToken revokes the token whose id (ListTokens; a prefix of at least
// 8 hex digits of its hash) is given; ErrNotFound when none or several
// match.
func (db *DB) DeleteToken(ctx context.Context, id string) error {
	if len(id) < 8 || len(id) > 64 {
		return fmt.Errorf("store: token id %s: %w", maskID(id), ErrNotFound)
	}
	keys, err := db.keysUnder(ctx, prefixToken+strings.ToLower(id), 2)
	if err != nil || len(keys) != 1 {
		return fmt.Errorf("store: token id %s: %w", maskID(id), ErrNotFound)
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	k := []byte(prefixToken + strings.ToLower(id) + keys[0])
	if err := db.rawUpdate(func(txn *badger.Txn) error { return txn.Delete(k) }); err != nil {
		return fmt.Errorf("store: delete token: %w", err)
	}
	return nil
}

// tokensOf returns the keys of the tokens of extension ext.
func (db *DB) tokensOf(ctx context.Context, ext string) ([][]byte, error) {
	var out [][]byte
	err := db.scan(ctx, prefixToken, "", func(id string, v []byte) (bool, error) {
		if info, _, err := decodeToken(v); err == nil && !info.Viewer.Admin && info.Viewer.Extension == ext {
			out = append(out, []byte(prefixToken+id))
		}
		return true, nil
	})
	return out, err
}

func encodeToken(v lookup.Viewer, label string, created time.Time, hash []byte) []byte {
	var flags byte
	if v.Admin {
		flags = 1
	}
	b := []byte{recordFormat, flags}
	b = appendString(b, v.Extension)
	b = appendString(b, label)
	b = binary.AppendUvarint(b, uint64(max(created.Unix(), 0)))
	return appendString(b, string(hash))
}

func decodeToken(b []byte) (TokenInfo, []byte, error) {
	if len(b) < 2 || b[0] != recordFormat {
		return TokenInfo{}, nil, errBadRecord
	}
	d := decoder{b: b[2:]}
	info := TokenInfo{Viewer: lookup.Viewer{Admin: b[1]&1 != 0, Extension: d.string()}, Label: d.string()}
	info.Created = time.Unix(int64(d.uvarint()), 0).UTC()
	hash := d.bytes()
	if d.err == nil && len(hash) != sha256.Size {
		d.err = errBadRecord
	}
	return info, hash, d.err
}
