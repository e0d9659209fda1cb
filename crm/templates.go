package crm

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"cidproxy/crm/template"
)

// Custom template limits (seed 003: up to 10 templates, each under 1 MB).
const (
	MaxCustomTemplates = 10
	MaxTemplateBytes   = 1 << 20
)

// Template store errors.
var (
	ErrTooManyTemplates = fmt.Errorf("crm: at most %d custom templates", MaxCustomTemplates)
	ErrTemplateTooLarge = errors.New("crm: template must be smaller than 1 MB")
	ErrBadTemplateKey   = errors.New("crm: template Key must be 1-64 characters of A-Z a-z 0-9 . _ -")
	ErrBuiltinKey       = errors.New("crm: template Key is used by a built-in template")
)

const templatePrefix = "crm/template/"

var templateKeyRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// TemplateStore saves custom templates in a KV. The uploaded bytes are kept
// as they are, so a download returns exactly what was uploaded.
type TemplateStore struct {
	kv       KV
	reserved func(key string) bool
}

// NewTemplateStore returns a store over kv. reserved (may be nil) reports
// keys that belong to built-in templates and cannot be uploaded.
func NewTemplateStore(kv KV, reserved func(key string) bool) *TemplateStore {
	return &TemplateStore{kv: kv, reserved: reserved}
}

// Save validates data and stores it under its Information Key, replacing a
// template with the same key. It returns the parsed template.
func (s *TemplateStore) Save(ctx context.Context, data []byte, opts ...template.Option) (*template.Template, error) {
	if len(data) >= MaxTemplateBytes {
		return nil, ErrTemplateTooLarge
	}
	t, err := template.Parse(data, opts...)
	if err != nil {
		return nil, fmt.Errorf("crm: template: %w", err)
	}
	if !templateKeyRE.MatchString(t.Key) {
		return nil, ErrBadTemplateKey
	}
	if s.reserved != nil && s.reserved(t.Key) {
		return nil, ErrBuiltinKey
	}
	keys, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	exists := false
	for _, k := range keys {
		exists = exists || k == t.Key
	}
	if !exists && len(keys) >= MaxCustomTemplates {
		return nil, ErrTooManyTemplates
	}
	if err := s.kv.Put(ctx, templatePrefix+t.Key, data); err != nil {
		return nil, fmt.Errorf("crm: save template %s: %w", t.Key, err)
	}
	return t, nil
}

// Download returns the stored bytes of template key.
func (s *TemplateStore) Download(ctx context.Context, key string) ([]byte, error) {
	if !templateKeyRE.MatchString(key) {
		return nil, ErrBadTemplateKey
	}
	b, err := s.kv.Get(ctx, templatePrefix+key)
	if err != nil {
		return nil, fmt.Errorf("crm: template %s: %w", key, err)
	}
	return b, nil
}

// Load returns the parsed template key.
func (s *TemplateStore) Load(ctx context.Context, key string, opts ...template.Option) (*template.Template, error) {
	b, err := s.Download(ctx, key)
	if err != nil {
		return nil, err
	}
	t, err := template.Parse(b, opts...)
	if err != nil {
		return nil, fmt.Errorf("crm: template %s: %w", key, err)
	}
	return t, nil
}

// Delete removes template key.
func (s *TemplateStore) Delete(ctx context.Context, key string) error {
	if !templateKeyRE.MatchString(key) {
		return ErrBadTemplateKey
	}
	return s.kv.Delete(ctx, templatePrefix+key)
}

// List returns the keys of the stored templates, sorted.
func (s *TemplateStore) List(ctx context.Context) ([]string, error) {
	keys, err := s.kv.List(ctx, templatePrefix)
	if err != nil {
		return nil, fmt.Errorf("crm: list templates: %w", err)
	}
	for i, k := range keys {
		keys[i] = strings.TrimPrefix(k, templatePrefix)
	}
	return keys, nil
}
