// Package template reads, validates, writes back and renders Yeastar-style
// CRM/helpdesk integration templates (the <Information> XML format of the
// "Custom CRM Integration Guide"), and extracts outputs from JSON responses
// with GJSON paths. It does no I/O besides ParseFile; HTTP, auth flows and
// scenario execution belong to package crm.
//
// # API
//
//	t, err := template.Parse(xml, template.WithLocation(pbxZone)) // or ParseFile
//	t.Warnings                      // []Warning: loads, but cidproxy does not act on it
//	t.Bytes()                       // XML written back; Parse(t.Bytes()) is Equal to t
//	t.Auth()                        // AuthNone, AuthBasic, AuthOAuth2, AuthBearerToken
//	t.Scenario(template.ScenarioSyncContactAuto).Requests
//	t.Param(template.ScenarioAuth, "TokenEndPoint").Render(vars) // one value, escaped for its context
//	t.CustomFields(), t.Headers(), t.TokenInvalid(), t.CommonRequest(next)
//	h, err := t.Render(req, vars)   // *HTTPRequest{Method, URL, Header, Body}; ErrEmptyURL = skip
//	hr, err := h.NewRequest(ctx)    // *http.Request
//	recs, err := req.Extract(body, vars) // []Record (output Name -> value); or Extract(outputs, body, vars)
//	sc.ContactURLOutput()           // compiled ContactFieldForUri as an Output
//	t.RenderString(src, template.CtxPlain, vars) // text that is not part of the template
//
// Vars is map[string]any (StringVars converts a map[string]string). A
// parsed Template is safe for concurrent use. Rendering uses what Parse
// compiled: to apply edits to the model, Parse(t.Bytes()) again. Errors from Parse
// are *Error values (errors.As) joined with errors.Join; Warning has Line
// and Msg. Exported variable lists (CallVariables, SearchVariables,
// ContactOutputs, PhoneOutputs, UserOutputs …) say what the caller should
// set.
//
// Parse returns (nil, err) when the XML cannot be read and (t, err) when it
// can be read but is invalid; err is an errors.Join of *Error values, each
// naming line, scenario, request, parameter or output, and attribute:
//
//	template: line 40: scenario "SyncContactAuto" request "Contacts" attribute URLFormat: unknown function "Lower"
//
// # What is checked
//
// Errors: XML syntax; more than 1 MB; root not <Information>; Provider not
// crm/helpdesk; AuthType or AuthMethod not none/basic/oauth2/bearertoken
// ("bearer" is accepted) or contradicting each other; missing endpoints for
// the auth method; bad CredentialType, TokenRefreshInterval,
// MaxConcurrentRequest or 0/1 flags; unknown, missing or duplicate scenario
// Ids; more than 20 PopulateTemplateString headers or a bad header name;
// more custom fields than allowed (5 for none and basic, 10 for bearertoken
// and oauth2: the guide gives no number for OAuth2); a template syntax error
// or an unknown function in any value, URL or path; TimeFormat, ToMillis,
// Capitalize or UrlEncode called with a wrong number of arguments; a
// custom field without a valid, unique Name or with a bad Editor; a
// {{template}} or
// {{define}}; a JSON body whose {{if}} branches end inside and outside a
// string, or that is not valid JSON with sample values; a request without
// Name or URLFormat, with a bad Method or a duplicate Name; a Next that does
// not name a Common request or that loops; a SyncContactAuto/SearchContact
// request without ContactsId or FirstName output or without any phone-number
// output (outputs of the Next chain count); a UserAssociation request without
// UserUniqueId; a bad ContactUrlType.
//
// Warnings (the template loads): unknown attributes and elements (kept for
// the round trip), such as <Responses>; parameters cidproxy does not act on
// (NeedSyncContact, CustomScenarioParameter …); Type values other than
// Header/Body; a scenario parameter given twice (the first is used); and
// references to unknown variables. Variables are linted
// against the documented set of each scenario (custom fields, GetGlobalInfo
// outputs, CallVariables, SearchVariables, outputs …). An unknown variable
// is a warning, not an error, because real templates use undocumented ones
// and the PBX renders them empty; WithStrictVariables turns them into errors,
// WithKnownVariables adds names.
//
// # Rendering and escaping
//
// Values are Go text/template with the functions of the guide: TimeFormat,
// ToMillis, Capitalize and UrlEncode, plus the text/template built-ins (if,
// else, eq, and, or, not, len, printf …). A referenced variable that is
// absent renders as "" (never "<no value>").
//
// Escaping is contextual, like html/template: Parse appends an escaper to
// every {{action}} chosen from where the value is used and the literal text
// before the action, so values are stored raw and templates written for the
// PBX render unchanged for ordinary data:
//
//   - JSON body (RequestEncoding containing "json", or a body starting with
//     "{" or "["): inside a string literal the value is JSON-escaped (quotes,
//     backslashes, control characters, U+2028/9; invalid UTF-8 becomes
//     U+FFFD; other non-ASCII is kept). Outside a string a JSON number,
//     true, false or null is written as is (so "duration":{{.Talk_Duration_Sec}}
//     is a number), "" becomes null and anything else a quoted string. The
//     body therefore stays valid JSON whatever the values hold.
//   - URL (URLFormat, AuthEndPoint, TokenEndPoint, the popup URLFormat): an
//     action at the very start supplies the base URL ("{{.crm_url}}/crm/…")
//     and only has '?', '#', spaces, quotes and control characters encoded;
//     in the host only host characters pass ('@', '/', '?' … are
//     percent-encoded, so the host cannot change); in the path a value is one
//     segment (url.PathEscape: '/', '?', '#' encoded); in the query and
//     fragment it is encoded like UrlEncode. UrlEncode's result is never
//     escaped again, so "?q={{UrlEncode .X}}" and "?q={{.X}}" are equal.
//     AdditionalQueryString is a query.
//   - form body (RequestEncoding containing "urlencoded", or a body like
//     "a=…&b=…"): like a query. Several Body parameters are sent as a form
//     (or a JSON object when RequestEncoding says JSON).
//   - header values: control characters (CR, LF …) become spaces.
//   - XML body (starting with "<"): XML-escaped.
//   - GJSON paths: escaped as a query string inside quotes, else as a key.
//   - everything else (Subject, Description, Base64EncodedCredential, Scope,
//     TokenInvalid …) is plain text, unescaped; it is escaped where it is
//     used later as a variable.
//
// UrlEncode encodes everything but the RFC 3986 unreserved characters
// ("hello world!" gives "hello%20world%21", as in the guide).
// Capitalize upper-cases the first letter. ToMillis multiplies a seconds
// timestamp by 1000.
//
// # TimeFormat
//
// {{TimeFormat .StartTimeUnix "yyyy-MM-ddTHH:mm:ss.000Zz" "1"}} formats a
// Unix timestamp (seconds; values beyond 1e11 are read as milliseconds)
// with a token walker, not a conversion to a Go layout. Tokens, longest
// first: yyyy yy MMMM MMM MM M dddd ddd dd d HH H hh h mm m ss s, ".000"
// fff SSS (milliseconds), tt (AM/PM), Zz Z K (zone designator: "Z" for UTC,
// else "+hh:mm"), zzz ("+hh:mm"), zz ("+hh"), z ("+h"). Anything else is
// literal; 'quoted text' and \x are literal too.
//
// The rule for the zone: the third argument "1" renders in UTC, anything else
// (or no argument) in the PBX time zone given by WithLocation (default
// time.Local). The guide's example says 1672531199 gives
// 2023-01-01T00:59:59.000Z with "1"; 1672531199 is 2022-12-31T23:59:59Z, so
// the example shows the wall clock of a PBX in UTC+1 (such as Europe/Berlin)
// with a literal Z. cidproxy does not reproduce that inconsistency: with "1"
// it gives 2022-12-31T23:59:59.000Z, and in a UTC+1 PBX zone without the
// flag it gives 2023-01-01T00:59:59.000+01:00, the same wall clock with a
// correct offset.
//
// # Extraction
//
// See Extract: comma-separated alternatives (split outside brackets and
// quotes; the first non-empty wins), #(…) queries, #|N, {{variables}} in
// paths, one record per element of an iterating path, zipped by index. A
// path prefix.#.suffix is evaluated element by element, so an element
// without the field gives "" and the records stay aligned (GJSON's own
// data.#.key would leave such elements out); #(…)# queries give their
// matches. The body is checked with gjson.Valid and read with GJSON only.
// Strings are returned as they are (hostile text is made harmless by the
// escaping when it is used), numbers as their JSON text, objects and arrays
// as compact JSON text, null, [] and {} as "".
//
// # Round trip
//
// The XML 1.1 declaration is accepted (read as 1.0 and written back as
// declared); what only XML 1.1 allows, such as references to control
// characters (&#x1;), is rejected as a syntax error.
//
// Bytes writes known attributes in a fixed order and omits empty optional
// ones, then unknown attributes and elements as read. Comments, attribute
// order and layout are not kept; Equal compares two templates ignoring line
// numbers.
package template
