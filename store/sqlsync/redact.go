package sqlsync

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// redactor removes a DSN and the password in it from error messages:
// drivers may quote their connection settings.
type redactor struct{ secrets []string }

var (
	rePasswordKV = regexp.MustCompile(`(?i)(?:password|pwd)\s*=\s*([^;\s]+)`)
	reMySQLPass  = regexp.MustCompile(`^[^:@/]*:([^@]+)@`)
)

func newRedactor(dsn string) *redactor {
	r := &redactor{secrets: []string{dsn}}
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			r.secrets = append(r.secrets, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	for _, m := range rePasswordKV.FindAllStringSubmatch(dsn, -1) {
		r.secrets = append(r.secrets, strings.Trim(m[1], `'"{}`))
	}
	if m := reMySQLPass.FindStringSubmatch(dsn); m != nil {
		r.secrets = append(r.secrets, m[1])
	}
	return r
}

func (r *redactor) string(s string) string {
	for _, sec := range r.secrets {
		if len(sec) >= 3 {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

// err returns err with the secrets replaced (the cause is kept for
// errors.Is only when nothing had to be removed).
func (r *redactor) err(err error) error {
	if err == nil {
		return nil
	}
	if msg := r.string(err.Error()); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}
