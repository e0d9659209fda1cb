package lookup

import "strings"

// Contact sources (Contact.Source). Synced sources carry a suffix:
// "sql:NAME" and "crm:TEMPLATE".
const (
	ContactSourceManual = "manual"
	ContactSourceCSV    = "csv"
)

// Contact is a company contact with the fields of the seed. It is the
// domain type shared by store (which persists it), the index and, later,
// the management API.
type Contact struct {
	ID        string `json:"id"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Company   string `json:"company,omitempty"`
	Email     string `json:"email,omitempty"`

	Business    string `json:"business_number,omitempty"`
	Business2   string `json:"business_number_2,omitempty"`
	BusinessFax string `json:"business_fax,omitempty"`
	Mobile      string `json:"mobile_number,omitempty"`
	Mobile2     string `json:"mobile_number_2,omitempty"`
	Home        string `json:"home_number,omitempty"`
	Home2       string `json:"home_number_2,omitempty"`
	HomeFax     string `json:"home_fax,omitempty"`
	Other       string `json:"other_number,omitempty"`

	Zip     string `json:"zip,omitempty"`
	Street  string `json:"street,omitempty"`
	City    string `json:"city,omitempty"`
	State   string `json:"state,omitempty"`
	Country string `json:"country,omitempty"`
	Remark  string `json:"remark,omitempty"`

	// Source says where the contact comes from: manual, csv, sql:NAME or
	// crm:TEMPLATE.
	Source string `json:"source,omitempty"`
	// ReadOnly marks synced contacts that must not be edited by hand.
	ReadOnly bool `json:"read_only,omitempty"`

	// Owner is the extension that owns a personal contact; empty for a
	// company contact.
	Owner string `json:"owner,omitempty"`
	// Phonebooks lists the ids of the phonebooks a company contact belongs to.
	Phonebooks []string `json:"phonebooks,omitempty"`
	// Rev is the store revision of the last write of this contact (ETag).
	Rev uint64 `json:"rev,omitempty"`
}

// NumberFieldCount is the number of phone number fields of a Contact.
const NumberFieldCount = 9

// NumberFieldNames names the number fields in the order NumberFields
// returns them; they are also the CSV column names.
var NumberFieldNames = [NumberFieldCount]string{
	"business_number", "business_number_2", "business_fax",
	"mobile_number", "mobile_number_2", "home_number", "home_number_2",
	"home_fax", "other_number",
}

// NumberFields returns pointers to the nine number fields in the order of
// NumberFieldNames, for code that walks them generically.
func (c *Contact) NumberFields() [NumberFieldCount]*string {
	return [NumberFieldCount]*string{
		&c.Business, &c.Business2, &c.BusinessFax,
		&c.Mobile, &c.Mobile2, &c.Home, &c.Home2,
		&c.HomeFax, &c.Other,
	}
}

// DisplayName is "first last" with surrounding space trimmed, or Company
// when both names are empty.
func (c *Contact) DisplayName() string {
	return string(AppendDisplayName(nil, c.FirstName, c.LastName, c.Company))
}

// AppendDisplayName appends the display name built from the given fields
// (see Contact.DisplayName) to dst.
func AppendDisplayName(dst []byte, first, last, company string) []byte {
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	switch {
	case first != "" && last != "":
		dst = append(dst, first...)
		dst = append(dst, ' ')
		return append(dst, last...)
	case first != "":
		return append(dst, first...)
	case last != "":
		return append(dst, last...)
	}
	return append(dst, strings.TrimSpace(company)...)
}

// Numbers lists the non-empty number fields as written (not normalised),
// in the order of NumberFieldNames.
func (c *Contact) Numbers() []string {
	var out []string
	for _, p := range c.NumberFields() {
		if s := strings.TrimSpace(*p); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// PrefixRule names every number that starts with Prefix, e.g. "+4930123"
// -> "ACME Berlin". Among several matching rules the longest prefix wins.
type PrefixRule struct {
	ID string `json:"id"`
	// Prefix as written: "+4930123", "+4930123*", "030123" (national form
	// of the default region) or plain digits for internal numbering.
	Prefix string `json:"prefix"`
	Name   string `json:"name"`
}
