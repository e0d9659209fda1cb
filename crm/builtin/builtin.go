// Package builtin ships the integration templates embedded in cidproxy:
// Zoho CRM (OAuth2, all data centres), HubSpot (private app token or
// OAuth2) and Freshdesk (API key). Each is selected by its Information Key.
package builtin

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"cidproxy/crm/template"
)

//go:embed templates/*.xml
var files embed.FS

// Template keys.
const (
	Zoho         = "zoho"
	HubSpot      = "hubspot"
	HubSpotOAuth = "hubspot-oauth"
	Freshdesk    = "freshdesk"
)

// ZohoDataCentres are the values of the Zoho template's "domain" list field
// (accounts.zoho.<dc>, www.zohoapis.<dc>).
var ZohoDataCentres = []string{"com", "eu", "in", "com.au", "jp", "com.cn", "ca", "sa"}

// Keys returns the keys of the built-in templates, sorted.
func Keys() []string {
	entries, _ := fs.ReadDir(files, "templates")
	var keys []string
	for _, e := range entries {
		keys = append(keys, strings.TrimSuffix(e.Name(), ".xml"))
	}
	slices.Sort(keys)
	return keys
}

// Has reports whether key names a built-in template.
func Has(key string) bool { return slices.Contains(Keys(), key) }

// Bytes returns the XML of built-in template key.
func Bytes(key string) ([]byte, error) {
	if !Has(key) {
		return nil, fmt.Errorf("builtin: no template %q (have %s)", key, strings.Join(Keys(), ", "))
	}
	return files.ReadFile("templates/" + key + ".xml")
}

// Load parses built-in template key.
func Load(key string, opts ...template.Option) (*template.Template, error) {
	b, err := Bytes(key)
	if err != nil {
		return nil, err
	}
	t, err := template.Parse(b, opts...)
	if err != nil {
		return nil, fmt.Errorf("builtin: %s: %w", key, err)
	}
	return t, nil
}
