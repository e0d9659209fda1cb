package config

// Config is the whole daemon configuration.
type Config struct {
	Log    Log    `yaml:"log"`
	SIP    SIP    `yaml:"sip"`
	Events Events `yaml:"events"`
	Store  Store  `yaml:"store"`
	Lookup Lookup `yaml:"lookup"`
	Admin  Admin  `yaml:"admin"`
	CRM    CRM    `yaml:"crm"`
	// SQL: contact sync from SQL databases (config/sql.go).
	SQL SQL `yaml:"sql"`
	// Cluster: nil (no section) is a single node (config/cluster.go).
	Cluster *Cluster `yaml:"cluster"`
	// Extensions are seeded into the store at start (created, or updated
	// for the fields given); the API may edit them afterwards.
	Extensions []Extension `yaml:"extensions"`
	Limits     Limits      `yaml:"limits"`
	// MemoryLimit is the Go runtime's soft memory limit (debug.SetMemoryLimit);
	// 0 leaves the runtime default. The GOMEMLIMIT environment variable wins.
	MemoryLimit Size `yaml:"memory_limit"`
}

// Extension is a local extension as configured.
type Extension struct {
	Number string `yaml:"number"`
	Name   string `yaml:"name"`
	Email  string `yaml:"email"`
	// Popup overrides the integration's popup settings for this extension.
	Popup Popup `yaml:"popup"`
}

// Limits caps what the store accepts, by the number of extensions.
type Limits struct {
	// Tiers apply by extension count: the tier with the largest
	// MinExtensions not above the current count wins.
	Tiers []LimitTier `yaml:"tiers"`
}

// LimitTier is one row of the limits table.
type LimitTier struct {
	MinExtensions    int `yaml:"min_extensions"`
	CompanyContacts  int `yaml:"company_contacts"`
	Phonebooks       int `yaml:"phonebooks"`
	PersonalContacts int `yaml:"personal_contacts"` // per extension
}

// For returns the tier that applies to n extensions.
func (l Limits) For(n int) LimitTier {
	var best LimitTier
	for _, t := range l.Tiers {
		if t.MinExtensions <= n && t.MinExtensions >= best.MinExtensions {
			best = t
		}
	}
	return best
}

// Log configures log/slog output.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// SIP configures the proxy.
type SIP struct {
	// Listen holds transport URLs: udp://IP:PORT, tcp://IP:PORT, tls://IP:PORT.
	Listen []string `yaml:"listen"`
	// Upstream is the next hop for initial requests (sip:HOST:PORT[;transport=tcp]).
	// Empty routes by Request-URI.
	Upstream string `yaml:"upstream"`
	// RouteAllow lists the next hops a Route header may send a request to
	// besides Upstream and this proxy's own Record-Route: "host" (any port)
	// or "host:port". Others get 403 (no open relay). "*" allows any.
	RouteAllow []string `yaml:"route_allow"`
	// Hostname is the host written into Via and Record-Route. Empty uses the
	// IP of the first listen address.
	Hostname string `yaml:"hostname"`
	// TLS certificate and key (PEM files); required when a tls:// listener is configured.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// TrustPAI makes the P-Asserted-Identity user the caller number when present.
	TrustPAI bool `yaml:"trust_pai"`
	// NameWithheld also names callers that asked for privacy (Privacy: id, anonymous From).
	// Even then they are never looked up outside the daemon (no CRM).
	NameWithheld bool `yaml:"name_withheld"`
	// SourceHeader adds X-Cid-Source: personal|company|prefix|crm|extension.
	SourceHeader bool `yaml:"source_header"`
	// MaxNameLength caps the display name, in characters (runes).
	MaxNameLength int `yaml:"max_name_length"`
	// LookupBudget bounds the time an INVITE waits for a name.
	LookupBudget Duration `yaml:"lookup_budget"`
	// RingTimeout is Timer C: an INVITE without a final answer after this is
	// cancelled downstream, answered 408 upstream and reported missed.
	RingTimeout Duration `yaml:"ring_timeout"`
	// DialogExpiry forgets answered dialogs whose BYE was lost.
	DialogExpiry Duration `yaml:"dialog_expiry"`
	// ShutdownGrace bounds how long shutdown waits for open transactions.
	ShutdownGrace Duration `yaml:"shutdown_grace"`
	// PhonebookRoutes act on an INVITE whose caller matched a company
	// contact through a phonebook (routing inbound calls by phonebook).
	PhonebookRoutes []PhonebookRoute `yaml:"phonebook_routes"`
	// UDPBuffer is the kernel receive and send buffer of each UDP listener
	// (SO_RCVBUF/SO_SNDBUF). It absorbs bursts while the proxy is briefly
	// busy; Linux caps it at net.core.rmem_max / wmem_max (a warning says so).
	UDPBuffer Size `yaml:"udp_buffer"`
	// UDPReaders is the number of goroutines reading and parsing each UDP
	// listener's datagrams (0 = one per CPU).
	UDPReaders int `yaml:"udp_readers"`
	// MaxBacklog is the number of runnable goroutines (messages waiting for
	// CPU) above which the listeners pause reading, so an overload waits in
	// the socket buffers instead of in the process (0 = never pause).
	MaxBacklog int `yaml:"max_backlog"`
	// MaxPending caps the requests being handled at once (calls waiting for
	// the next hop included); a new out-of-dialog request past it gets 503
	// with Retry-After (0 = no cap).
	MaxPending int `yaml:"max_pending"`
	// UDPMaxSize: a request that would leave over UDP larger than this
	// (bytes) goes over TCP instead (RFC 3261 18.1.1; 1300 when the path
	// MTU is unknown). 0 keeps every request on UDP.
	UDPMaxSize Size `yaml:"udp_max_size"`
	// TCPIdleTimeout closes a TCP/TLS connection that received nothing for
	// so long; TCPMessageTimeout one whose started message is incomplete so
	// long after its first bytes (0 = never).
	TCPIdleTimeout    Duration `yaml:"tcp_idle_timeout"`
	TCPMessageTimeout Duration `yaml:"tcp_message_timeout"`
	// TCPMaxConns and TCPMaxConnsPerIP cap accepted TCP/TLS connections in
	// total and per source IP (0 = no cap).
	TCPMaxConns      int `yaml:"tcp_max_conns"`
	TCPMaxConnsPerIP int `yaml:"tcp_max_conns_per_ip"`
	// Extensions lists the numbering of local extensions as patterns:
	// "1001", "1000-1999" (numeric range), "2XXX" (X = any digit).
	// It decides call direction (inbound, outbound, internal).
	Extensions []string `yaml:"extensions"`
}

