// Package collectcmd implements `lookout collect`: read the scope and write the snapshot that
// `lookout scan --snapshot` evaluates offline.
package collectcmd

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/lookout-audit/lookout/internal/command/output"
	"github.com/lookout-audit/lookout/internal/command/scope"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// Options are collect's flags.
type Options struct {
	Scope          scope.Options
	Output         string
	Quiet          bool
	Stdout, Stderr io.Writer
	// Collect is the collection step; nil means scope.Live, which reads AWS.
	Collect scope.CollectFunc
}

// NewCmd returns the collect command, collecting with collect (nil: scope.Live).
func NewCmd(collect scope.CollectFunc) *cobra.Command {
	o := &Options{Collect: collect}
	cmd := &cobra.Command{
		Use:   "collect [scope] --output FILE",
		Short: "Read AWS and write a snapshot for offline scans",
		Long: `Collect reads everything the checks need from the accounts and regions in
scope and writes it as a versioned JSON snapshot. 'lookout scan --snapshot FILE'
evaluates it later with no AWS access. The snapshot holds no secret values: no
Lambda environment, no SecureString values, no subscription endpoints.`,
		Example: `  lookout collect --regions us-east-1,us-west-2 --output snap.json
  lookout scan --snapshot snap.json --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return Run(cmd.Context(), o)
		},
	}
	o.Scope.AddFlags(cmd.Flags())
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "file to write the snapshot to (- for stdout)")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "no progress output")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

// Run collects and writes the snapshot.
func Run(ctx context.Context, o *Options) error {
	if o.Output == "" {
		return exitcode.Usagef("--output is required")
	}
	collect := o.Collect
	if collect == nil {
		collect = scope.Live
	}
	s, _, err := collect(ctx, &o.Scope, scope.CollectParams{Quiet: o.Quiet, Stderr: o.Stderr})
	if err != nil {
		return err
	}
	if err := output.Write(o.Output, o.Stdout, func(w io.Writer) error { return snapshot.Write(w, s) }); err != nil {
		return exitcode.WithCode(exitcode.Incomplete, err)
	}
	return nil
}
