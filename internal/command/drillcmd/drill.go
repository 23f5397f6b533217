// Package drillcmd implements `lookout drill`: scan, then plan a drill of every chain the scan
// judged — and only with --apply, exercise each one and report what AWS recorded, hop by hop.
package drillcmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/spf13/cobra"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/collect"
	"github.com/lookout-audit/lookout/internal/command/output"
	"github.com/lookout-audit/lookout/internal/command/scope"
	"github.com/lookout-audit/lookout/internal/drill"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// Options are drill's flags and injected steps.
type Options struct {
	Scope         scope.Options
	Snapshot      string
	Checks        []string
	Apply         bool
	Deadline      time.Duration
	TargetTrail   string
	Cleanup       bool
	SigninRegions string
	Format        string
	Output        string
	Quiet         bool

	Stdout, Stderr io.Writer
	// Collect is the collection step; nil means scope.Live, which reads AWS.
	Collect scope.CollectFunc
	// CloudWatch makes the client of an account's configuration in a region; nil means
	// awsclient.CloudWatch.
	CloudWatch func(cfg aws.Config, region string) drill.CloudWatchAPI
	// Now, Sleep and PollInterval override the drill's clock (tests).
	Now          func() time.Time
	Sleep        func(ctx context.Context, d time.Duration) error
	PollInterval time.Duration
}

