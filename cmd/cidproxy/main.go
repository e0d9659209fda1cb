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

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"cidproxy/config"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes a command line and returns the exit status:
// 0 success, 1 failure, 2 usage or configuration error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return newCLI(ctx, stdout, stderr).execute(args)
}

// cli holds what every command shares: the streams, the --config flag and
// the configuration loaded from it (once, on first use).
type cli struct {
	ctx            context.Context
	stdout, stderr io.Writer
	cfgPath        string
	cfg            *config.Config // preset by tests, else loaded from cfgPath
	log            *slog.Logger
	level          slog.LevelVar // the logger's level; a reload changes it
}

func newCLI(ctx context.Context, stdout, stderr io.Writer) *cli {
	return &cli{ctx: ctx, stdout: stdout, stderr: stderr}
}

// exitCode ends a command with a status after it reported its own error.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// status turns a command's exit status into the error RunE returns.
func status(code int) error {
	if code == 0 {
		return nil
	}
	return exitCode(code)
}

// usageError is a command-line mistake: reported with the command's usage, status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// config loads the configuration named by --config (the embedded defaults
// without it) and a logger for it; an invalid file is status 2.
func (c *cli) config() (*config.Config, *slog.Logger, error) {
	if c.cfg == nil {
		cfg, err := loadConfig(c.cfgPath)
		if err != nil {
			fmt.Fprintln(c.stderr, err)
			return nil, nil, exitCode(2)
		}
		c.cfg = cfg
	}
	if c.log == nil {
		c.log = newLogger(c.cfg.Log, c.stderr, &c.level)
	}
	return c.cfg, c.log, nil
}

// withConfig adapts a command body that needs the configuration to RunE.
func (c *cli) withConfig(fn func(cfg *config.Config, log *slog.Logger, args []string) int) func(*cobra.Command, []string) error {
	return func(_ *cobra.Command, args []string) error {
		cfg, log, err := c.config()
		if err != nil {
			return err
		}
		return status(fn(cfg, log, args))
	}
}

func (c *cli) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "cidproxy",
		Short: "SIP caller-ID proxy",
		Long: "cidproxy sits between a PBX or trunk and IP phones and rewrites the caller's\n" +
			"display name from contacts, phonebooks, prefix rules and CRMs.",
		Version:           versionString(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true,
		RunE: func(*cobra.Command, []string) error {
			return usagef("missing command")
		},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.PersistentFlags().StringVarP(&c.cfgPath, "config", "c", os.Getenv("CIDPROXY_CONFIG"), "configuration file (default $CIDPROXY_CONFIG; embedded defaults without either)")
	root.AddCommand(
		c.serveCmd(), c.configCmd(), c.contactsCmd(), c.phonebookCmd(), c.lookupCmd(), c.tokenCmd(), c.templateCmd(), c.sqlCmd(),
		c.versionCmd(), c.manCmd(),
	)
	root.InitDefaultCompletionCmd()
	for _, sub := range root.Commands() {
		if sub.Name() == "completion" { // an unknown shell is a usage error, not help
			sub.Args, sub.RunE = cobra.ArbitraryArgs, group("", "").RunE
		}
	}
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(), "Usage:", "usage:", 1))
	return root
}

// group returns a command that only holds subcommands; run without one (or
// with an unknown one) it is a usage error.
func group(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing subcommand")
			}
			return usagef("unknown subcommand %q", args[0])
		},
	}
}

// execute runs args and maps the result to an exit status.
func (c *cli) execute(args []string) int {
	root := c.root()
	root.SetArgs(longFlagsOneDash(root, args))
	root.SetContext(c.ctx)
	cmd, err := root.ExecuteC()
	var code exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.Is(err, context.Canceled):
		return 0
	}
	// A flag, argument or command-name mistake.
	fmt.Fprintf(c.stderr, "%s: %v\n\n%s", cmd.CommandPath(), err, cmd.UsageString())
	return 2
}

// longFlagsOneDash rewrites "-name" and "-name=value" to their double-dash
// form when name is a long flag of some command, so that scripts written
// for the Go flag package style ("-config FILE") keep working.
func longFlagsOneDash(root *cobra.Command, args []string) []string {
	known := map[string]bool{}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		name, _, _ := strings.Cut(a, "=")
		if len(name) > 2 && name[0] == '-' && name[1] != '-' && known[name[1:]] {
			out[i] = "-" + a
		}
	}
	return out
}

func (c *cli) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run:   func(*cobra.Command, []string) { fmt.Fprintln(c.stdout, versionString()) },
	}
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}

// newLogger returns the logger c describes; its level is kept in lvl.
func newLogger(c config.Log, w io.Writer, lvl *slog.LevelVar) *slog.Logger {
	lvl.Set(logLevel(c.Level))
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
