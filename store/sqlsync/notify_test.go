package sqlsync

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"cidproxy/config"
)

// mailbox is an in-process SMTP relay (go-smtp) that requires STARTTLS
// and PLAIN auth and keeps what it receives.
type mailbox struct {
	mu   sync.Mutex
	msgs []mail
	got  chan struct{}
}

type mail struct {
	from string
	to   []string
	data string
	tls  bool
}

type mailSession struct {
	box  *mailbox
	conn *smtp.Conn
	auth bool
	m    mail
}

func (b *mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &mailSession{box: b, conn: c}, nil
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "cidproxy" || pass != "relay-secret" {
			return errors.New("bad credentials")
		}
		s.auth = true
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.auth {
		return smtp.ErrAuthRequired
	}
	_, s.m.tls = s.conn.TLSConnectionState()
	s.m.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.to = append(s.m.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.m.data = string(b)
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, s.m)
	s.box.mu.Unlock()
	s.box.got <- struct{}{}
	return err
}

func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

// startRelay runs the relay on a loopback port and returns its address
// and the CA pool that verifies its certificate.
func startRelay(t *testing.T) (*mailbox, string, *x509.CertPool) {
	t.Helper()
	cert, pool := selfSigned(t)
	box := &mailbox{got: make(chan struct{}, 4)}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	return box, ln.Addr().String(), pool
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestNotify: after a run, the result goes by email over STARTTLS with
// PLAIN auth (the password from ${env:...}) to every semicolon-separated
// address, and as JSON to the webhook.
func TestNotify(t *testing.T) {
	d := newTestDB(t, servers[0].driver, servers[0].dsn)
	box, addr, pool := startRelay(t)
	hooked := make(chan Run, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var run Run
		_ = json.NewDecoder(r.Body).Decode(&run)
		hooked <- run
	}))
	defer hook.Close()
	t.Setenv("CIDPROXY_TEST_SMTP_PASSWORD", "relay-secret")
	d.insert(t, 1, "Ann", "", "", "+49 30 1111111", "", "")
	d.insert(t, 2, "Bob", "", "", "not a number", "", "")
	src := d.source("erp")
	src.Notify = "ops@example.com; sales@example.com"
	src.Webhook = hook.URL
	db := openStore(t)
	s, err := New(db, config.SQL{Sources: []config.SQLSource{src}, SMTP: config.SMTP{Address: addr, Username: "cidproxy",
		Password: "${env:CIDPROXY_TEST_SMTP_PASSWORD}", From: "cidproxy@example.com"}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.smtpRoots = pool
	syncNow(t, s, "erp")
	s.Close() // waits for the notifications
	select {
	case <-box.got:
	default:
		t.Fatal("no email arrived")
	}
	m := box.msgs[0]
	if !m.tls || m.from != "cidproxy@example.com" || strings.Join(m.to, ",") != "ops@example.com,sales@example.com" {
		t.Errorf("envelope: tls %v from %s to %v", m.tls, m.from, m.to)
	}
	for _, want := range []string{"Subject: cidproxy SQL sync erp: partial (1 added, 0 updated, 0 removed, 1 failed)",
		"Rows read: 2", "Rejected: row 2 (id 2): field business_number: not a phone number"} {
		if !strings.Contains(m.data, want) {
			t.Errorf("email lacks %q:\n%s", want, m.data)
		}
	}
	select {
	case r := <-hooked:
		if r.Source != "erp" || r.Added != 1 || r.Failed != 1 || r.Outcome != OutcomePartial {
			t.Errorf("webhook got %+v", r)
		}
	default:
		t.Error("webhook not called")
	}
}

// TestNotifyRefusesPlainText: without STARTTLS from the relay the email
// is not sent (credentials never cross in clear text) and the failure is
// counted.
func TestNotifyRefusesPlainText(t *testing.T) {
	box := &mailbox{got: make(chan struct{}, 1)}
	srv := smtp.NewServer(box) // no TLSConfig: no STARTTLS offered
	srv.AllowInsecureAuth = true
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln) //nolint:errcheck
	defer srv.Close()
	err := sendMail(config.SMTP{Address: ln.Addr().String(), Username: "cidproxy", Password: "relay-secret", From: "a@example.com"}, nil,
		[]string{"b@example.com"}, Run{Source: "x"})
	if err == nil || len(box.msgs) != 0 {
		t.Errorf("plain-text relay: err %v, %d messages", err, len(box.msgs))
	}
}
