// Package drillcmd implements `lookout drill`: scan, then plan a drill of every chain the scan
// judged — and only with --apply, exercise each one and report what AWS recorded, hop by hop.
package drillcmd

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
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
	// ConfigHook, if set, is called on each account's AWS configuration before use (tests
	// attach an awsclient.Recorder here); the drill's clients inherit it.
	ConfigHook func(*aws.Config)
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

  the StopLogging remediation: a canary trail of the drill's own
    (lookout-drill-<id>-<n>, logging to bucket lookout-drill-<id>-<n>-<account>, both
    tagged lookout:drill=<id>) in the home region of the trail under test is
    started, then stopped; cloudtrail:GetTrailStatus is watched until the
    remediation restarts it or the deadline passes. The canary and its bucket
    are deleted at the end, also on failure, deadline and Ctrl-C. A rule
    narrowed to particular trails would not see the canary: the plan says so
    and makes none.

  --target-trail NAME: that real trail's remediation is drilled by stopping
    the trail itself (only if it is logging); GetTrailStatus is watched the
    same way, and at the deadline, on failure or on Ctrl-C the drill calls
    cloudtrail:StartLogging itself if the trail is still stopped (the safety
    net is never skipped). Needs policies/lookout-drill-target-trail.json.

  SSH log shipping and the SSH-login alarm: on one SSM-managed instance per
    log group (the first the scan passed whose SSM agent is Online),
    ssm:SendCommand runs AWS-RunShellScript with
      logger -i -p authpriv.info -t sshd 'Accepted publickey for lookout-drill
        from 192.0.2.1 port 22 ssh2: ED25519 SHA256:lookout-drill-<id>'
    then logs:FilterLogEvents watches the instance's stream for the marker and,
    where the scan found an SSH-login alarm on the group, the alarm's history
    for the transition to ALARM the line sets off and its SNS actions (such an
    alarm is drilled by the line, not by SetAlarmState). A journald entry that
    selects sshd's unit only cannot ship the line (it is the SSM agent's unit's):
    the report says so.

Not fired, with the reason in the report: EventBridge rules on aws.* events
(PutEvents cannot send them); AWS's events:TestEventPattern is asked whether
each rule's pattern matches a realistic event instead.

A drill changes nothing it did not create but the alarms' transient state,
with --target-trail that trail's logging, and the SSH log drill's one marked
line in the instance's syslog.

Exit codes, as for scan: 0 every exercised chain PASS (or a plan); 1 some FAIL;
2 some ERROR; 3 invalid usage.`,
		Example: `  # What a drill would do, changing nothing
  lookout drill --regions us-east-1

  # Exercise the root-usage alarm chain and keep the result for an auditor
  lookout drill --checks cloudwatch-root-usage-alarm --apply --format junit --output drill.xml

  # Drill the remediation of a trail whose rule names it, by stopping it
  lookout drill --checks cloudtrail-stoplogging-remediation --target-trail main --apply

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
	f.StringVar(&o.TargetTrail, "target-trail", "", "drill the StopLogging remediation of this real trail (name or ARN) by stopping it; the drill restarts it at the deadline, on failure and on Ctrl-C")
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
	return nil
}

