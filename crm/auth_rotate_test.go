package crm

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"cidproxy/crm/builtin"
	"cidproxy/crm/crmtest"
)

// eventLog orders what happens across the KV and the wire.
type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, s)
}

type loggingKV struct {
	KV
	log    *eventLog
	sealer *Sealer
}

func (k loggingKV) Put(ctx context.Context, key string, val []byte) error {
	if strings.HasPrefix(key, "crm/token/") {
		plain, _ := k.sealer.Open(val, key)
		k.log.add("persist " + string(plain))
	}
	return k.KV.Put(ctx, key, val)
}

type loggingTransport struct {
	next http.RoundTripper
	log  *eventLog
}

func (t loggingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.log.add("send " + r.Host + " " + r.Header.Get("Authorization"))
	return t.next.RoundTrip(r)
}

func TestRotatedRefreshTokenPersistedBeforeUse(t *testing.T) {
	z := crmtest.NewZoho(zohoClientID, zohoClientSecret)
	defer z.Close()
	z.OAuth.RotateRefresh = true
	log := &eventLog{}
	sealer := testSealer(t)
	it := newIntegration(t, Config{Template: loadBuiltin(t, builtin.Zoho), KV: loggingKV{NewMemKV(), log, sealer}, Sealer: sealer,
		HTTP:   &http.Client{Transport: loggingTransport{crmtest.Transport(z.Server.Server), log}},
		Fields: map[string]string{"client_id": zohoClientID, "client_secret": zohoClientSecret}})
	it.settings.SyncTypes = []string{"Contacts"}
	authorize(t, it, z.Server)
	z.OAuth.ExpireAll()
	if _, err := it.SearchContact(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	tok := it.Token()
	persisted, used := -1, -1
	for i, e := range log.events {
		if strings.HasPrefix(e, "persist ") && strings.Contains(e, tok.RefreshToken) && strings.Contains(e, tok.AccessToken) && persisted < 0 {
			persisted = i
		}
		if e == "send www.zohoapis.com Zoho-oauthtoken "+tok.AccessToken && used < 0 {
			used = i
		}
	}
	if persisted < 0 || used < 0 || persisted > used {
		t.Fatalf("persisted at %d, first use at %d:\n%s", persisted, used, strings.Join(log.events, "\n"))
	}
}
