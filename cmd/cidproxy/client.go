package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cidproxy/config"
	"cidproxy/lookup"
	"cidproxy/store"
)

// tokenFileName is the admin token file the daemon writes into the store
// directory at start (mode 0600) and the CLI reads to talk to it.
const tokenFileName = "admin.token"

func tokenFile(cfg *config.Config) string { return filepath.Join(cfg.Store.Dir, tokenFileName) }

// ensureCLIToken makes sure the token file holds a valid admin token:
// kept when it still authenticates, else a new one is created and written
// (0600, atomically). The token never goes to the log.
func ensureCLIToken(ctx context.Context, db *store.DB, path string, log *slog.Logger) error {
	if b, err := os.ReadFile(path); err == nil {
		if v, err := db.Authenticate(ctx, strings.TrimSpace(string(b))); err == nil && v.Admin {
			return nil
		}
	}
	tok, err := db.CreateToken(ctx, lookup.Viewer{Admin: true}, "cidproxy CLI (admin.token)")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".admin.token-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(tok + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	log.Info("admin token file written for the CLI", "path", path)
	return nil
}

// apiClient talks to the running daemon's admin API with the token file.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

// newAPIClient reads the token file and derives the admin URL from
// admin.listen (a wildcard host means loopback).
func newAPIClient(cfg *config.Config) (*apiClient, error) {
	b, err := os.ReadFile(tokenFile(cfg))
	if err != nil {
		return nil, fmt.Errorf("cannot reach the daemon's API: %w", err)
	}
	host, port, err := net.SplitHostPort(cfg.Admin.Listen)
	if err != nil {
		return nil, fmt.Errorf("admin.listen %q: %w", cfg.Admin.Listen, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return &apiClient{
		base:  "http://" + net.JoinHostPort(host, port),
		token: strings.TrimSpace(string(b)),
		http:  &http.Client{Timeout: 30 * time.Second},
	}, nil
}

// apiError is a problem answer of the API.
type apiError struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Row   int    `json:"row"`
		Field string `json:"field"`
		Error string `json:"error"`
	} `json:"errors"`
}

func (e *apiError) Error() string { return e.Detail }

// do sends a JSON request and decodes a JSON answer into out (if not nil).
func (c *apiClient) do(ctx context.Context, method, path string, in, out any) error {
	if in == nil {
		return c.send(ctx, method, path, "", nil, out)
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.send(ctx, method, path, "application/json", bytes.NewReader(b), out)
}

// send sends body as contentType and decodes a JSON answer into out.
func (c *apiClient) send(ctx context.Context, method, path, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("daemon API: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		e := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(b, e) != nil || e.Detail == "" {
			e.Detail = resp.Status
		}
		return e
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// remote runs fn against the daemon when err says it holds the store;
// otherwise, or without a token file, it reports err as before.
func (c *cli) remote(cfg *config.Config, err error, fn func(*apiClient) int) int {
	if !errors.Is(err, store.ErrLocked) {
		return storeOpenFailed(c.stderr, err)
	}
	cl, cerr := newAPIClient(cfg)
	if cerr != nil {
		fmt.Fprintf(c.stderr, "cidproxy: %v\n(%v)\n", err, cerr)
		return 1
	}
	return fn(cl)
}
