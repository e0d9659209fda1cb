package sip

import "testing"

// RFC 3261 17.2.3: a request without the magic cookie is matched by
// Request-URI, From tag (optional in RFC 2543), Call-ID, CSeq and top Via;
// the ACK for a non-2xx response matches its INVITE.
func TestServerTxKeyRFC2543(t *testing.T) {
	inv, err := ParseMessage([]byte("INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP host.example.com\r\nFrom: <sip:a@example.com>\r\nTo: <sip:b@example.com>\r\nCall-ID: k1\r\nCSeq: 5 INVITE\r\nContent-Length: 0\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	ack, err := ParseMessage([]byte("ACK sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP host.example.com\r\nFrom: <sip:a@example.com>\r\nTo: <sip:b@example.com>;tag=x\r\nCall-ID: k1\r\nCSeq: 5 ACK\r\nContent-Length: 0\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := ParseMessage([]byte("INVITE sip:c@example.com SIP/2.0\r\nVia: SIP/2.0/UDP host.example.com\r\nFrom: <sip:a@example.com>\r\nTo: <sip:b@example.com>\r\nCall-ID: k1\r\nCSeq: 5 INVITE\r\nContent-Length: 0\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	ki, err := makeServerTxKey(inv, "")
	if err != nil {
		t.Fatalf("INVITE without From tag: %v", err)
	}
	ka, err := makeServerTxKey(ack, "")
	if err != nil || ka != ki {
		t.Fatalf("ACK key %q (%v), want the INVITE's %q", ka, err, ki)
	}
	if ko, _ := makeServerTxKey(other, ""); ko == ki {
		t.Fatal("another Request-URI must be another transaction")
	}
}
