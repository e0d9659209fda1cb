package sip

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestInvalidRequest(t *testing.T) {
	const good = "INVITE sip:1001@127.0.0.1:5070 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-1\r\n" +
		"From: <sip:+4930123@pbx.example>;tag=a\r\n" +
		"To: <sip:1001@127.0.0.1>\r\n" +
		"Call-ID: c1@example\r\n" +
		"CSeq: 1 INVITE\r\n" +
		"Max-Forwards: 70\r\n" +
		"Content-Length: 0\r\n\r\n"
	tests := []struct {
		name, msg, want string
	}{
		{"valid", good, ""},
		{"ipv6 request-uri", strings.Replace(good, "sip:1001@127.0.0.1:5070", "sip:1001@[::1]:5070", 1), ""},
		{"no from", strings.Replace(good, "From: <sip:+4930123@pbx.example>;tag=a\r\n", "", 1), "missing From"},
		{"no to", strings.Replace(good, "To: <sip:1001@127.0.0.1>\r\n", "", 1), "missing To"},
		{"no call-id", strings.Replace(good, "Call-ID: c1@example\r\n", "", 1), "missing Call-ID"},
		{"cseq method", strings.Replace(good, "CSeq: 1 INVITE", "CSeq: 1 BYE", 1), "CSeq method"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := sip.ParseMessage([]byte(tc.msg))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got := invalidRequest(req.(*sip.Request))
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("invalidRequest = %q, want %q", got, tc.want)
			}
		})
	}
}
