package template

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"time"
)

// Option changes how Parse compiles a template.
type Option func(*options)

type options struct {
	loc        *time.Location
	strictVars bool
	extraVars  []string
}

// WithLocation sets the PBX time zone used by TimeFormat when its UTC flag is
// not "1". The default is time.Local.
func WithLocation(loc *time.Location) Option {
	return func(o *options) {
		if loc != nil {
			o.loc = loc
		}
	}
}

// WithStrictVariables makes a reference to an unknown variable a validation
// error instead of a warning.
func WithStrictVariables() Option { return func(o *options) { o.strictVars = true } }

// WithKnownVariables adds variable names that the caller provides in every
// scenario, so the lint does not warn about them.
func WithKnownVariables(names ...string) Option {
	return func(o *options) { o.extraVars = append(o.extraVars, names...) }
}

// Parse reads, validates and compiles a template. On success the template is
// ready to render; t.Warnings lists what cidproxy does not act on.
//
// If the XML cannot be read Parse returns (nil, err). If it can be read but
// is invalid, Parse returns the model together with an error (errors.Join of
// one error per problem, each naming line, scenario, request and attribute);
// such a template must not be rendered (Render reports ErrNotCompiled).
func Parse(data []byte, opts ...Option) (*Template, error) {
	o := options{loc: time.Local}
	for _, f := range opts {
		f(&o)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("template: %d bytes exceeds the limit of %d bytes (1 MB)", len(data), MaxSize)
	}
	root, version, err := readTree(data)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	d := &decoder{}
	t, err := d.template(root)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	t.XMLVersion = version
	t.Warnings = d.warn
	link(t)
	errs := validate(t, &o)
	sort.SliceStable(t.Warnings, func(i, j int) bool { return t.Warnings[i].Line < t.Warnings[j].Line })
	if len(errs) > 0 {
		return t, errors.Join(errs...)
	}
	return t, nil
}

// ParseFile reads and parses the template file at path.
func ParseFile(path string, opts ...Option) (*Template, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	if st.Size() > MaxSize {
		return nil, fmt.Errorf("template: %d bytes exceeds the limit of %d bytes (1 MB)", st.Size(), MaxSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	return Parse(data, opts...)
}

// link sets the back references from requests to scenarios.
func link(t *Template) {
	for _, s := range t.Scenarios {
		for _, r := range s.Requests {
			r.scenario = s
		}
	}
}
