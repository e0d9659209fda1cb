// Package e2e holds the end-to-end tests: the real cidproxy binary between a
// SIPp caller (UAC) and a SIPp callee (UAS), the callee checking the display
// names it receives. It has no non-test code; see the _test.go files and the
// SIPp scenarios in testdata/. Run with `go test ./e2e/` (needs sipp; `make
// test` installs it).
package e2e
