package store

import "strings"

const (
	prefixContact = "v1/c/"
	prefixProj    = "v1/ci/"
	prefixRule    = "v1/p/"
	prefixKV      = "v1/kv/"
	keySchema     = "v1/meta/schema"
	keyNorm       = "v1/meta/norm"
	keyCount      = "v1/meta/contacts"
	schemaVersion = "1"
)

func contactKey(id string) []byte { return []byte(prefixContact + id) }
func projKey(id string) []byte    { return []byte(prefixProj + id) }
func ruleKey(id string) []byte    { return []byte(prefixRule + id) }
func kvKey(ns, k string) []byte   { return []byte(prefixKV + ns + "/" + k) }

// maxIDLen bounds ids so keys stay short.
const maxIDLen = 64

// validID reports whether id may be used in a key.
func validID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.-", c) >= 0) {
			return false
		}
	}
	return true
}
