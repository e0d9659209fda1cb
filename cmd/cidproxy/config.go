package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"cidproxy/config"
)

// configCmd is "cidproxy config check|default".
func (c *cli) configCmd() *cobra.Command {
	cmd := group("config", "Check or print configuration files")
	cmd.AddCommand(&cobra.Command{
		Use:   "check FILE",
		Short: "Validate a configuration file; every problem with its line, in one run",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if _, err := config.Load(args[0]); err != nil {
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