// Run executes drill.
func Run(ctx context.Context, o *Options) error {
	if err := validate(o); err != nil {
		return err
	}
	if o.Cleanup && o.Snapshot != "" {
		return exitcode.Usagef("--cleanup and --snapshot exclude each other: cleanup removes what it finds in the accounts now")
	}
	list, err := checks.Select(o.Checks)
	if err != nil {
		return exitcode.Usagef("--checks: %v", err)
	}
	signin, err := scope.ParseRegions("--signin-regions", o.SigninRegions)
	if err != nil {
		return exitcode.Usagef("%v", err)
	}
	snap, res, err := o.Scope.Read(ctx, o.Snapshot, o.Collect, scope.CollectParams{Quiet: o.Quiet, Stderr: o.Stderr, ConfigHook: o.ConfigHook})
	if err != nil {
		return err
	}
	var targets []collect.Target
	if res != nil {
		targets = res.Targets
	}
	if o.Cleanup {
		return o.cleanup(ctx, snap, targets)
	}
	fs := checks.Run(snap, list, checks.Options{SigninRegions: signin})
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	id := drill.NewID(now())
	results := drill.Plan(fs, drill.PlanOptions{ID: id, TargetTrail: o.TargetTrail})
	if o.TargetTrail != "" && !slices.ContainsFunc(fs, func(f checks.Finding) bool { return drill.IsTrail(f, o.TargetTrail) }) {
		return exitcode.Usagef("--target-trail %s: no logging trail in scope has that name or ARN (the trails judged: %s)", o.TargetTrail, strings.Join(remediatedTrails(fs), ", "))
	}
	var created []drill.Created
	if o.Apply {
		if needsCanary(results) {
			left, err := findLeftovers(ctx, snap, targets)
			if err != nil {
				return exitcode.WithCode(exitcode.Incomplete, fmt.Errorf("looking for what earlier drills left: %w", err))
			}
			if len(left) > 0 {
				return exitcode.WithCode(exitcode.Incomplete, fmt.Errorf("another drill's resources exist, so this one does not start (run lookout drill --cleanup to remove them):\n  %s", joinLeftovers(left)))
			}
		}
		var mu sync.Mutex
		opts := drill.Options{ID: id, Deadline: o.Deadline, PollInterval: o.PollInterval, Now: o.Now, Sleep: o.Sleep,
			CloudWatch: clientsOf(targets, func(cfg aws.Config) drill.CloudWatchAPI { return awsclient.CloudWatch(cfg) }),
			CloudTrail: clientsOf(targets, func(cfg aws.Config) drill.CloudTrailAPI { return cloudtrail.NewFromConfig(cfg) }),
			S3:         clientsOf(targets, func(cfg aws.Config) drill.S3API { return s3Client(cfg) }),
			Events:     clientsOf(targets, func(cfg aws.Config) drill.EventsAPI { return eventbridge.NewFromConfig(cfg) }),
			SSM:        clientsOf(targets, func(cfg aws.Config) drill.SSMAPI { return ssm.NewFromConfig(cfg) }),
			Logs:       clientsOf(targets, func(cfg aws.Config) drill.LogsAPI { return cloudwatchlogs.NewFromConfig(cfg) })}
		if !o.Quiet {
			opts.Progress = func(r *drill.Result) {
				mu.Lock()
				defer mu.Unlock()
				fmt.Fprintf(o.Stderr, "%-7s %s %s %s\n", r.Status, r.CheckID, r.Region, r.Resource)
			}
		}
		created = drill.Exercise(ctx, results, opts)
	}
	report := drill.NewReport(id, o.Apply, results, created)
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

// remediatedTrails names the trails of the StopLogging remediation findings.
func remediatedTrails(fs []checks.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.CheckID == "cloudtrail-stoplogging-remediation" {
			out = append(out, f.Resource)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

// configFor returns the configuration of an account from the collection's targets: the
// account's own, else the caller's (a target without an id), in region.
func configFor(targets []collect.Target, account, region string) (aws.Config, error) {
	var caller *aws.Config
	for i := range targets {
		switch targets[i].AccountID {
		case account:
			cfg := targets[i].Config.Copy()
			cfg.Region = region
			return cfg, nil
		case "":
			caller = &targets[i].Config
		}
	}
	if caller == nil {
		return aws.Config{}, fmt.Errorf("no credentials for account %s", account)
	}
	cfg := caller.Copy()
	cfg.Region = region
	return cfg, nil
}

// clientsOf returns, for an account and region, the client mk makes of the account's
// configuration there (configFor).
func clientsOf[T any](targets []collect.Target, mk func(aws.Config) T) func(account, region string) (T, error) {
	return func(account, region string) (T, error) {
		cfg, err := configFor(targets, account, region)
		if err != nil {
			var zero T
			return zero, err
		}
		return mk(cfg), nil
	}
}

// needsCanary says whether a drill of results creates resources.
func needsCanary(results []drill.Result) bool {
	for _, r := range results {
		if r.CreatesResources() {
			return true
		}
	}
	return false
}

// findLeftovers looks, in every account and region of the snapshot, for what earlier drills
// left (drill.FindTrailLeftovers, drill.FindBucketLeftovers).
func findLeftovers(ctx context.Context, snap *snapshot.Snapshot, targets []collect.Target) ([]drill.Leftover, error) {
	var out []drill.Leftover
	for _, a := range snap.Accounts {
		if len(a.Regions) == 0 {
			continue
		}
		for _, r := range a.Regions {
			cfg, err := configFor(targets, a.ID, r.Name)
			if err != nil {
				return nil, err
			}
			found, err := drill.FindTrailLeftovers(ctx, cloudtrail.NewFromConfig(cfg), r.Name)
			if err != nil {
				return nil, fmt.Errorf("account %s: %w", a.ID, err)
			}
			out = append(out, found...)
		}
		cfg, err := configFor(targets, a.ID, a.Regions[0].Name)
		if err != nil {
			return nil, err
		}
		found, err := drill.FindBucketLeftovers(ctx, s3Client(cfg), a.ID, a.PartitionName())
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", a.ID, err)
		}
		out = append(out, found...)
	}
	// A trail before its bucket: a bucket a trail still logs to is removed after it.
	slices.SortStableFunc(out, func(x, y drill.Leftover) int { return strings.Compare(y.Kind, x.Kind) })
	return out, nil
}

func joinLeftovers(ls []drill.Leftover) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.String()
	}
	return strings.Join(parts, "\n  ")
}

// cleanup removes what earlier drills left, reporting each removal on stderr.
func (o *Options) cleanup(ctx context.Context, snap *snapshot.Snapshot, targets []collect.Target) error {
	left, err := findLeftovers(ctx, snap, targets)
	if err != nil {
		return exitcode.WithCode(exitcode.Incomplete, err)
	}
	if len(left) == 0 {
		fmt.Fprintln(o.Stderr, "lookout drill --cleanup: no drill left anything behind")
		return nil
	}
	failed := 0
	for _, l := range left {
		cfg, err := configFor(targets, l.Account, l.Region)
		if err == nil {
			err = drill.Remove(ctx, l, cloudtrail.NewFromConfig(cfg), s3Client(cfg))
		}
		if err != nil {
			failed++
			fmt.Fprintf(o.Stderr, "failed  %s: %v\n", l, err)
			continue
		}
		fmt.Fprintf(o.Stderr, "removed %s\n", l)
	}
	if failed > 0 {
		return exitcode.WithCode(exitcode.Incomplete, fmt.Errorf("%d leftover(s) could not be removed", failed))
	}
	return nil
}

// s3Client is an S3 client; emulators serve S3 on one host, where bucket-in-host addressing
// needs real DNS, so an endpoint override means path-style requests.
func s3Client(cfg aws.Config) *s3.Client {
	pathStyle := cfg.BaseEndpoint != nil || awsclient.EndpointFromEnv() != ""
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle })
}
