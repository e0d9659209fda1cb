// Command cidproxy is a SIP caller-ID proxy: it sits between a PBX or trunk
// and IP phones and rewrites the caller's display name from contacts,
// phonebooks, prefix rules and CRMs.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"cidproxy/config"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "dev"

const usage = `usage: cidproxy <command> [flags] [args]

commands:
  serve [-config FILE]                         run the proxy (embedded defaults without -config)
  config check FILE                            validate a configuration file
  config default                               print the embedded default configuration
  contacts import [-config FILE] FILE.csv      import company contacts from CSV
  contacts export [-config FILE]               export company contacts as CSV
  lookup [-config FILE] NUMBER [--callee EXT]  resolve a caller number as an INVITE would
  token create [-config FILE] (--ext N | --admin) [--label L]
                                               create an API token (printed once)
  token list [-config FILE] | token revoke [-config FILE] ID
  template validate FILE                       check a CRM integration template
  template test FILE --phone NUMBER [--field name=value ...]
                                               run a template's auth and contact search
  version                                      print the version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a command line and returns the exit status:
// 0 success, 1 failure, 2 usage or configuration error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return withConfig(ctx, "serve", rest, stderr, func(cfg *config.Config, log *slog.Logger, args []string) int {
			if len(args) != 0 {
				fmt.Fprintf(stderr, "cidproxy serve: unexpected arguments %q\n", args)
				return 2
			}
			return serve(ctx, cfg, log)
		})
	case "config":
		return configMain(rest, stdout, stderr)
	case "contacts":
		return withConfig(ctx, "contacts", rest, stderr, func(cfg *config.Config, log *slog.Logger, args []string) int {
			return contactsMain(ctx, cfg, log, args, stdout, stderr)
		})
	case "lookup":
		return withConfig(ctx, "lookup", rest, stderr, func(cfg *config.Config, log *slog.Logger, args []string) int {
			return lookupMain(ctx, cfg, log, args, stdout, stderr)
		})
	case "token":
		return withConfig(ctx, "token", rest, stderr, func(cfg *config.Config, log *slog.Logger, args []string) int {
			return tokenMain(ctx, cfg, log, args, stdout, stderr)
		})
	case "template":
		return templateMain(ctx, rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "cidproxy: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// withConfig takes "-config FILE" (or --config, -config=FILE) from anywhere
// in args, loads the configuration and a logger, and calls fn with the
// remaining arguments in order; subcommands parse their own flags.
func withConfig(ctx context.Context, name string, args []string, stderr io.Writer, fn func(*config.Config, *slog.Logger, []string) int) int {
	path, rest, err := extractConfigFlag(args)
	if err != nil {
		fmt.Fprintf(stderr, "cidproxy %s: %v\n", name, err)
		return 2
	}
	cfg, err := loadConfig(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	log := newLogger(cfg.Log, stderr)
	return fn(cfg, log, rest)
}

// extractConfigFlag removes the config flag from args.
func extractConfigFlag(args []string) (path string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-config" || a == "--config":
			if i+1 >= len(args) {
				return "", nil, errors.New("-config needs a file")
			}
			path = args[i+1]
			i++
		case strings.HasPrefix(a, "-config=") || strings.HasPrefix(a, "--config="):
			path = a[strings.IndexByte(a, '=')+1:]
		default:
			rest = append(rest, a)
		}
	}
	return path, rest, nil
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}

func configMain(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 2 && args[0] == "check":
		if _, err := config.Load(args[1]); err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		fmt.Fprintf(stdout, "%s: ok\n", args[1])
		return 0
	case len(args) == 1 && args[0] == "default":
		stdout.Write(config.DefaultYAML())
		return 0
	}
	fmt.Fprint(stderr, "usage: cidproxy config check FILE | cidproxy config default\n")
	return 2
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.Level)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func versionString() string {
	rev := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				rev = s.Value
			}
		}
	}
	return fmt.Sprintf("cidproxy %s (revision %s)", Version, rev)
}

// exitErr maps an error to an exit status for commands that fail at run time.
func exitErr(stderr io.Writer, prefix string, err error) int {
	if err == nil || errors.Is(err, context.Canceled) {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
	return 1
}