// Events configures the lifecycle event bus.
type Events struct {
	// QueueSize is each subscriber's buffer; a full queue drops and counts.
	QueueSize int `yaml:"queue_size"`
	// Log emits every event to the log at info level.
	Log bool `yaml:"log"`
}

// Store configures the Badger store.
type Store struct {
	Dir string `yaml:"dir"`
	// MemTableSize and BlockCacheSize tune Badger's memory footprint.
	MemTableSize   Size `yaml:"memtable_size"`
	BlockCacheSize Size `yaml:"block_cache_size"`
	IndexCacheSize Size `yaml:"index_cache_size"`
	// SyncWrites makes every write durable before it returns.
	SyncWrites bool `yaml:"sync_writes"`
	// MinFreeSpace is the free space kept on the store's file system:
	// writes are refused below it (0: 4 x MemTableSize + 32MiB).
	MinFreeSpace Size `yaml:"min_free_space"`
}

// Lookup configures number matching.
type Lookup struct {
	// DefaultRegion is the ISO 3166 region for numbers without a country code.
	DefaultRegion string `yaml:"default_region"`
	// MatchLastDigits enables a fallback match on the last N digits (0 = off).
	MatchLastDigits int `yaml:"match_last_digits"`
	// IdentifyFromAllCompanyContacts names callers from every company
	// contact, not only those in phonebooks the callee may view.
	IdentifyFromAllCompanyContacts bool `yaml:"identify_from_all_company_contacts"`
}

// Admin configures the HTTP listener for /metrics, /healthz and the API.
type Admin struct {
	Listen string `yaml:"listen"`
	// ProtectMetrics requires an admin token for /metrics.
	ProtectMetrics bool `yaml:"protect_metrics"`
	// PublicURL is the base URL phones and browsers use to reach the admin
	// listener (phone directory paging links, OAuth callbacks). Empty:
	// http://<admin.listen>.
	PublicURL string `yaml:"public_url"`
	// MaxBodySize caps API request bodies (imports included).
	MaxBodySize Size `yaml:"max_body_size"`
	// Pprof serves net/http/pprof under /debug/pprof/ (for profiling; off by default).
	Pprof bool `yaml:"pprof"`
}

// CRM configures CRM integrations.
type CRM struct {
	// KeyFile holds the AES key that encrypts tokens and secrets at rest;
	// created with mode 0600 on first start when missing. Empty: DIR/secret.key.
	KeyFile string `yaml:"key_file"`
	// Integrations run inside the daemon: caller lookup, contact sync,
	// call journal, contact creation, popups (config/crm.go).
	Integrations []Integration `yaml:"integrations"`
}

// PhonebookRoute is one "route inbound calls by matched phonebook" rule.
type PhonebookRoute struct {
	Phonebook string `yaml:"phonebook"` // phonebook name
	// Header adds "X-Cid-Phonebook: NAME".
	Header bool `yaml:"header"`
	// RequestURIUser, when set, replaces the Request-URI user (e.g. a queue number).
	RequestURIUser string `yaml:"request_uri_user"`
}
