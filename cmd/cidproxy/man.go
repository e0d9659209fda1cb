package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manCmd is the hidden "cidproxy man DIR" behind "make man": one man page
// per command, generated from the same definitions as --help.
func (c *cli) manCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "Write the man pages (section 1) into DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				fmt.Fprintf(c.stderr, "cidproxy man: %v\n", err)
				return exitCode(1)
			}
			hdr := &doc.GenManHeader{Title: "CIDPROXY", Section: "1", Source: "cidproxy " + Version}
			if err := doc.GenManTree(cmd.Root(), hdr, args[0]); err != nil {
				fmt.Fprintf(c.stderr, "cidproxy man: %v\n", err)
				return exitCode(1)
			}
			return nil
		},
	}
}
