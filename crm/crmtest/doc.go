// Package crmtest provides local fake CRM servers (Zoho CRM, HubSpot,
// Freshdesk, Salesforce, Dynamics 365 with Microsoft Entra ID, and a
// generic recorder) for tests. Each fake reproduces the
// vendor's documented request and response shapes, authentication
// included, records every request it receives and measures how many were
// in flight at once.
//
// Templates address vendors by their public host names
// (www.zohoapis.com, api.hubapi.com, ...). Transport reroutes every request
// to a local server while keeping the original Host, so the fakes can assert
// the exact URL a template produced without any network access.
package crmtest
