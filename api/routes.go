package api

import "net/http"

// authKind says how a route authenticates.
type authKind int

const (
	authNone   authKind = iota // no credentials
	authBearer                 // Authorization: Bearer TOKEN
	authPhone                  // ?token=TOKEN or HTTP Basic (user = extension, password = token)
)

// handlerFunc serves one route; a returned error becomes a problem reply.
type handlerFunc func(s *Server, w http.ResponseWriter, r *http.Request, c *call) error

// route is one row of the route table that both the mux and the OpenAPI
// test use.
type route struct {
	Method string
	Path   string
	Auth   authKind
	h      handlerFunc
}

func (rt route) pattern() string {
	if rt.Method == "" {
		return rt.Path
	}
	return rt.Method + " " + rt.Path
}

// Routes lists every method and path the server registers, e.g.
// "GET /api/v1/contacts/{id}", in route table order.
func Routes() []string {
	out := make([]string, len(routes))
	for i, rt := range routes {
		out[i] = rt.pattern()
	}
	return out
}

const (
	mGet    = http.MethodGet
	mPost   = http.MethodPost
	mPut    = http.MethodPut
	mPatch  = http.MethodPatch
	mDelete = http.MethodDelete
)

// routes is the route table.
var routes = []route{
	{mGet, "/api/v1/openapi.json", authNone, (*Server).openAPI},
	{mGet, "/api/v1/me", authBearer, (*Server).me},
	{mGet, "/api/v1/sync", authBearer, (*Server).sync},

	{mGet, "/api/v1/extensions", authBearer, (*Server).listExtensions},
	{mPost, "/api/v1/extensions", authBearer, (*Server).createExtension},
	{mGet, "/api/v1/extensions/{ext}", authBearer, (*Server).getExtension},
	{mPut, "/api/v1/extensions/{ext}", authBearer, (*Server).putExtension},
	{mPatch, "/api/v1/extensions/{ext}", authBearer, (*Server).patchExtension},
	{mDelete, "/api/v1/extensions/{ext}", authBearer, (*Server).deleteExtension},

	{mGet, "/api/v1/extensions/{ext}/contacts", authBearer, (*Server).listPersonal},
	{mPost, "/api/v1/extensions/{ext}/contacts", authBearer, (*Server).createPersonal},
	{mPost, "/api/v1/extensions/{ext}/contacts/import", authBearer, (*Server).importPersonal},
	{mGet, "/api/v1/extensions/{ext}/contacts/export", authBearer, (*Server).exportPersonal},
	{mGet, "/api/v1/extensions/{ext}/contacts/{id}", authBearer, (*Server).getPersonal},
	{mPut, "/api/v1/extensions/{ext}/contacts/{id}", authBearer, (*Server).putPersonal},
	{mPatch, "/api/v1/extensions/{ext}/contacts/{id}", authBearer, (*Server).patchPersonal},
	{mDelete, "/api/v1/extensions/{ext}/contacts/{id}", authBearer, (*Server).deletePersonal},

	{mGet, "/api/v1/contacts", authBearer, (*Server).listContacts},
	{mPost, "/api/v1/contacts", authBearer, (*Server).createContact},
	{mPost, "/api/v1/contacts/import", authBearer, (*Server).importContacts},
	{mGet, "/api/v1/contacts/export", authBearer, (*Server).exportContacts},
	{mGet, "/api/v1/contacts/{id}", authBearer, (*Server).getContact},
	{mPut, "/api/v1/contacts/{id}", authBearer, (*Server).putContact},
	{mPatch, "/api/v1/contacts/{id}", authBearer, (*Server).patchContact},
	{mDelete, "/api/v1/contacts/{id}", authBearer, (*Server).deleteContact},

	{mGet, "/api/v1/phonebooks", authBearer, (*Server).listPhonebooks},
	{mPost, "/api/v1/phonebooks", authBearer, (*Server).createPhonebook},
	{mGet, "/api/v1/phonebooks/{id}", authBearer, (*Server).getPhonebook},
	{mPut, "/api/v1/phonebooks/{id}", authBearer, (*Server).putPhonebook},
	{mPatch, "/api/v1/phonebooks/{id}", authBearer, (*Server).patchPhonebook},
	{mDelete, "/api/v1/phonebooks/{id}", authBearer, (*Server).deletePhonebook},
	{mGet, "/api/v1/phonebooks/{id}/contacts", authBearer, (*Server).listMembers},
	{mPost, "/api/v1/phonebooks/{id}/contacts", authBearer, (*Server).addMember},
	{mDelete, "/api/v1/phonebooks/{id}/contacts/{contact}", authBearer, (*Server).removeMember},
	{mPost, "/api/v1/phonebooks/{id}/import", authBearer, (*Server).importPhonebook},
	{mGet, "/api/v1/phonebooks/{id}/export", authBearer, (*Server).exportPhonebook},

	{mGet, "/api/v1/prefixes", authBearer, (*Server).listPrefixes},
	{mPost, "/api/v1/prefixes", authBearer, (*Server).createPrefix},
	{mGet, "/api/v1/prefixes/{id}", authBearer, (*Server).getPrefix},
	{mPut, "/api/v1/prefixes/{id}", authBearer, (*Server).putPrefix},
	{mDelete, "/api/v1/prefixes/{id}", authBearer, (*Server).deletePrefix},

	{mGet, "/api/v1/tokens", authBearer, (*Server).listTokens},
	{mPost, "/api/v1/tokens", authBearer, (*Server).createToken},
	{mDelete, "/api/v1/tokens/{id}", authBearer, (*Server).deleteToken},

	{mGet, "/api/v1/lookup", authBearer, (*Server).lookupNumber},
	{mGet, "/api/v1/lookup/explain", authBearer, (*Server).explainLookup},
	{mPost, "/api/v1/reload", authBearer, (*Server).reload},

	{mGet, "/api/v1/sql-sources", authBearer, (*Server).listSQLSources},
	{mGet, "/api/v1/sql-sources/{name}", authBearer, (*Server).getSQLSource},
	{mPut, "/api/v1/sql-sources/{name}", authBearer, (*Server).putSQLSource},
	{mDelete, "/api/v1/sql-sources/{name}", authBearer, (*Server).deleteSQLSource},
	{mPost, "/api/v1/sql-sources/{name}/sync", authBearer, (*Server).syncSQLSource},

	{mGet, "/api/v1/integrations", authBearer, (*Server).listIntegrations},
	{mPost, "/api/v1/integrations", authBearer, (*Server).createIntegration},
	{mGet, "/api/v1/integrations/{name}", authBearer, (*Server).getIntegration},
	{mPut, "/api/v1/integrations/{name}", authBearer, (*Server).putIntegration},
	{mDelete, "/api/v1/integrations/{name}", authBearer, (*Server).deleteIntegration},
	{mPost, "/api/v1/integrations/{name}/authorize", authBearer, (*Server).authorizeIntegration},
	{mGet, "/api/v1/oauth/callback", authNone, (*Server).oauthCallback},
	{mGet, "/api/v1/integrations/{name}/dead-letters", authBearer, (*Server).listDeadLetters},
	{mPost, "/api/v1/integrations/{name}/dead-letters/{id}/retry", authBearer, (*Server).retryDeadLetter},
	{mDelete, "/api/v1/integrations/{name}/dead-letters/{id}", authBearer, (*Server).dropDeadLetter},
	{mGet, "/api/v1/extensions/{ext}/calls", authBearer, (*Server).listExtensionCalls},
	{mPost, "/api/v1/calls/{id}/create-contact", authBearer, (*Server).createContactForCall},

	{mGet, "/api/v1/extensions/{ext}/events", authPhone, (*Server).extensionEvents},
	{mGet, "/api/v1/extensions/{ext}/calls/current", authPhone, (*Server).currentCalls},
	{mPost, "/api/v1/extensions/{ext}/popups/{id}/claim", authPhone, (*Server).claimPopup},

	{mGet, "/phonebook/{format}", authPhone, (*Server).phoneDirectory},
}
