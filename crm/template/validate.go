package template

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Limits from the integration guide.
const (
	MaxHeaders = 20 // PopulateTemplateString headers
	// Custom fields (CustomFieldList) per AuthType. The guide says 5 for
	// none and basic and 10 for bearer token; it gives no number for OAuth2,
	// where cidproxy allows 10.
	MaxCustomFieldsNone   = 5
	MaxCustomFieldsBasic  = 5
	MaxCustomFieldsBearer = 10
	MaxCustomFieldsOAuth2 = 10
)

var knownScenarios = []string{
	ScenarioAuth, ScenarioUserAssociation, ScenarioSyncContactAuto, ScenarioSearchContact,
	ScenarioCreateNewContact, ScenarioCreateNewTicket, ScenarioCallJournal, ScenarioGetGlobalInfo, ScenarioCommon,
}

// scenarioParams are the scenario-level parameters cidproxy acts on.
var scenarioParams = map[string][]string{
	ScenarioAuth: {"AuthMethod", "TokenType", "AuthEndPoint", "TokenEndPoint", "AdditionalQueryString",
		"Scope", "CredentialType", "Base64EncodedCredential", "TokenRefreshInterval", "TokenInvalid",
		"NoNeedRefreshAccessToken", "TokenRequestFields"},
	ScenarioSyncContactAuto: contactParams,
	ScenarioSearchContact:   contactParams,
	ScenarioCreateNewTicket: {"EnableSubject", "Subject", "EnableDescription", "Description"},
	ScenarioCallJournal: {"EnableSubject", "Subject", "EnableDescription", "Description",
		"EnablePlayCallRecording", "PlayCallRecording"},
}

var contactParams = func() []string {
	p := []string{"ContactUrlType", "URLFormat", "ContactFieldForUri", "ContactFieldForUrl"}
	for _, o := range ContactOutputs {
		p = append(p, o+"Enable")
	}
	return p
}()

var httpMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

type validator struct {
	t     *Template
	o     *options
	c     *compiled
	errs  []error
	warns []Warning
}

func (v *validator) err(e *Error)   { v.errs = append(v.errs, e) }
func (v *validator) warn(w Warning) { v.warns = append(v.warns, w) }

// validate checks t, compiles every value and path, and returns one error
// per problem. t is ready to render only if none is returned.
func validate(t *Template, o *options) []error {
	v := &validator{t: t, o: o, c: newCompiled(o.loc)}
	v.info()
	v.scenarioIDs()
	v.auth()
	for _, p := range t.Parameters {
		v.value(p, CtxPlain, where{}.par(p).at("Value"), nil)
	}
	for _, s := range t.Scenarios {
		v.scenario(s)
	}
	t.Warnings = append(t.Warnings, v.warns...)
	if len(v.errs) == 0 {
		t.c = v.c
	}
	return v.errs
}

func (v *validator) info() {
	t, w := v.t, where{line: v.t.Line}
	if p := strings.ToLower(t.Provider); p != "" && p != "crm" && p != "helpdesk" {
		v.err(w.at("Provider").errf("bad Provider %q: want crm or helpdesk", t.Provider))
	}
	if t.AuthType != "" && normAuth(t.AuthType) == "" {
		v.err(w.at("AuthType").errf("bad AuthType %q: want none, basic, oauth2 or bearertoken", t.AuthType))
	}
	if s := strings.TrimSpace(t.MaxConcurrentRequest); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n < 1 {
			v.err(w.at("MaxConcurrentRequest").errf("bad MaxConcurrentRequest %q: want a number from 1", t.MaxConcurrentRequest))
		}
	}
	for _, f := range []struct{ name, val string }{
		{"UserAssociation", t.UserAssociation}, {"CallJournal", t.CallJournal},
		{"CreateNewContact", t.CreateNewContact}, {"CreateNewTicket", t.CreateNewTicket},
	} {
		if s := strings.TrimSpace(f.val); s != "" && s != "0" && s != "1" {
			v.err(w.at(f.name).errf("bad %s %q: want 0 or 1", f.name, f.val))
		}
	}
}

func (v *validator) scenarioIDs() {
	seen := map[string]int{}
	for _, s := range v.t.Scenarios {
		w := where{}.in(s)
		switch {
		case s.ID == "":
			v.err(w.at("Id").errf("scenario without Id"))
			continue
		case !slices.Contains(knownScenarios, s.ID):
			v.err(w.at("Id").errf("unknown scenario Id %q (want one of %s)", s.ID, strings.Join(knownScenarios, ", ")))
		}
		if l, ok := seen[s.ID]; ok {
			v.err(w.at("Id").errf("duplicate scenario Id (first at line %d)", l))
		}
		seen[s.ID] = s.Line
		want := "REST"
		if s.ID == ScenarioAuth {
			want = "AUTH"
		}
		if s.Type != "" && !strings.EqualFold(s.Type, want) {
			v.warn(w.at("Type").warnf("Type %q, expected %s (ignored)", s.Type, want))
		}
	}
}

