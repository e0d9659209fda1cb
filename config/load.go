package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded default configuration file.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Default returns the embedded default configuration.
func Default() *Config {
	c, err := Parse("<default>", defaultYAML, nil)
	if err != nil {
		panic("config: embedded default is invalid: " + err.Error())
	}
	return c
}

// Load reads the file at path over the embedded defaults, strictly, and validates it.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, Default())
}

// Parse decodes data (named name in errors) over base (nil: zero values) and
// validates the result. Unknown keys and bad values are errors naming the
// file, line and key.
func Parse(name string, data []byte, base *Config) (*Config, error) {
	c := &Config{}
	if base != nil {
		cp := *base
		cp.SIP.Listen = append([]string(nil), base.SIP.Listen...)
		cp.SIP.Extensions = append([]string(nil), base.SIP.Extensions...)
		c = &cp
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("config: %s: %s", name, cleanYAMLError(err))
	}
	lines := map[string]int{}
	if len(root.Content) > 0 {
		indexLines(root.Content[0], "", lines)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	perr := &ParseError{File: name}
	if err := dec.Decode(c); err != nil && !errors.Is(err, errEOF(err)) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("config: %s: %s", name, describeDecodeError(err, lines))
		}
		perr.Problems = describeTypeErrors(te, lines)
	}
	// Validate even after bad values (they kept their defaults), so that
	// one run reports every problem.
	if err := c.Validate(); err != nil {
		perr.Invalid = withLines(err, lines)
		for _, e := range splitJoined(perr.Invalid) {
			perr.Problems = append(perr.Problems, e.Error())
		}
	}
	if len(perr.Problems) > 0 {
		perr.sortByLine()
		return nil, perr
	}
	return c, nil
}

// ParseError lists every problem found in a configuration file, in line
// order: unknown keys, bad values and failed validations.
type ParseError struct {
	File     string
	Problems []string // "line N: key K: problem", or "key K: problem" without a line
	Invalid  error    // the validation errors (*FieldError values joined), if any
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("config: %s: %s", e.File, strings.Join(e.Problems, "; "))
}

// Unwrap gives errors.As access to the *FieldError values.
func (e *ParseError) Unwrap() error { return e.Invalid }

func (e *ParseError) sortByLine() {
	line := func(s string) int {
		if m := reLine.FindStringSubmatch(s); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
		return 1 << 30
	}
	slices.SortStableFunc(e.Problems, func(a, b string) int { return line(a) - line(b) })
}

func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// errEOF treats an empty document as no overrides.
func errEOF(err error) error {
	if err != nil && err.Error() == "EOF" {
		return err
	}
	return nil
}

// indexLines records the line of every key path (a.b.c) in a mapping tree.
func indexLines(n *yaml.Node, prefix string, out map[string]int) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		out[path] = k.Line
		indexLines(v, path, out)
	}
}

var (
	reFieldNotFound = regexp.MustCompile(`line (\d+): field (\S+) not found in type config\.(\w+)`)
	reLine          = regexp.MustCompile(`^line (\d+): `)
)

// describeDecodeError adds the key to a decoding error's "line N: ...".
func describeDecodeError(err error, lines map[string]int) string {
	return keyForLine(cleanYAMLError(err), lines)
}

// describeTypeErrors rewrites yaml.v3's type errors into "line N: key K: problem".
func describeTypeErrors(te *yaml.TypeError, lines map[string]int) []string {
	msgs := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		if m := reFieldNotFound.FindStringSubmatch(e); m != nil {
			msgs = append(msgs, fmt.Sprintf("line %s: unknown key %q in %s", m[1], m[2], sectionName(m[3])))
			continue
		}
		msgs = append(msgs, keyForLine(e, lines))
	}
	return msgs
}

// keyForLine adds the key whose line matches a "line N: ..." message.
func keyForLine(msg string, lines map[string]int) string {
	m := reLine.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	best := ""
	for k, l := range lines {
		if fmt.Sprint(l) == m[1] && len(k) > len(best) {
			best = k
		}
	}
	if best == "" {
		return msg
	}
	return fmt.Sprintf("line %s: key %s: %s", m[1], best, strings.TrimPrefix(msg, m[0]))
}

func sectionName(typ string) string {
	if typ == "Config" {
		return "the top level"
	}
	return "section " + strings.ToLower(typ)
}

func cleanYAMLError(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// FieldError is a validation error for one key path such as "sip.listen".
type FieldError struct {
	Key  string
	Msg  string
	Line int // filled in by Parse when known
}

func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: key %s: %s", e.Line, e.Key, e.Msg)
	}
	return fmt.Sprintf("key %s: %s", e.Key, e.Msg)
}

// withLines fills in line numbers of FieldErrors from the parsed document.
func withLines(err error, lines map[string]int) error {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var fe *FieldError
		if errors.As(e, &fe) && fe.Line == 0 {
			key := fe.Key
			for key != "" {
				if l, ok := lines[key]; ok {
					fe.Line = l
					break
				}
				i := strings.LastIndexByte(key, '.')
				if i < 0 {
					break
				}
				key = key[:i]
			}
		}
	}
	return errors.Join(errs...)
}
