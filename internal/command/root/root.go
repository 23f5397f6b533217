// Package root assembles the lookout command tree and turns command errors into the exit
// codes of the contract.
package root

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/command/checkscmd"
	"github.com/lookout-audit/lookout/internal/command/collectcmd"
	"github.com/lookout-audit/lookout/internal/command/drillcmd"
	"github.com/lookout-audit/lookout/internal/command/explaincmd"
	"github.com/lookout-audit/lookout/internal/command/fixcmd"
	"github.com/lookout-audit/lookout/internal/command/mergecmd"
	"github.com/lookout-audit/lookout/internal/command/patterncmd"
	"github.com/lookout-audit/lookout/internal/command/scancmd"
	"github.com/lookout-audit/lookout/internal/command/scope"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/version"
)

// Deps are the steps of the command tree that reach AWS: collecting a scope into a snapshot
// (scan, collect, fix) and applying fix's plans. The zero value is the real ones, which lookout
// runs; tests of the command line replace them, as gh's commands take their clients from a
// factory, to run the whole CLI on snapshot fixtures without AWS or moto.
type Deps struct {
	Collect scope.CollectFunc // nil: scope.Live
	Apply   fixcmd.ApplyFunc  // nil: fixcmd.Execute
}

// NewCmd returns the root command with every subcommand, reading and changing AWS.
func NewCmd() *cobra.Command { return NewCmdWith(Deps{}) }

// NewCmdWith returns the root command with every subcommand, taking its AWS steps from d.
func NewCmdWith(d Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lookout",
		Short: "Audit, and fix, the detection controls of AWS accounts",
		Long: `lookout tells you, per account and region, whether your AWS detection controls
are in place and really working: CloudTrail logging, StopLogging auto-remediation,
CIS metric filters with alarms that reach a subscriber, console sign-in rules, and
CloudWatch Agent SSH logs from every SSM-managed instance.

Credentials come from the AWS SDK default chain; AWS_ENDPOINT_URL or
--endpoint-url points every call at an emulator such as moto_server.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Version,
	}
	cmd.AddCommand(scancmd.NewCmd(d.Collect), collectcmd.NewCmd(d.Collect), fixcmd.NewCmd(d.Collect, d.Apply),
		checkscmd.NewCmd(), patterncmd.NewCmd(), mergecmd.NewCmd(), explaincmd.NewCmd(), drillcmd.NewCmd(d.Collect), versionCmd())
	var debug bool
	cmd.PersistentFlags().BoolVar(&debug, "debug", false, "log every AWS API call (operation, region, status, duration; never headers or bodies) to stderr")
	cmd.PersistentPreRun = func(c *cobra.Command, _ []string) {
		if debug {
			c.SetContext(awsclient.WithDebug(c.Context(), c.ErrOrStderr()))
		}
	}
	// Flag errors are usage errors: exit 3.
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitcode.Usagef("%v (see '%s --help')", err, c.CommandPath())
	})
	return cmd
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print lookout's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", version.Name, version.Version)
		},
	}
}

// Main runs lookout with args and returns the process exit code. Ctrl-C cancels the context,
// so a scan stops promptly and writes no partial report.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return MainContext(ctx, args, stdout, stderr)
}

// MainContext is Main under ctx: cancelling ctx is what Ctrl-C does.
func MainContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return MainWith(ctx, Deps{}, args, stdout, stderr)
}

// MainWith is MainContext with the AWS steps of d (tests).
func MainWith(ctx context.Context, d Deps, args []string, stdout, stderr io.Writer) int {
	cmd := NewCmdWith(d)
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitcode.OK
	}
	var e *exitcode.Error
	if !errors.As(err, &e) || e.Err != nil {
		fmt.Fprintf(stderr, "lookout: %v\n", err)
	}
	// Only a command that stopped because of the interrupt wrote nothing; one that finished
	// (its report written) just as Ctrl-C arrived keeps its own exit code and says nothing
	// untrue.
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "lookout: interrupted; no report was written")
		return exitcode.Incomplete
	}
	return exitcode.Code(err)
}
