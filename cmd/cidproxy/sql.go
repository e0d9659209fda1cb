package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"cidproxy/store"
	"cidproxy/store/sqlsync"
)

// sqlCmd is "cidproxy sql sync NAME | list". While the daemon runs they
// go through its API (the sync runs inside the daemon); without it they
// open the store and run there.
func (c *cli) sqlCmd() *cobra.Command {
	cmd := group("sql", "SQL contact sync: Sync Now and the sources' last runs")
	cmd.AddCommand(&cobra.Command{
		Use:   "sync NAME",
		Short: "Sync a configured SQL source now and print added/updated/removed/failed",
		Args:  cobra.ExactArgs(1),
		RunE: c.withSQL(func(s *sqlsync.Syncer, args []string) int {
			r, err := s.SyncNow(c.ctx, args[0])
			if err != nil {
				return exitErr(c.stderr, "cidproxy sql sync", err)
			}
			return printRun(c.stdout, c.stderr, r)
		}, func(cl *apiClient, args []string) int {
			return c.syncRemote(cl, args[0])
		}),
	}, &cobra.Command{
		Use:   "list",
		Short: "List the SQL sources and their last run",
		Args:  cobra.NoArgs,
		RunE: c.withSQL(func(s *sqlsync.Syncer, _ []string) int {
			return printSources(c.stdout, s.Sources())
		}, func(cl *apiClient, _ []string) int {
			var pg struct{ Items []sqlsync.Status }
			if err := cl.do(c.ctx, http.MethodGet, "/api/v1/sql-sources", nil, &pg); err != nil {
				return exitErr(c.stderr, "cidproxy sql list", err)
			}
			return printSources(c.stdout, pg.Items)
		}),
	})
	return cmd
}

// withSQL runs local on a Syncer over the store, or remote against the
// daemon that holds it.
func (c *cli) withSQL(local func(*sqlsync.Syncer, []string) int, remote func(*apiClient, []string) int) func(*cobra.Command, []string) error {
	return c.withStoreOrAPI(func(db *store.DB, args []string) int {
		cfg, log, _ := c.config()
		sealer, err := loadSealer(cfg.CRM.KeyFile, cfg.Store.Dir)
		if err != nil {
			return exitErr(c.stderr, "cidproxy sql", err)
		}
		s, err := sqlsync.New(db, cfg.SQL, log, nil, sqlsync.WithSealer(sealer))
		if err != nil {
			return exitErr(c.stderr, "cidproxy sql", err)
		}
		defer s.Close()
		return local(s, args)
	}, remote)
}

// syncRemote starts Sync Now in the daemon and polls until it finished.
func (c *cli) syncRemote(cl *apiClient, name string) int {
	path := "/api/v1/sql-sources/" + url.PathEscape(name)
	var before sqlsync.Status
	if err := cl.do(c.ctx, http.MethodGet, path, nil, &before); err != nil {
		return exitErr(c.stderr, "cidproxy sql sync", err)
	}
	if err := cl.do(c.ctx, http.MethodPost, path+"/sync?wait=0", nil, nil); err != nil {
		return exitErr(c.stderr, "cidproxy sql sync", err)
	}
	for {
		var st sqlsync.Status
		if err := cl.do(c.ctx, http.MethodGet, path, nil, &st); err != nil {
			return exitErr(c.stderr, "cidproxy sql sync", err)
		}
		if n := len(st.Runs); !st.Running && n > 0 && (len(before.Runs) == 0 || !st.Runs[n-1].Started.Equal(before.Runs[len(before.Runs)-1].Started)) {
			return printRun(c.stdout, c.stderr, st.Runs[n-1])
		}
		select {
		case <-c.ctx.Done():
			return 1
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// printRun prints a run's counts; status 1 when it failed.
func printRun(stdout, stderr io.Writer, r sqlsync.Run) int {
	fmt.Fprintf(stdout, "sql:%s %s in %.1fs: %d rows, %d added, %d updated, %d removed, %d unchanged, %d failed\n",
		r.Source, r.Outcome, r.Duration, r.Rows, r.Added, r.Updated, r.Removed, r.Unchanged, r.Failed)
	for _, e := range r.Errors {
		fmt.Fprintf(stderr, "  rejected: %s\n", e)
	}
	if r.Outcome == sqlsync.OutcomeFailed {
		fmt.Fprintf(stderr, "cidproxy sql sync: %s (nothing was written)\n", r.Error)
		return 1
	}
	return 0
}

func printSources(w io.Writer, srcs []sqlsync.Status) int {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDRIVER\tSCHEDULE\tLAST RUN\tOUTCOME\tADDED\tUPDATED\tREMOVED\tFAILED")
	for _, s := range srcs {
		last, outcome := "-", "-"
		var r sqlsync.Run
		if n := len(s.Runs); n > 0 {
			r = s.Runs[n-1]
			last, outcome = r.Started.Local().Format("2006-01-02 15:04:05"), r.Outcome
		}
		sched := s.Schedule
		if sched == "" {
			sched = "manual"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", s.Name, s.Driver, sched, last, outcome, r.Added, r.Updated, r.Removed, r.Failed)
	}
	return status0(tw.Flush())
}

func status0(err error) int {
	if err != nil {
		return 1
	}
	return 0
}
