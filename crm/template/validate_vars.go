package template

// Documented variables. The crm package should set every one it knows (""
// when unknown); the lint in Parse checks references against these sets.
var (
	// ContactOutputs are the contact fields a SyncContactAuto/SearchContact
	// request may output.
	ContactOutputs = []string{
		"ContactsId", "FirstName", "LastName", "Company", "Email",
		"BusinessNumber", "BusinessNumber2", "BusinessFaxNumber", "MobileNumber", "MobileNumber2",
		"HomeNumber", "HomeNumber2", "HomeFaxNumber", "OtherNumber",
		"ZipCode", "Street", "City", "State", "Country", "Remark", "CustomValue",
	}
	// PhoneOutputs are the contact outputs that hold phone numbers; a
	// contact search needs at least one.
	PhoneOutputs = []string{
		"BusinessNumber", "BusinessNumber2", "BusinessFaxNumber", "MobileNumber", "MobileNumber2",
		"HomeNumber", "HomeNumber2", "HomeFaxNumber", "OtherNumber",
	}
	// UserOutputs are the outputs of the UserAssociation request.
	UserOutputs = []string{"UserUniqueId", "FirstName", "LastName", "Email"}

	// CallVariables are the call-journal and ticket variables of the seed,
	// plus Call_To, CallerDisplayName and RecordPath seen in real templates
	// and Talk_Duration_MMSS (minutes:seconds, minutes past 59: Zoho's
	// Call_Duration).
	CallVariables = []string{
		"Subject", "Description", "Time", "StartTimeUnix", "EndTimeUnix",
		"Call_From", "Call_To", "CallerName", "CallerNumber", "CallerDisplayName",
		"CalleeName", "CalleeNumber", "CrmId", "ExtensionFirstName", "ExtensionLastName",
		"ExtensionEmail", "ContactSyncType", "ContactNumber", "ContactId", "TicketId",
		"CallDuration", "Talk_Duration", "Talk_Duration_Sec", "Talk_Duration_MMSS", "Communication_Type",
		"Call_Status", "Call_Log_Status", "CallDisposition", "EnableCallRecording", "RecordPath",
	}
	// SearchVariables are available to contact searches: the number (Phone),
	// the dial-search text (SearchValue) and the call parties.
	SearchVariables = []string{
		"Phone", "SearchValue", "CallerNumber", "CallerName", "CallerDisplayName",
		"CalleeNumber", "CalleeName", "ContactSyncType", "ContactId", "CustomValue",
	}
	// NewContactVariables are available to CreateNewContact requests.
	NewContactVariables = []string{"LastName", "FirstName", "BusinessNumber", "ContactSyncType", "Phone"}

	// AuthVariables are set by the auth flows: the OAuth2 callback URL and
	// state, and the tokens.
	AuthVariables = []string{"redirect_uri", "state", "AccessToken", "RefreshToken"}

	// TokenVariables are the string fields of a token response that later
	// requests and contact URLs may use (oauth2, bearertoken): Zoho's
	// api_domain, Salesforce's instance_url, id, issued_at and signature,
	// and the standard token_type and scope.
	TokenVariables = []string{"api_domain", "instance_url", "token_type", "scope", "id", "issued_at", "signature"}
)

// knownVars returns the variable names a value in scenario sc may use.
func knownVars(t *Template, sc *Scenario, extra []string) map[string]struct{} {
	m := map[string]struct{}{}
	add := func(names ...string) {
		for _, n := range names {
			m[n] = struct{}{}
		}
	}
	add(extra...)
	add(AuthVariables...)
	switch t.Auth() {
	case AuthOAuth2, AuthBearerToken:
		add(TokenVariables...)
	case AuthBasic:
		add("basic_string")
	}
	for _, p := range t.CustomFields() {
		add(p.Name)
	}
	if sc.ID == ScenarioAuth {
		return m
	}
	for _, p := range t.Parameters {
		add(p.Name)
	}
	if g := t.Scenario(ScenarioGetGlobalInfo); g != nil {
		addOutputs(g, add)
	}
	for _, p := range sc.Parameters {
		if p.Father == FatherCustomScenario {
			add(p.Name)
		}
	}
	addOutputs(sc, add)
	switch sc.ID {
	case ScenarioSyncContactAuto, ScenarioSearchContact:
		add(SearchVariables...)
	case ScenarioCreateNewContact:
		add(NewContactVariables...)
		add(CallVariables...)
	case ScenarioCreateNewTicket, ScenarioCallJournal:
		add(CallVariables...)
	case ScenarioCommon:
		// Common requests run for any scenario's records.
		add(SearchVariables...)
		add(NewContactVariables...)
		add(CallVariables...)
		for _, s := range t.Scenarios {
			addOutputs(s, add)
		}
	}
	return m
}

func addOutputs(s *Scenario, add func(...string)) {
	for _, r := range s.Requests {
		for _, o := range r.OutputList() {
			add(o.Name)
		}
	}
}
