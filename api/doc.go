// Package api serves cidproxy's management API (JSON over HTTP under
// /api/v1), the remote phonebooks IP phones fetch, and their auth.
package api
