package template

import (
	"strconv"
	"strings"
)

// Auth returns the normalised authentication method: the Information
// AuthType, or the AuthMethod parameter when AuthType is empty. "" if neither
// is set or the value is not a known method.
func (t *Template) Auth() AuthType {
	s := t.AuthType
	if s == "" {
		if p := t.Param(ScenarioAuth, "AuthMethod"); p != nil {
			s = p.Value
		}
	}
	return normAuth(s)
}

func normAuth(s string) AuthType {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none":
		return AuthNone
	case "basic":
		return AuthBasic
	case "oauth2", "oauth":
		return AuthOAuth2
	case "bearertoken", "bearer", "bearer_token":
		return AuthBearerToken
	}
	return ""
}

// MaxConcurrent returns MaxConcurrentRequest, or def when it is empty or not a
// positive number.
func (t *Template) MaxConcurrent(def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(t.MaxConcurrentRequest))
	if err != nil || n <= 0 {
		return def
	}
	return n
}

// Feature flags of the Information element.
const (
	FeatureUserAssociation  = "UserAssociation"
	FeatureCallJournal      = "CallJournal"
	FeatureCreateNewContact = "CreateNewContact"
	FeatureCreateNewTicket  = "CreateNewTicket"
)

// Feature reports whether the named Information flag (Feature*) is "1".
func (t *Template) Feature(name string) bool {
	var s string
	switch name {
	case FeatureUserAssociation:
		s = t.UserAssociation
	case FeatureCallJournal:
		s = t.CallJournal
	case FeatureCreateNewContact:
		s = t.CreateNewContact
	case FeatureCreateNewTicket:
		s = t.CreateNewTicket
	}
	return flagOn(s)
}

func flagOn(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// Scenario returns the scenario with the given Id, or nil.
func (t *Template) Scenario(id string) *Scenario {
	for _, s := range t.Scenarios {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// Param returns the first parameter named name in scenario id, or nil.
func (t *Template) Param(scenarioID, name string) *Parameter {
	if s := t.Scenario(scenarioID); s != nil {
		return s.Param(name)
	}
	return nil
}

// CommonRequest returns the request of the Common scenario named name, or nil.
func (t *Template) CommonRequest(name string) *Request {
	if s := t.Scenario(ScenarioCommon); s != nil {
		return s.Request(name)
	}
	return nil
}

// CustomFields returns the CustomFieldList parameters of the AuthMethod
// scenario: the fields an administrator fills in.
func (t *Template) CustomFields() []*Parameter { return t.byFather(FatherCustomField) }

// Headers returns the PopulateTemplateString header parameters of the
// AuthMethod scenario, sent with every request.
func (t *Template) Headers() []*Parameter { return t.byFather(FatherHeader) }

func (t *Template) byFather(f string) []*Parameter {
	s := t.Scenario(ScenarioAuth)
	if s == nil {
		return nil
	}
	var out []*Parameter
	for _, p := range s.Parameters {
		if p.Father == f {
			out = append(out, p)
		}
	}
	return out
}

// TokenInvalid returns the TokenInvalid text of the AuthMethod scenario (a
// plain TokenInvalid parameter or one with Father TokenErrorMap), "" if unset.
func (t *Template) TokenInvalid() string {
	if p := t.Param(ScenarioAuth, "TokenInvalid"); p != nil {
		return p.Value
	}
	return ""
}

// Param returns the first scenario parameter named name, or nil.
func (s *Scenario) Param(name string) *Parameter {
	for _, p := range s.Parameters {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// ParamValue returns the Value of parameter name, "" if absent.
func (s *Scenario) ParamValue(name string) string {
	if p := s.Param(name); p != nil {
		return p.Value
	}
	return ""
}

// Enabled reports whether parameter name (e.g. "EnableSubject",
// "LastNameEnable") is "1".
func (s *Scenario) Enabled(name string) bool { return flagOn(s.ParamValue(name)) }

// Request returns the request named name, or nil.
func (s *Scenario) Request(name string) *Request {
	for _, r := range s.Requests {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Scenario returns the scenario the request belongs to (nil before Parse).
func (r *Request) Scenario() *Scenario { return r.scenario }

// HTTPMethod returns the upper-cased Method, GET when empty.
func (r *Request) HTTPMethod() string {
	m := strings.ToUpper(strings.TrimSpace(r.Method))
	if m == "" {
		return "GET"
	}
	return m
}

// Next returns the Outputs Next attribute, "" if none.
func (r *Request) Next() string {
	if r.Outputs == nil {
		return ""
	}
	return r.Outputs.Next
}

// OutputList returns the outputs of the request (nil if none).
func (r *Request) OutputList() []*Output {
	if r.Outputs == nil {
		return nil
	}
	return r.Outputs.Outputs
}

// Param returns the request parameter named name, or nil.
func (r *Request) Param(name string) *Parameter {
	for _, p := range r.Parameters {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// StringVars converts a map of strings to Vars.
func StringVars(m map[string]string) Vars {
	v := make(Vars, len(m))
	for k, s := range m {
		v[k] = s
	}
	return v
}
