package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// binPath is the cidproxy binary built once by TestMain; buildErr is set
// when that build failed, and every test that needs the binary fails with it.
var (
	binPath  string
	buildErr error
	sippPath string
	sippErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cidproxy-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "cidproxy")
	buildErr = buildBinary(binPath)
	sippPath, sippErr = exec.LookPath("sipp")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildBinary compiles ./cmd/cidproxy from the module root (bounded).
func buildBinary(out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/cidproxy")
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/cidproxy: %w\n%s", err, b)
	}
	return nil
}

// needSIPp fails the test (never skips) when sipp is not installed.
func needSIPp(t *testing.T) {
	t.Helper()
	if sippErr != nil {
		t.Fatalf("sipp (Debian package sip-tester) is not installed: %v\n"+
			"run `make test` (it installs it via scripts/install-deps.sh) or `sudo scripts/install-deps.sh`", sippErr)
	}
}

// needBinary fails the test when the cidproxy binary could not be built.
func needBinary(t *testing.T) {
	t.Helper()
	needSIPp(t)
	if buildErr != nil {
		t.Fatalf("cidproxy binary: %v", buildErr)
	}
}
