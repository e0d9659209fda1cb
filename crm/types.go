package crm

import (
	"strings"
	"time"
)

// Contact is a CRM contact (or lead, account, helpdesk user) mapped from the
// SyncContactAuto outputs of a template.
type Contact struct {
	ID          string `json:"id"`
	Type        string `json:"type"` // ContactSyncType: the request name (Contacts, Leads, ...)
	FirstName   string `json:"first_name,omitempty"`
	LastName    string `json:"last_name,omitempty"`
	Company     string `json:"company,omitempty"`
	Email       string `json:"email,omitempty"`
	Business    string `json:"business,omitempty"`
	Business2   string `json:"business2,omitempty"`
	BusinessFax string `json:"business_fax,omitempty"`
	Mobile      string `json:"mobile,omitempty"`
	Mobile2     string `json:"mobile2,omitempty"`
	Home        string `json:"home,omitempty"`
	Home2       string `json:"home2,omitempty"`
	HomeFax     string `json:"home_fax,omitempty"`
	Other       string `json:"other,omitempty"`
	ZipCode     string `json:"zip_code,omitempty"`
	Street      string `json:"street,omitempty"`
	City        string `json:"city,omitempty"`
	State       string `json:"state,omitempty"`
	Country     string `json:"country,omitempty"`
	Remark      string `json:"remark,omitempty"`
	// CustomValue only feeds the popup URL; it is not part of the contact.
	CustomValue string `json:"-"`
	// URL is the popup URL (ContactUrlType); empty if the template has none.
	URL string `json:"url,omitempty"`
}

// DisplayName is "First Last", falling back to the company and then the
// first number.
func (c Contact) DisplayName() string {
	if n := strings.TrimSpace(strings.TrimSpace(c.FirstName) + " " + strings.TrimSpace(c.LastName)); n != "" {
		return n
	}
	if c.Company != "" {
		return c.Company
	}
	if nums := c.Numbers(); len(nums) > 0 {
		return nums[0]
	}
	return ""
}

// Numbers returns the non-empty phone numbers in field order.
func (c Contact) Numbers() []string {
	var out []string
	for _, n := range []string{c.Business, c.Business2, c.BusinessFax, c.Mobile, c.Mobile2, c.Home, c.Home2, c.HomeFax, c.Other} {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// contactFields maps SyncContactAuto output names to Contact fields.
var contactFields = map[string]func(*Contact) *string{
	"ContactsId": func(c *Contact) *string { return &c.ID },
	"FirstName":  func(c *Contact) *string { return &c.FirstName }, "LastName": func(c *Contact) *string { return &c.LastName },
	"Company": func(c *Contact) *string { return &c.Company }, "Email": func(c *Contact) *string { return &c.Email },
	"BusinessNumber": func(c *Contact) *string { return &c.Business }, "BusinessNumber2": func(c *Contact) *string { return &c.Business2 },
	"BusinessFaxNumber": func(c *Contact) *string { return &c.BusinessFax }, "MobileNumber": func(c *Contact) *string { return &c.Mobile },
	"MobileNumber2": func(c *Contact) *string { return &c.Mobile2 }, "HomeNumber": func(c *Contact) *string { return &c.Home },
	"HomeNumber2": func(c *Contact) *string { return &c.Home2 }, "HomeFaxNumber": func(c *Contact) *string { return &c.HomeFax },
	"OtherNumber": func(c *Contact) *string { return &c.Other }, "ZipCode": func(c *Contact) *string { return &c.ZipCode },
	"Street": func(c *Contact) *string { return &c.Street }, "City": func(c *Contact) *string { return &c.City },
	"State": func(c *Contact) *string { return &c.State }, "Country": func(c *Contact) *string { return &c.Country },
	"Remark": func(c *Contact) *string { return &c.Remark }, "CustomValue": func(c *Contact) *string { return &c.CustomValue },
}

// contactEnable names the SyncContactAuto parameter that switches each
// output on; ContactsId and FirstName are always on.
var contactEnable = map[string]string{
	"LastName": "LastNameEnable", "Company": "CompanyEnable", "Email": "EmailEnable",
	"BusinessNumber": "BusinessNumberEnable", "BusinessNumber2": "BusinessNumber2Enable",
	"BusinessFaxNumber": "BusinessFaxNumberEnable", "MobileNumber": "MobileNumberEnable",
	"MobileNumber2": "MobileNumber2Enable", "HomeNumber": "HomeNumberEnable", "HomeNumber2": "HomeNumber2Enable",
	"HomeFaxNumber": "HomeFaxNumberEnable", "OtherNumber": "OtherNumberEnable", "ZipCode": "ZipCodeEnable",
	"Street": "StreetEnable", "City": "CityEnable", "State": "StateEnable", "Country": "CountryEnable",
	"Remark": "RemarkEnable", "CustomValue": "CustomValueEnable",
}

// User is a CRM user (UserAssociation scenario).
type User struct {
	ID        string `json:"id"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Email     string `json:"email,omitempty"`
}

// Extension is a PBX extension as far as the CRM cares.
type Extension struct {
	Number    string `json:"number"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Email     string `json:"email,omitempty"`
}

// Call directions for CallRecord.Direction (the seed's Communication_Type).
const (
	DirectionInbound  = "Inbound"
	DirectionOutbound = "Outbound"
)

// Dispositions for CallRecord.Disposition (the seed's CallDisposition).
const (
	DispositionAnswered  = "ANSWERED"
	DispositionMissed    = "MISSED"
	DispositionBusy      = "BUSY"
	DispositionNoAnswer  = "NO ANSWER"
	DispositionVoicemail = "VOICEMAIL"
)

// CallRecord is a finished call to journal (CallJournal) or to open a
// ticket for (CreateNewTicket).
type CallRecord struct {
	CallID string    // SIP Call-ID: the journal's idempotency key
	Start  time.Time // call started (INVITE)
	Answer time.Time // zero if not answered
	End    time.Time

	Direction    string // DirectionInbound or DirectionOutbound
	CallerName   string
	CallerNumber string
	CalleeName   string
	CalleeNumber string

	Disposition string // Disposition*; empty = derived from Answer
	Voicemail   bool   // the call went to voicemail

	Extension Extension // the PBX user on our side of the call
	CrmUserID string    // CRM user associated with the extension ("" = looked up)

	Contact       *Contact // matched CRM contact, nil if unknown
	ContactNumber string   // the external party's number
	TicketID      string   // from CreateTicket

	RecordingEnabled bool
	RecordPath       string // URL of the recording, if any
}