func (v *validator) auth() {
	t := v.t
	s := t.Scenario(ScenarioAuth)
	method := t.Auth()
	if s == nil {
		if method != AuthNone && method != "" {
			v.err(where{line: t.Line}.at("AuthType").errf("AuthType %s needs an AuthMethod scenario", method))
		}
		return
	}
	w := where{}.in(s)
	if p := s.Param("AuthMethod"); p != nil && p.Value != "" {
		pw := w.par(p).at("Value")
		switch {
		case normAuth(p.Value) == "":
			v.err(pw.errf("bad AuthMethod %q: want none, basic, oauth2 or bearertoken", p.Value))
		case t.AuthType != "" && normAuth(t.AuthType) != "" && normAuth(p.Value) != normAuth(t.AuthType):
			v.err(pw.errf("AuthMethod %q contradicts Information AuthType %q", p.Value, t.AuthType))
		}
	}
	need := map[AuthType][]string{
		AuthOAuth2:      {"AuthEndPoint", "TokenEndPoint"},
		AuthBearerToken: {"TokenEndPoint"},
		AuthBasic:       {"Base64EncodedCredential"},
	}
	for _, n := range need[method] {
		if strings.TrimSpace(s.ParamValue(n)) == "" {
			v.err(w.errf("AuthType %s needs a non-empty parameter %s", method, n))
		}
	}
	if p := s.Param("CredentialType"); p != nil && p.Value != "" && p.Value != "username_password" && p.Value != "api_key" {
		v.err(w.par(p).at("Value").errf("bad CredentialType %q: want username_password or api_key", p.Value))
	}
	if p := s.Param("TokenRefreshInterval"); p != nil && strings.TrimSpace(p.Value) != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(p.Value)); err != nil || n < 0 {
			v.err(w.par(p).at("Value").errf("bad TokenRefreshInterval %q: want minutes (0 = never, blank = 25)", p.Value))
		}
	}
	v.customFields(s, method)
	v.headers(s)
}

func (v *validator) customFields(s *Scenario, method AuthType) {
	limit := map[AuthType]int{AuthNone: MaxCustomFieldsNone, AuthBasic: MaxCustomFieldsBasic,
		AuthBearerToken: MaxCustomFieldsBearer, AuthOAuth2: MaxCustomFieldsOAuth2}[method]
	fields := v.t.CustomFields()
	if limit > 0 && len(fields) > limit {
		v.err(where{}.in(s).errf("%d custom fields (CustomFieldList), at most %d allowed with AuthType %s", len(fields), limit, method))
	}
	seen := map[string]bool{}
	for _, p := range fields {
		pw := where{}.in(s).par(p)
		switch {
		case p.Name == "":
			v.err(pw.at("Name").errf("custom field without Name"))
		case !isIdent(p.Name):
			v.err(pw.at("Name").errf("custom field Name must be a template identifier (letters, digits, _)"))
		case seen[p.Name]:
			v.err(pw.at("Name").errf("duplicate custom field"))
		}
		seen[p.Name] = true
		switch p.Editor {
		case "", "string", "password", "list":
		default:
			v.err(pw.at("Editor").errf("bad Editor %q: want string, password or list", p.Editor))
		}
	}
}

func (v *validator) headers(s *Scenario) {
	hs := v.t.Headers()
	if len(hs) > MaxHeaders {
		v.err(where{}.in(s).errf("%d headers (PopulateTemplateString), at most %d allowed", len(hs), MaxHeaders))
	}
	for _, p := range hs {
		if !isToken(p.Name) {
			v.err(where{}.in(s).par(p).at("Name").errf("bad header name %q", p.Name))
		}
	}
}

func isIdent(s string) bool {
	for i, c := range s {
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')) {
			return false
		}
	}
	return s != ""
}

// isToken reports whether s is an HTTP token (a valid header name).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return s != ""
}

// value compiles p.Value for ctx and lints its variables.
func (v *validator) value(p *Parameter, ctx Context, w where, known map[string]struct{}) {
	cv := v.compile(p.Value, ctx, w, known)
	if cv != nil {
		p.v = cv
	}
}

// compile compiles src, reporting errors and unknown variables at w.
func (v *validator) compile(src string, ctx Context, w where, known map[string]struct{}) *value {
	cv, err := v.c.compileValue(src, ctx)
	if err != nil {
		v.err(w.errf("%s", err))
		return nil
	}
	if ctx == CtxURL {
		v.lintURLText(src, w)
	}
	if known == nil {
		return cv
	}
	for _, r := range cv.refs {
		if _, ok := known[r]; ok {
			continue
		}
		if v.o.strictVars {
			v.err(w.errf("unknown variable .%s", r))
		} else {
			v.warn(w.warnf("unknown variable .%s (renders empty unless the caller sets it)", r))
		}
	}
	return cv
}

var actions = regexp.MustCompile(`(?s)\{\{.*?\}\}`)

// lintURLText warns about literal characters a URL may not hold (a space in
// a SOQL or OData query): they are sent percent-encoded.
func (v *validator) lintURLText(src string, w where) {
	text := strings.TrimSpace(actions.ReplaceAllString(src, ""))
	var bad []string
	for i := 0; i < len(text); i++ {
		if c := string(text[i]); !urlByteOK(text, i) && !slices.Contains(bad, c) {
			bad = append(bad, c)
		}
	}
	if len(bad) > 0 {
		v.warn(w.warnf("characters %q are not allowed in a URL; they are sent percent-encoded", strings.Join(bad, "")))
	}
}
