package sqlsync

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"cidproxy/config"
)

// notifyTimeout bounds one email or webhook delivery.
const notifyTimeout = 30 * time.Second

// notify sends r to src's email addresses and webhook, in the background.
func (s *Syncer) notify(src *source, r Run) {
	to := config.NotifyAddresses(src.cfg.Notify)
	if len(to) > 0 && s.smtp.Address != "" && s.track() {
		go func() {
			defer s.wg.Done()
			if err := sendMail(s.smtp, s.smtpRoots, to, r); err != nil {
				s.m.notifyErrors.WithLabelValues(r.Source, "email").Inc()
				s.log.Warn("sync result email not sent", "source", r.Source, "err", err)
			}
		}()
	}
	if src.cfg.Webhook != "" && s.track() {
		go func() {
			defer s.wg.Done()
			if err := s.postWebhook(src.cfg.Webhook, r); err != nil {
				s.m.notifyErrors.WithLabelValues(r.Source, "webhook").Inc()
				s.log.Warn("sync result webhook failed", "source", r.Source, "err", err)
			}
		}()
	}
}

// sendMail delivers the result over the relay: STARTTLS (required) by
// default, implicit TLS or plain text as configured, PLAIN auth when a
// username is set.
func sendMail(cfg config.SMTP, roots *x509.CertPool, to []string, r Run) error {
	password, err := config.ResolveSecret(cfg.Password)
	if err != nil {
		return fmt.Errorf("smtp password: %w", err)
	}
	host, _, _ := net.SplitHostPort(cfg.Address)
	tc := &tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12}
	var c *smtp.Client
	switch cfg.TLS {
	case "tls":
		c, err = smtp.DialTLS(cfg.Address, tc)
	case "none":
		c, err = smtp.Dial(cfg.Address)
	default:
		c, err = smtp.DialStartTLS(cfg.Address, tc)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = notifyTimeout, notifyTimeout
	if cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", cfg.Username, password)); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	if err := c.SendMail(cfg.From, to, bytes.NewReader(message(cfg.From, to, r))); err != nil {
		return err
	}
	return c.Quit()
}

// message is the email: a subject with the outcome and counts, a text body.
func message(from string, to []string, r Run) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\n", from, strings.Join(to, ", "))
	fmt.Fprintf(&b, "Subject: cidproxy SQL sync %s: %s (%d added, %d updated, %d removed, %d failed)\r\n",
		r.Source, r.Outcome, r.Added, r.Updated, r.Removed, r.Failed)
	fmt.Fprintf(&b, "Date: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", time.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Source: sql:%s\r\nStarted: %s (%s)\r\nDuration: %.1f s\r\nOutcome: %s\r\n\r\n",
		r.Source, r.Started.Format(time.RFC3339), r.Trigger, r.Duration, r.Outcome)
	fmt.Fprintf(&b, "Rows read: %d\r\nAdded: %d\r\nUpdated: %d\r\nRemoved: %d\r\nUnchanged: %d\r\nFailed: %d\r\n",
		r.Rows, r.Added, r.Updated, r.Removed, r.Unchanged, r.Failed)
	if r.Error != "" {
		fmt.Fprintf(&b, "\r\nError: %s\r\n", r.Error)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "Rejected: %s\r\n", e)
	}
	return b.Bytes()
}

func (s *Syncer) postWebhook(url string, r Run) error {
	body, _ := json.Marshal(r)
	ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}