// NewCmd returns the drill command, collecting with collect (nil: scope.Live).
func NewCmd(collect scope.CollectFunc) *cobra.Command {
	o := &Options{Collect: collect}
	cmd := &cobra.Command{
		Use:   "drill [scope] [--checks ID,...] [--apply] [--deadline 15m] [--format table|json|markdown|junit]",
		Short: "Exercise the detection chains for real and show what AWS recorded, hop by hop",
		Long: `Drill scans the accounts and regions in scope, then plans a drill of every chain
the scan judged: what it would do, what a person would receive, and the IAM
permissions it needs. Without --apply it only prints that plan and changes
nothing.

With --apply it exercises each chain and watches what AWS records:

  alarm chains (the CIS monitoring alarms, the SSH-login alarm):
    cloudwatch:SetAlarmState puts the alarm in ALARM with the reason
    "lookout drill <id>: this is a test"; cloudwatch:DescribeAlarmHistory then
    shows the Action item CloudWatch recorded for each SNS action, with AWS's
    own success or failure message. The subscribers receive a real ALARM
    notification naming the drill. CloudWatch returns the alarm to its real
    state at its next evaluation. An alarm already in ALARM is not drilled
    (setting it to ALARM is no transition, and CloudWatch acts on transitions
    only).

Not exercised, with the reason in the report: EventBridge rules on aws.*
events (PutEvents cannot send them, so they cannot be fired safely), and in
this version the StopLogging remediation and SSH log shipping.

A drill changes nothing but the alarms' transient state; the alarm drills
create no resources.

Exit codes, as for scan: 0 every exercised chain PASS (or a plan); 1 some FAIL;
2 some ERROR; 3 invalid usage.`,
		Example: `  # What a drill would do, changing nothing
  lookout drill --regions us-east-1

  # Exercise the root-usage alarm chain and keep the result for an auditor
  lookout drill --checks cloudwatch-root-usage-alarm --apply --format junit --output drill.xml

  # The plan for the bundled demo organisation, offline
  lookout drill --snapshot fixtures/demo-org.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return Run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	o.Scope.AddFlags(f)
	f.StringSliceVar(&o.Checks, "checks", nil, "only drill the chains of these check ids (comma-separated; see 'lookout checks')")
	f.StringVar(&o.Snapshot, "snapshot", "", "plan from this snapshot file instead of reading AWS (cannot be combined with --apply)")
	f.BoolVar(&o.Apply, "apply", false, "exercise the chains (without it, only print the plan)")
	f.DurationVar(&o.Deadline, "deadline", drill.DefaultDeadline, "how long to watch each chain for what AWS records")
	f.StringVar(&o.TargetTrail, "target-trail", "", "stop this real trail to drill its StopLogging remediation (not in this version)")
	f.BoolVar(&o.Cleanup, "cleanup", false, "remove what an interrupted drill left, found by its tag")
	f.StringVar(&o.SigninRegions, "signin-regions", strings.Join(checks.DefaultSigninRegions, ","), "regions where console sign-in rules must exist")
	f.StringVar(&o.Format, "format", "table", "output format: "+strings.Join(drill.Formats, ", "))
	f.StringVarP(&o.Output, "output", "o", "", "write the report to this file instead of stdout")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress output")
	return cmd
}

func validate(o *Options) error {
	if err := output.CheckFormat(o.Format, drill.Formats); err != nil {
		return err
	}
	if o.Snapshot != "" && o.Apply {
		return exitcode.Usagef("--snapshot and --apply exclude each other: a drill exercises what it has just read (drop --snapshot to apply, or --apply to review the plan)")
	}
	if o.Deadline <= 0 {
		return exitcode.Usagef("--deadline must be positive (it bounds how long each chain is watched), got %s", o.Deadline)
	}
	if o.TargetTrail != "" {
		return exitcode.Usagef("--target-trail: this version of lookout drill does not exercise the StopLogging remediation, so it stops no trail")
	}
	return nil
}

// Run executes drill.
func Run(ctx context.Context, o *Options) error {
	if err := validate(o); err != nil {
		return err
	}
	if o.Cleanup {
		// Nothing this version drills creates a resource (an alarm drill changes only the
		// alarm's state), so no drill can have left one.
		fmt.Fprintln(o.Stderr, "lookout drill --cleanup: nothing to remove: the drills of this version create no resources")
		return nil
	}
	list, err := checks.Select(o.Checks)
	if err != nil {
		return exitcode.Usagef("--checks: %v", err)
	}
	signin, err := scope.ParseRegions("--signin-regions", o.SigninRegions)
	if err != nil {
		return exitcode.Usagef("%v", err)
	}
	snap, res, err := o.read(ctx)
	if err != nil {
		return err
	}
	fs := checks.Run(snap, list, checks.Options{SigninRegions: signin})
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	id := drill.NewID(now())
	results := drill.Plan(fs, id)
	if o.Apply {
		var targets []collect.Target
		if res != nil {
			targets = res.Targets
		}
		var mu sync.Mutex
		opts := drill.Options{ID: id, Deadline: o.Deadline, PollInterval: o.PollInterval, Now: o.Now, Sleep: o.Sleep,
			CloudWatch: o.clients(targets)}
		if !o.Quiet {
			opts.Progress = func(r *drill.Result) {
				mu.Lock()
				defer mu.Unlock()
				fmt.Fprintf(o.Stderr, "%-7s %s %s %s\n", r.Status, r.CheckID, r.Region, r.Resource)
			}
		}
		drill.Exercise(ctx, results, opts)
	}
	report := drill.NewReport(id, o.Apply, results, nil)
	if err := output.Write(o.Output, o.Stdout, func(w io.Writer) error { return drill.Write(w, report, o.Format) }); err != nil {
		return exitcode.WithCode(exitcode.Incomplete, err)
	}
	switch {
	case report.Summary.Error > 0:
		return exitcode.Silent(exitcode.Incomplete)
	case report.Summary.Fail > 0:
		return exitcode.Silent(exitcode.Findings)
	}
	return nil
}

// read returns the snapshot to plan from: the --snapshot file, or a collection of the scope.
func (o *Options) read(ctx context.Context) (*snapshot.Snapshot, *scope.Resolved, error) {
	if o.Snapshot != "" {
		s, err := scope.LoadSnapshot(o.Snapshot)
		return s, nil, err
	}
	c := o.Collect
	if c == nil {
		c = scope.Live
	}
	return c(ctx, &o.Scope, scope.CollectParams{Quiet: o.Quiet, Stderr: o.Stderr})
}

// clients returns the CloudWatch client of an account and region from the collection's
// targets: the account's own, else the caller's (a target without an id).
func (o *Options) clients(targets []collect.Target) func(account, region string) (drill.CloudWatchAPI, error) {
	mk := o.CloudWatch
	if mk == nil {
		mk = func(cfg aws.Config, region string) drill.CloudWatchAPI {
			return awsclient.CloudWatch(cfg, func(co *cloudwatch.Options) { co.Region = region })
		}
	}
	return func(account, region string) (drill.CloudWatchAPI, error) {
		var caller *aws.Config
		for i := range targets {
			switch targets[i].AccountID {
			case account:
				return mk(targets[i].Config, region), nil
			case "":
				caller = &targets[i].Config
			}
		}
		if caller != nil {
			return mk(*caller, region), nil
		}
		return nil, fmt.Errorf("no credentials for account %s", account)
	}
}
