package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"cidproxy/config"
	"cidproxy/crm/service"
)

// configCmd is "cidproxy config check|default".
func (c *cli) configCmd() *cobra.Command {
	cmd := group("config", "Check or print configuration files")
	cmd.AddCommand(&cobra.Command{
		Use:   "check FILE",
		Short: "Validate a configuration file; every problem with its line, in one run",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, err := config.Load(args[0])
			if err != nil {
				var pe *config.ParseError
				if !errors.As(err, &pe) {
					fmt.Fprintln(c.stderr, err)
					return exitCode(2)
				}
				for _, p := range pe.Problems {
					fmt.Fprintf(c.stderr, "%s: %s\n", pe.File, p)
				}
				fmt.Fprintf(c.stderr, "%s: invalid (%d problems)\n", pe.File, len(pe.Problems))
				return exitCode(2)
			}
			if n := c.checkIntegrations(args[0], cfg); n > 0 {
				fmt.Fprintf(c.stderr, "%s: invalid (%d problems)\n", args[0], n)
				return exitCode(2)
			}
			fmt.Fprintf(c.stdout, "%s: ok\n", args[0])
			return nil
		},
	}, &cobra.Command{
		Use:   "default",
		Short: "Print the embedded default configuration",
		Args:  cobra.NoArgs,
		Run:   func(*cobra.Command, []string) { c.stdout.Write(config.DefaultYAML()) },
	})
	return cmd
}

// checkIntegrations loads the template of every configured CRM
// integration (every problem with its line) and resolves its secret
// fields; a secret that cannot be resolved here is only a warning, since
// the daemon may run with other environment variables. It returns the
// number of problems.
func (c *cli) checkIntegrations(file string, cfg *config.Config) int {
	n := 0
	for _, in := range cfg.CRM.Integrations {
		if _, err := service.LoadTemplate(in.Template, time.Local); err != nil {
			for _, e := range splitErrors(err) {
				fmt.Fprintf(c.stderr, "%s: crm.integrations %s: %v\n", file, in.Name, e)
				n++
			}
		}
		if _, err := service.ResolveFields(in.Fields); err != nil {
			fmt.Fprintf(c.stderr, "%s: warning: crm.integrations %s: %v (the daemon needs it)\n", file, in.Name, err)
		}
	}
	return n
}
