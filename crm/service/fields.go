package service

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

var reSecretRef = regexp.MustCompile(`^\$\{(env|file):([^}]+)\}$`)

// ResolveFields returns fields with ${env:NAME} and ${file:PATH} values
// replaced by the variable's value or the file's content (trailing
// newlines trimmed). A missing variable or unreadable file is an error
// naming the field, never the value.
func ResolveFields(fields map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		m := reSecretRef.FindStringSubmatch(strings.TrimSpace(v))
		if m == nil {
			out[k] = v
			continue
		}
		switch m[1] {
		case "env":
			val, ok := os.LookupEnv(m[2])
			if !ok {
				return nil, fmt.Errorf("field %s: environment variable %s is not set", k, m[2])
			}
			out[k] = val
		case "file":
			b, err := os.ReadFile(m[2])
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", k, err)
			}
			out[k] = strings.TrimRight(string(b), "\r\n")
		}
	}
	return out, nil
}
