package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Listener is a parsed sip.listen entry.
type Listener struct {
	Transport string // udp, tcp or tls
	Addr      string // host:port
}

// ParseListen parses "udp://127.0.0.1:5060".
func ParseListen(s string) (Listener, error) {
	tr, addr, ok := strings.Cut(s, "://")
	if !ok {
		return Listener{}, fmt.Errorf("%q: want transport://ip:port, e.g. udp://127.0.0.1:5060", s)
	}
	tr = strings.ToLower(tr)
	switch tr {
	case "udp", "tcp", "tls":
	default:
		return Listener{}, fmt.Errorf("%q: transport %q is not udp, tcp or tls", s, tr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return Listener{}, fmt.Errorf("%q: %v", s, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return Listener{}, fmt.Errorf("%q: bad port %q", s, port)
	}
	if _, err := netip.ParseAddr(host); err != nil {
		return Listener{}, fmt.Errorf("%q: %q is not an IP address", s, host)
	}
	return Listener{Transport: tr, Addr: addr}, nil
}

// Listeners returns the parsed sip.listen entries (valid after Validate).
func (s SIP) Listeners() []Listener {
	out := make([]Listener, 0, len(s.Listen))
	for _, l := range s.Listen {
		if p, err := ParseListen(l); err == nil {
			out = append(out, p)
		}
	}
	return out
}

var (
	reRegion    = regexp.MustCompile(`^[A-Z]{2}$`)
	reExtension = regexp.MustCompile(`^(\d+-\d+|[0-9Xx]+)$`)
	reUpstream  = regexp.MustCompile(`^sips?:[^\s@]+$`)
)

// Validate checks every value; the errors are *FieldError values joined.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, &FieldError{Key: key, Msg: fmt.Sprintf(format, a...)})
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "%q is not text or json", c.Log.Format)
	}
	c.validateSIP(bad)
	if c.Events.QueueSize < 1 || c.Events.QueueSize > 1<<20 {
		bad("events.queue_size", "%d is out of range 1..1048576", c.Events.QueueSize)
	}
	if strings.TrimSpace(c.Store.Dir) == "" {
		bad("store.dir", "must not be empty")
	}
	if c.Store.MemTableSize < 1<<20 {
		bad("store.memtable_size", "must be at least 1MiB")
	}
	if !reRegion.MatchString(c.Lookup.DefaultRegion) {
		bad("lookup.default_region", "%q is not a two-letter ISO 3166 region such as DE or US", c.Lookup.DefaultRegion)
	}
	if c.Lookup.MatchLastDigits != 0 && (c.Lookup.MatchLastDigits < 4 || c.Lookup.MatchLastDigits > 15) {
		bad("lookup.match_last_digits", "%d: use 0 (off) or 4..15", c.Lookup.MatchLastDigits)
	}
	if _, _, err := net.SplitHostPort(c.Admin.Listen); c.Admin.Listen != "" && err != nil {
		bad("admin.listen", "%q: %v", c.Admin.Listen, err)
	}
	c.validateDirectory(bad)
	c.validateCRM(bad)
	c.validateSQL(bad)
	c.validateCluster(bad)
	return errors.Join(errs...)
}

var reExtNumber = regexp.MustCompile(`^[0-9]{1,15}$`)

func (c *Config) validateDirectory(bad func(key, format string, a ...any)) {
	seen := map[string]bool{}
	for _, e := range c.Extensions {
		if !reExtNumber.MatchString(e.Number) {
			bad("extensions", "%q: an extension number is 1 to 15 digits", e.Number)
		} else if seen[e.Number] {
			bad("extensions", "extension %s is listed twice", e.Number)
		}
		seen[e.Number] = true
	}
	if len(c.Limits.Tiers) == 0 {
		bad("limits.tiers", "at least one tier is required")
	}
	for i, t := range c.Limits.Tiers {
		if t.MinExtensions < 0 || t.CompanyContacts < 1 || t.Phonebooks < 1 || t.PersonalContacts < 1 {
			bad("limits.tiers", "tier %d: min_extensions must be >= 0 and every limit >= 1", i+1)
		}
	}
	for i, r := range c.SIP.PhonebookRoutes {
		if strings.TrimSpace(r.Phonebook) == "" {
			bad("sip.phonebook_routes", "rule %d: phonebook is required", i+1)
		}
		if !r.Header && r.RequestURIUser == "" {
			bad("sip.phonebook_routes", "rule %d (%s): set header: true and/or request_uri_user", i+1, r.Phonebook)
		}
		if strings.ContainsAny(r.RequestURIUser, " \t\r\n@:;<>\"") {
			bad("sip.phonebook_routes", "rule %d: request_uri_user %q is not a SIP user part", i+1, r.RequestURIUser)
		}
	}
	if c.Admin.PublicURL != "" && !strings.HasPrefix(c.Admin.PublicURL, "http://") && !strings.HasPrefix(c.Admin.PublicURL, "https://") {
		bad("admin.public_url", "%q must start with http:// or https://", c.Admin.PublicURL)
	}
	if c.Admin.MaxBodySize < 1<<10 {
		bad("admin.max_body_size", "must be at least 1KiB")
	}
}

