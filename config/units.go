package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written as "250ms", "2s", "12h".
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return valueError(n, "want a duration such as 250ms or 2s")
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return valueError(n, fmt.Sprintf("%q is not a duration (use a unit: 250ms, 2s, 5m)", n.Value))
	}
	if v < 0 {
		return valueError(n, fmt.Sprintf("%q: duration must not be negative", n.Value))
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// MarshalJSON writes the duration as in YAML ("300ms").
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(time.Duration(d).String())), nil
}

// UnmarshalJSON reads "300ms" (a number is refused: its unit is unclear).
func (d *Duration) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("want a duration string such as \"250ms\" or \"2s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a duration (use a unit: 250ms, 2s, 5m)", s)
	}
	*d = Duration(v)
	return nil
}

// Size is a byte count written as "64MiB", "512KiB", "1GB" or plain bytes.
type Size int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"B", 1},
}

// ParseSize parses a size such as "64MiB".
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || (mult > 1 && n > (1<<62)/mult) {
		return 0, fmt.Errorf("%q is not a size (use 64MiB, 512KiB, 1GB or bytes)", s)
	}
	return Size(n * mult), nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return valueError(n, "want a size such as 64MiB")
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return valueError(n, err.Error())
	}
	*s = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (s Size) MarshalYAML() (any, error) {
	switch {
	case s != 0 && s%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", s>>30), nil
	case s != 0 && s%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", s>>20), nil
	case s != 0 && s%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", s>>10), nil
	}
	return strconv.FormatInt(int64(s), 10), nil
}

// valueError reports a bad value as a *yaml.TypeError: the decoder then
// goes on with the rest of the file, so that one run reports every bad
// value (any other error would stop it at the first).
func valueError(n *yaml.Node, msg string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, msg)}}
}
