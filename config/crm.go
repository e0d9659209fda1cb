package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Integration is one CRM integration running inside the daemon
// (crm.integrations[]).
type Integration struct {
	// Name is the key; synced contacts get source crm:NAME.
	Name string `yaml:"name" json:"name"`
	// Template is builtin:NAME (zoho, hubspot, hubspot-oauth, freshdesk) or
	// the path of a template XML file.
	Template string `yaml:"template" json:"template"`
	// Fields are the template's CustomFieldList and auth values. A value
	// ${env:NAME} is read from the environment, ${file:PATH} from a file.
	Fields map[string]string `yaml:"fields" json:"fields,omitempty"`

	Lookup        IntegrationLookup `yaml:"lookup" json:"lookup,omitempty"`
	Sync          IntegrationSync   `yaml:"sync" json:"sync,omitempty"`
	Users         IntegrationUsers  `yaml:"users" json:"users,omitempty"`
	CreateContact CreateContact     `yaml:"create_contact" json:"create_contact,omitempty"`
	Journal       Journal           `yaml:"journal" json:"journal,omitempty"`
	Popup         Popup             `yaml:"popup" json:"popup,omitempty"`
}

// IntegrationLookup configures caller lookup in the INVITE path.
type IntegrationLookup struct {
	// Budget is how long an INVITE may wait for this CRM; 0 never waits
	// (the lookup runs in the background and names the next call); unset
	// is DefaultCRMBudget.
	Budget *Duration `yaml:"budget" json:"budget,omitempty"`
	// AlwaysQuery asks the CRM even when a local source knows the number.
	AlwaysQuery bool     `yaml:"always_query" json:"always_query,omitempty"`
	HitTTL      Duration `yaml:"hit_ttl" json:"hit_ttl,omitempty"`
	MissTTL     Duration `yaml:"miss_ttl" json:"miss_ttl,omitempty"`
}

// IntegrationSync says which contact types are searched and where matches land.
type IntegrationSync struct {
	// ContactTypes are request names of the SyncContactAuto scenario;
	// empty: all of them.
	ContactTypes []string `yaml:"contact_types" json:"contact_types,omitempty"`
	// Phonebook receives CRM matches as read-only contacts; created when
	// missing. Empty: "<name> CRM".
	Phonebook string `yaml:"phonebook" json:"phonebook,omitempty"`
}

// IntegrationUsers links CRM users to extensions.
type IntegrationUsers struct {
	AutoByEmail bool `yaml:"auto_by_email" json:"auto_by_email,omitempty"`
	// Map links extension -> CRM user id; explicit links win.
	Map map[string]string `yaml:"map" json:"map,omitempty"`
}

// CreateContact configures contact creation for unknown callers.
type CreateContact struct {
	Mode  string   `yaml:"mode" json:"mode,omitempty"`   // off, auto, manual
	Calls []string `yaml:"calls" json:"calls,omitempty"` // inbound, outbound (auto mode)
	Type  string   `yaml:"type" json:"type,omitempty"`   // contact type (request name)
}

// Journal configures call logging into the CRM.
type Journal struct {
	Enabled     bool     `yaml:"enabled" json:"enabled,omitempty"`
	Calls       []string `yaml:"calls" json:"calls,omitempty"` // inbound, outbound, missed
	Subject     string   `yaml:"subject" json:"subject,omitempty"`
	Description string   `yaml:"description" json:"description,omitempty"`
}

// Popup configures the browser popup of an integration or an extension.
type Popup struct {
	// Trigger: ringing, answered, ended, manual or off. Empty inherits
	// (an extension from its integration; an integration means off).
	Trigger string `yaml:"trigger" json:"trigger,omitempty"`
	// Unknown: new_contact (open the CRM's new-contact page) or none.
	Unknown string `yaml:"unknown" json:"unknown,omitempty"`
	// NewContactURL is the CRM's new-contact page that unknown: new_contact
	// opens (integrations only), e.g. https://crm.zoho.eu/crm/org1/tab/Contacts/create.
	NewContactURL string `yaml:"new_contact_url" json:"new_contact_url,omitempty"`
}

// DefaultCRMBudget is an integration's lookup budget when none is set.
const DefaultCRMBudget = Duration(300 * time.Millisecond)

// EffectiveBudget is the budget, or DefaultCRMBudget when unset.
func (l IntegrationLookup) EffectiveBudget() time.Duration {
	if l.Budget == nil {
		return DefaultCRMBudget.D()
	}
	return l.Budget.D()
}

// Dur returns a pointer to d, for optional durations in code.
func Dur(d time.Duration) *Duration { v := Duration(d); return &v }

var reIntegrationName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

func (c *Config) validateCRM(bad func(key, format string, a ...any)) {
	seen := map[string]bool{}
	for i, it := range c.CRM.Integrations {
		key := fmt.Sprintf("crm.integrations[%d]", i)
		if !reIntegrationName.MatchString(it.Name) {
			bad(key+".name", "%q: use 1-40 lower-case letters, digits, - or _", it.Name)
		} else if seen[it.Name] {
			bad(key+".name", "integration %q is listed twice", it.Name)
		}
		seen[it.Name] = true
		if strings.TrimSpace(it.Template) == "" {
			bad(key+".template", "required: builtin:NAME or a template file path")
		}
		if b := it.Lookup.Budget; b != nil && (*b < 0 || b.D() > 10e9) {
			bad(key+".lookup.budget", "%s: use 0 (never wait) up to 10s", b.D())
		}
		if it.Lookup.HitTTL < 0 || it.Lookup.MissTTL < 0 {
			bad(key+".lookup", "hit_ttl and miss_ttl must not be negative")
		}
		if !oneOf(it.CreateContact.Mode, "", "off", "auto", "manual") {
			bad(key+".create_contact.mode", "%q is not off, auto or manual", it.CreateContact.Mode)
		}
		for _, k := range it.CreateContact.Calls {
			if !oneOf(k, "inbound", "outbound") {
				bad(key+".create_contact.calls", "%q is not inbound or outbound", k)
			}
		}
		for _, k := range it.Journal.Calls {
			if !oneOf(k, "inbound", "outbound", "missed") {
				bad(key+".journal.calls", "%q is not inbound, outbound or missed", k)
			}
		}
		validatePopup(key+".popup", it.Popup, bad)
		for ext := range it.Users.Map {
			if !reExtNumber.MatchString(ext) {
				bad(key+".users.map", "%q: an extension number is 1 to 15 digits", ext)
			}
		}
	}
	for _, e := range c.Extensions {
		validatePopup("extensions["+e.Number+"].popup", e.Popup, bad)
	}
}

func validatePopup(key string, p Popup, bad func(key, format string, a ...any)) {
	if !oneOf(p.Trigger, "", "ringing", "answered", "ended", "manual", "off") {
		bad(key+".trigger", "%q is not ringing, answered, ended, manual or off", p.Trigger)
	}
	if !oneOf(p.Unknown, "", "new_contact", "none") {
		bad(key+".unknown", "%q is not new_contact or none", p.Unknown)
	}
	if u := p.NewContactURL; u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		bad(key+".new_contact_url", "%q must be an http(s) URL", u)
	}
}
