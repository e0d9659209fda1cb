package sip

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"cidproxy/config"
)

// writeCert writes a self-signed certificate for 127.0.0.1 and its key.
func writeCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mustf(t, err, "key")
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cidproxy test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	mustf(t, err, "cert")
	kb, err := x509.MarshalECPrivateKey(key)
	mustf(t, err, "marshal key")
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	mustf(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600), "write cert")
	mustf(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600), "write key")
	return certFile, keyFile
}

func TestTLSListenerRelaysToUDP(t *testing.T) {
	cert, key := writeCert(t)
	e := newEnv(t, false, func(c *config.SIP) {
		c.Listen = append(c.Listen, "tls://127.0.0.1:0")
		c.TLSCert, c.TLSKey = cert, key
	})
	var tlsAddr string
	for _, l := range e.p.Addrs() {
		if l.Transport == "tls" {
			tlsAddr = l.Addr
		}
	}
	if tlsAddr == "" {
		t.Fatalf("no tls listener in %v", e.p.Addrs())
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgenTLSConfig(&tls.Config{InsecureSkipVerify: true}),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})))
	mustf(t, err, "ua")
	t.Cleanup(func() { ua.Close() })
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	mustf(t, err, "client")
	dua := &sipgo.DialogUA{Client: cli, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "tlsuac", Host: "127.0.0.1"}}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	target := sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: port(tlsAddr), UriParams: sip.HeaderParams{{K: "transport", V: "tls"}}}
	sess, err := dua.Invite(ctx, target, []byte(testSDP), fromHeader("", "+4930123456", "pbx.example"))
	mustf(t, err, "invite over TLS")
	mustf(t, sess.WaitAnswer(ctx, sipgo.AnswerOptions{}), "answer")
	inv := recvReq(t, e.uas.invites, "INVITE")
	if got := inv.From().DisplayName; got != `Alice \"AM\" Müller` {
		t.Errorf("From display %q", got)
	}
	rrs := inv.GetHeaders("Record-Route")
	if len(rrs) != 2 {
		t.Fatalf("want two Record-Route (udp toward the callee, tls toward the caller), got %v", rrs)
	}
	mustf(t, sess.Ack(ctx), "ack")
	mustf(t, sess.Bye(ctx), "bye over TLS via the tls Record-Route")
	if got := kinds(e.events(callID(inv), 3*time.Second)); got != "ringing,answered,ended(bye-caller)" {
		t.Fatalf("events = %s", got)
	}
}

func TestNewErrors(t *testing.T) {
	for name, mod := range map[string]func(*config.SIP){
		"no listener":   func(c *config.SIP) { c.Listen = nil },
		"bad listener":  func(c *config.SIP) { c.Listen = []string{"sctp://1.2.3.4:5"} },
		"bad upstream":  func(c *config.SIP) { c.Upstream = "http://x" },
		"missing cert":  func(c *config.SIP) { c.TLSCert, c.TLSKey = "/nonexistent.pem", "/nonexistent.key" },
		"bad extension": func(c *config.SIP) { c.Extensions = []string{"12-1"} },
	} {
		cfg := baseConfig()
		mod(&cfg)
		if _, err := New(cfg, Options{}); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	cfg := baseConfig()
	cfg.Listen = []string{"tls://127.0.0.1:0"}
	p, err := New(cfg, Options{})
	mustf(t, err, "new")
	if err := p.Serve(context.Background()); err == nil {
		t.Error("tls listener without a key pair served")
	}
	if err := p.Serve(context.Background()); err == nil {
		t.Error("second Serve accepted")
	}
}

func TestListenConflictFailsServe(t *testing.T) {
	busy, err := net.ListenPacket("udp", "127.0.0.1:0")
	mustf(t, err, "listen")
	defer busy.Close()
	cfg := baseConfig()
	cfg.Listen = []string{"tcp://127.0.0.1:0", "udp://" + busy.LocalAddr().String()}
	p, err := New(cfg, Options{})
	mustf(t, err, "new")
	done := make(chan error, 1)
	go func() { done <- p.Serve(context.Background()) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Serve on a busy port returned nil")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve on a busy port did not fail")
	}
	select {
	case <-p.Ready():
		t.Error("Ready closed although listening failed")
	default:
	}
}

func TestWildcardListenerAdvertisesRoutableAddress(t *testing.T) {
	cfg := baseConfig()
	cfg.Listen = []string{"udp://0.0.0.0:0"}
	cfg.Upstream = "sip:127.0.0.1:5999"
	p, err := New(cfg, Options{})
	mustf(t, err, "new")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	<-p.Ready()
	adv := p.local.out["UDP"]
	if adv.host != "127.0.0.1" || adv.port == 0 {
		t.Errorf("advertised %s:%d, want the address routed toward the upstream (127.0.0.1)", adv.host, adv.port)
	}
	if !p.isMe(net.JoinHostPort("127.0.0.1", itoa(adv.port))) {
		t.Error("loopback address of a wildcard listener is not recognised as ours")
	}
}
