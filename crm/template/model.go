package template

import (
	"encoding/xml"
	"strconv"
)

// Scenario Ids known to cidproxy.
const (
	ScenarioAuth             = "AuthMethod"
	ScenarioUserAssociation  = "UserAssociation"
	ScenarioSyncContactAuto  = "SyncContactAuto"
	ScenarioSearchContact    = "SearchContact"
	ScenarioCreateNewContact = "CreateNewContact"
	ScenarioCreateNewTicket  = "CreateNewTicket"
	ScenarioCallJournal      = "CallJournal"
	ScenarioGetGlobalInfo    = "GetGlobalInfo"
	ScenarioCommon           = "Common"
)

// Parameter Father values.
const (
	FatherCustomField    = "CustomFieldList"
	FatherHeader         = "PopulateTemplateString"
	FatherAuthOption     = "AuthOption"
	FatherTokenErrorMap  = "TokenErrorMap"
	FatherCustomScenario = "CustomScenarioParameter"
)

// AuthType is the normalised authentication method of a template.
type AuthType string

// Authentication methods. "bearer" in a template is read as AuthBearerToken.
const (
	AuthNone        AuthType = "none"
	AuthBasic       AuthType = "basic"
	AuthOAuth2      AuthType = "oauth2"
	AuthBearerToken AuthType = "bearertoken"
)

// Template is a parsed integration template: the <Information> root element.
// All attributes are kept as written so that Bytes reproduces them; use the
// methods (Auth, MaxConcurrent, Feature) for typed values.
type Template struct {
	XMLVersion string // version of the XML declaration ("1.0", "1.1"), "" if there was none

	Provider             string
	Name                 string
	Key                  string
	Logo                 string
	Remark               string
	Version              string
	AuthType             string
	MaxConcurrentRequest string
	UserAssociation      string
	CallJournal          string
	CreateNewContact     string
	CreateNewTicket      string

	// Parameters is the rarely used <Parameters> directly below <Information>.
	Parameters []*Parameter
	Scenarios  []*Scenario

	Extra Extra
	Line  int

	// Warnings lists what loads but cidproxy does not act on, and lint
	// findings that do not stop the template (see Parse).
	Warnings []Warning

	c *compiled // compiled values and paths; nil until Parse succeeded
}

// Scenario is one <Scenario> element.
type Scenario struct {
	ID         string
	Type       string
	Presets    *Node // <Presets> as read (its content is not interpreted); nil if absent
	Parameters []*Parameter
	Requests   []*Request
	Extra      Extra
	Line       int

	urlOut *Output // compiled ContactFieldForUri
}

// Parameter is one <Parameter> element, in a scenario or in a request.
type Parameter struct {
	Name        string
	Value       string
	Type        string // Header, Body (others are kept and warned about)
	Father      string // CustomFieldList, PopulateTemplateString, AuthOption, TokenErrorMap, CustomScenarioParameter
	Editor      string // string, password, list (CustomFieldList only)
	Title       string
	Description string
	Key         string
	Extra       Extra
	Line        int

	v *value // compiled Value; nil for values that are not templates
}

// Request is one <Request> element.
type Request struct {
	Name            string
	Method          string
	ResponseType    string
	RequestEncoding string
	URLFormat       string
	Weight          string
	Parameters      []*Parameter
	Outputs         *Outputs // nil if there was no <Outputs> element
	Extra           Extra
	Line            int

	scenario  *Scenario
	url       *value
	bodyCount int
}

// Outputs is the <Outputs> element of a request.
type Outputs struct {
	Next    string // name of a request in the Common scenario run for each record
	Outputs []*Output
	Extra   Extra
	Line    int
}

// Output maps a GJSON path in the response to a variable.
type Output struct {
	Name  string
	Path  string
	Type  string
	Extra Extra
	Line  int

	p *path
}

// Extra holds attributes and child elements that the model does not name,
// so that they survive a round trip.
type Extra struct {
	Attrs []xml.Attr
	Elems []*Node
	Text  string // non-blank character data inside the element, trimmed
}

// Node is a generic XML element kept as read.
type Node struct {
	Name     string
	Attrs    []xml.Attr
	Children []*Node
	Text     string // trimmed character data; "" if blank
	Line     int
}

// Warning is a finding that does not prevent loading.
type Warning struct {
	Line int
	Msg  string
}

func (w Warning) String() string { return "line " + strconv.Itoa(w.Line) + ": " + w.Msg }