func (c *Config) validateSIP(bad func(key, format string, a ...any)) {
	s := c.SIP
	if len(s.Listen) == 0 {
		bad("sip.listen", "at least one listener is required")
	}
	tls := false
	for _, l := range s.Listen {
		p, err := ParseListen(l)
		if err != nil {
			bad("sip.listen", "%v", err)
			continue
		}
		tls = tls || p.Transport == "tls"
	}
	if tls && (s.TLSCert == "" || s.TLSKey == "") {
		bad("sip.tls_cert", "a tls:// listener needs tls_cert and tls_key")
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		bad("sip.tls_key", "tls_cert and tls_key go together")
	}
	if s.Upstream != "" && !reUpstream.MatchString(s.Upstream) {
		bad("sip.upstream", "%q is not a SIP URI such as sip:10.0.0.5:5060", s.Upstream)
	}
	if s.MaxNameLength < 1 || s.MaxNameLength > 256 {
		bad("sip.max_name_length", "%d is out of range 1..256", s.MaxNameLength)
	}
	if s.LookupBudget.D() <= 0 || s.LookupBudget.D() > 10e9 {
		bad("sip.lookup_budget", "%s: use a value between 1ms and 10s", s.LookupBudget.D())
	}
	if s.RingTimeout.D() < 1e9 {
		bad("sip.ring_timeout", "must be at least 1s")
	}
	if s.UDPBuffer != 0 && (s.UDPBuffer < 64<<10 || s.UDPBuffer > 1<<30) {
		bad("sip.udp_buffer", "%d bytes: use 0 (kernel default) or 64KiB..1GiB", int64(s.UDPBuffer))
	}
	if s.TCPIdleTimeout < 0 || s.TCPMessageTimeout < 0 {
		bad("sip.tcp_idle_timeout", "timeouts must not be negative (0 = never)")
	}
	if s.TCPMaxConns < 0 || s.TCPMaxConnsPerIP < 0 {
		bad("sip.tcp_max_conns", "caps must not be negative (0 = no cap)")
	}
	if s.UDPMaxSize != 0 && (s.UDPMaxSize < 500 || s.UDPMaxSize > 65000) {
		bad("sip.udp_max_size", "%d bytes: use 0 (always UDP) or 500..65000 (1300 per RFC 3261 18.1.1)", int64(s.UDPMaxSize))
	}
	if s.MaxPending < 0 {
		bad("sip.max_pending", "%d: use 0 (no cap) or a positive number of requests", s.MaxPending)
	}
	if s.MaxBacklog < 0 {
		bad("sip.max_backlog", "%d: use 0 (off) or a positive number of goroutines", s.MaxBacklog)
	}
	if s.UDPReaders < 0 || s.UDPReaders > 64 {
		bad("sip.udp_readers", "%d is out of range 0..64", s.UDPReaders)
	}
	for _, h := range s.RouteAllow {
		host := h
		if hh, _, err := net.SplitHostPort(h); err == nil {
			host = hh
		}
		if h != "*" && (host == "" || strings.ContainsAny(host, " \t;,<>@/")) {
			bad("sip.route_allow", "%q: use a host, host:port or \"*\"", h)
		}
	}
	if s.DialogExpiry.D() < 60e9 {
		bad("sip.dialog_expiry", "must be at least 1m")
	}
	for _, e := range s.Extensions {
		if !reExtension.MatchString(e) {
			bad("sip.extensions", "%q: use a number (1001), a range (1000-1999) or a pattern (2XXX)", e)
			continue
		}
		if lo, hi, ok := strings.Cut(e, "-"); ok {
			a, _ := strconv.ParseUint(lo, 10, 64)
			b, _ := strconv.ParseUint(hi, 10, 64)
			if a > b || len(lo) != len(hi) {
				bad("sip.extensions", "%q: range bounds must have equal length and low <= high", e)
			}
		}
	}
}
