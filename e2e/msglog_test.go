package e2e

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// sipMsg is one message from a sipp -message_file.
type sipMsg struct {
	Received bool
	Start    string   // request or status line
	Headers  []string // raw header lines, in order
	Body     string
}

// Header returns the values of every header named name (case-insensitive).
func (m sipMsg) Header(name string) []string {
	var out []string
	for _, h := range m.Headers {
		k, v, ok := strings.Cut(h, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

var msgSep = regexp.MustCompile(`(?m)^-{20,} \d{4}-\d\d-\d\d [0-9:.]+\n`)

// readMessages parses a sipp message log.
func readMessages(t *testing.T, path string) []sipMsg {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []sipMsg
	for _, block := range msgSep.Split(string(b), -1) {
		head, rest, ok := strings.Cut(block, "\n")
		if !ok || !strings.Contains(head, "message") {
			continue
		}
		rest = strings.TrimLeft(rest, "\n")
		hdrs, body, _ := strings.Cut(rest, "\r\n\r\n")
		lines := strings.Split(hdrs, "\r\n")
		out = append(out, sipMsg{
			Received: strings.Contains(head, "received"),
			Start:    lines[0],
			Headers:  lines[1:],
			Body:     body,
		})
	}
	return out
}
