package crm

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length in bytes of the AES-256 key that seals secrets.
const KeySize = 32

// sealVersion prefixes every sealed value so the format can evolve.
const sealVersion = 1

// ErrBadKey reports a key that is not 32 bytes of hex or base64.
var ErrBadKey = errors.New("crm: secret key must be 32 bytes (64 hex or 44 base64 characters)")

// Sealer encrypts secrets at rest with AES-256-GCM. The KV key is bound to
// the ciphertext as additional data, so a sealed value copied under another
// key does not open.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, ErrBadKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("crm: sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("crm: sealer: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// ParseKey decodes a key given in configuration as 64 hex characters or as
// standard/URL base64 of 32 bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, ErrBadKey
}

// LoadOrCreateKeyFile reads the hex key in path, creating it with 32 random
// bytes and mode 0600 (directory 0700) when it does not exist yet. An existing
// file readable by group or others is refused.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("crm: key file: %w", err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("crm: key file %s has mode %o, want 0600", path, st.Mode().Perm())
		}
		return ParseKey(string(b))
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("crm: key file: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("crm: key file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("crm: key file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("crm: key file: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("crm: key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("crm: key file: %w", err)
	}
	return key, nil
}

// Seal encrypts plain, binding it to aad (the KV key).
func (s *Sealer) Seal(plain []byte, aad string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead()+1)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("crm: seal: %w", err)
	}
	out := append([]byte{sealVersion}, nonce...)
	return s.aead.Seal(out, nonce, plain, []byte(aad)), nil
}

// Open decrypts a value produced by Seal with the same aad.
func (s *Sealer) Open(sealed []byte, aad string) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < 1+ns+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, errors.New("crm: open: malformed sealed value")
	}
	plain, err := s.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], []byte(aad))
	if err != nil {
		return nil, errors.New("crm: open: authentication failed (wrong key?)")
	}
	return plain, nil
}

// SecretStore keeps JSON values sealed in a KV.
type SecretStore struct {
	kv     KV
	sealer *Sealer
}

// NewSecretStore returns a SecretStore over kv.
func NewSecretStore(kv KV, sealer *Sealer) *SecretStore {
	return &SecretStore{kv: kv, sealer: sealer}
}

// PutJSON seals the JSON encoding of v under key.
func (s *SecretStore) PutJSON(ctx context.Context, key string, v any) error {
	plain, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("crm: secret %s: %w", key, err)
	}
	sealed, err := s.sealer.Seal(plain, key)
	if err != nil {
		return err
	}
	if err := s.kv.Put(ctx, key, sealed); err != nil {
		return fmt.Errorf("crm: secret %s: %w", key, err)
	}
	return nil
}

// GetJSON opens the value under key into v. A missing key wraps ErrNotFound.
func (s *SecretStore) GetJSON(ctx context.Context, key string, v any) error {
	sealed, err := s.kv.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("crm: secret %s: %w", key, err)
	}
	plain, err := s.sealer.Open(sealed, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("crm: secret %s: %w", key, err)
	}
	return nil
}

// Delete removes key.
func (s *SecretStore) Delete(ctx context.Context, key string) error {
	return s.kv.Delete(ctx, key)
}

// fieldsKey is where an integration's custom field values are kept.
func fieldsKey(id string) string { return "crm/fields/" + id }

// SaveFields seals the custom field values (API keys, client secrets,
// passwords) of integration id.
func (s *SecretStore) SaveFields(ctx context.Context, id string, fields map[string]string) error {
	return s.PutJSON(ctx, fieldsKey(id), fields)
}

// LoadFields opens the custom field values of integration id; a missing
// entry wraps ErrNotFound.
func (s *SecretStore) LoadFields(ctx context.Context, id string) (map[string]string, error) {
	var m map[string]string
	if err := s.GetJSON(ctx, fieldsKey(id), &m); err != nil {
		return nil, err
	}
	return m, nil
}
