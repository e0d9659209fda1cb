package lookup

// Extension is a local extension (a user with a phone).
type Extension struct {
	Number string `json:"number"`          // "1001"; also the key
	Name   string `json:"name"`            // display name shown for internal calls
	Email  string `json:"email,omitempty"` // used to associate CRM users
	// Popup overrides the CRM integration's popup settings for this
	// extension (empty fields inherit).
	Popup *PopupSettings `json:"popup,omitempty"`
	Rev   uint64         `json:"rev,omitempty"`
}

// PopupSettings are an extension's call popup settings: Trigger is
// ringing, answered, ended, manual or off; Unknown is new_contact or none;
// empty inherits.
type PopupSettings struct {
	Trigger string `json:"trigger,omitempty"`
	Unknown string `json:"unknown,omitempty"`
}

// Phonebook is a named group of company contacts with permissions.
// A new phonebook is visible to no one until granted.
type Phonebook struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// ViewAll grants view to every extension; View lists extensions that may view.
	ViewAll bool     `json:"view_all,omitempty"`
	View    []string `json:"view,omitempty"`
	// ManageAll/Manage grant editing of the phonebook's contacts (implies view).
	ManageAll bool     `json:"manage_all,omitempty"`
	Manage    []string `json:"manage,omitempty"`
	// Source is "manual", "csv", "sql:NAME" or "crm:TEMPLATE"; a synced
	// phonebook (ReadOnly) cannot be edited by anyone through the API.
	Source   string `json:"source,omitempty"`
	ReadOnly bool   `json:"read_only,omitempty"`
	Rev      uint64 `json:"rev,omitempty"`
}

// CanView reports whether extension ext may see the phonebook.
func (p *Phonebook) CanView(ext string) bool {
	return p.ViewAll || p.ManageAll || contains(p.View, ext) || contains(p.Manage, ext)
}

// CanManage reports whether extension ext may edit the phonebook's contacts.
func (p *Phonebook) CanManage(ext string) bool {
	return !p.ReadOnly && (p.ManageAll || contains(p.Manage, ext))
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Kinds of records in the change feed (Change.Kind).
const (
	KindContact   = "contact"   // company contact
	KindPersonal  = "personal"  // personal contact (Owner set)
	KindPhonebook = "phonebook" //
	KindExtension = "extension" //
	KindPrefix    = "prefix"    // prefix rule
)

// Change is one entry of the change feed used by GET /api/v1/sync?since=REV.
type Change struct {
	Rev     uint64 `json:"rev"`
	Kind    string `json:"kind"`
	ID      string `json:"id"`
	Deleted bool   `json:"deleted,omitempty"`
	// Owner is set for personal contacts: only that extension sees the change.
	Owner string `json:"owner,omitempty"`
	// Phonebooks a company contact belonged to after (or, for a deletion,
	// before) the change, for visibility filtering.
	Phonebooks []string `json:"phonebooks,omitempty"`
	// Viewers of a phonebook change: the extensions that could view the
	// phonebook before or after it ("*": all), so a sync feed tells only
	// them about it.
	Viewers []string `json:"viewers,omitempty"`
}

// Viewer is who asks: an admin sees everything; an extension sees its own
// personal contacts and the phonebooks it may view.
type Viewer struct {
	Admin     bool
	Extension string
}

// ContactQuery selects contacts for listing and search.
type ContactQuery struct {
	Viewer Viewer
	// Text matches first/last name, company and email: case- and
	// accent-insensitive substring.
	Text string
	// Number matches any number field, in any format (normalised).
	Number string
	// Phonebook restricts company contacts to one phonebook id.
	Phonebook string
	// Cursor continues a previous page; Limit caps the page (store maximum applies).
	Cursor string
	Limit  int
}

// ImportError is one rejected row of a bulk import.
type ImportError struct {
	Row   int    `json:"row"`             // 1-based data row (CSV line or vCard card)
	Field string `json:"field,omitempty"` // column or property
	Error string `json:"error"`
}

// ImportResult reports a bulk import.
type ImportResult struct {
	Imported int           `json:"imported"`
	Rejected []ImportError `json:"rejected,omitempty"`
}
