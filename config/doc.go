// Package config defines cidproxy's YAML configuration: its types, the
// embedded defaults, strict loading (unknown keys and bad values are errors
// naming file, line and key) and validation.
package config
