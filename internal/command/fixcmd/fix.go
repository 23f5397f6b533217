// Package fixcmd implements `lookout fix`: collect, run the checks, plan a remediation for every
// FAIL finding, print the plan — and only with --apply, carry it out and report each action.
package fixcmd

import (
	"context"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/spf13/cobra"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/collect"
	"github.com/lookout-audit/lookout/internal/command/output"
	"github.com/lookout-audit/lookout/internal/command/scope"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/fixexec"
	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/version"
)

// Options are fix's flags.
type Options struct {
	Scope         scope.Options
	Snapshot      string
	Checks        []string
	Apply         bool
	AllowRevoke   bool
	SNSTopicARNs  []string
	NotifyEmail   string
	HomeRegion    string
	SigninRegions string
	Format        string
	Output        string
	Quiet         bool

	Stdout, Stderr io.Writer
	// ConfigHook, if set, is called on each account's AWS configuration before use (tests
	// attach an awsclient.Recorder here).
	ConfigHook func(*aws.Config)
	// PropagationTimeout overrides the executor's wait for new IAM roles (tests).
	PropagationTimeout time.Duration
	// Now overrides the document time (tests).
	Now func() time.Time
	// Collect is the collection step; nil means scope.Live, which reads AWS.
	Collect scope.CollectFunc
	// ApplyPlans is the step --apply runs; nil means Execute, which calls AWS.
	ApplyPlans ApplyFunc
}

// ApplyFunc carries out plans in order, filling each action's Outcome and Detail, and returns
// how many actions failed. It is a step of Options, as the collection is, so that tests of the
// command line can run `fix --apply` on a snapshot fixture without AWS; Execute is the real one.
type ApplyFunc func(ctx context.Context, plans []plan.Plan, p ApplyParams) (failed int, err error)

// ApplyParams are what an ApplyFunc needs beyond the plans.
type ApplyParams struct {
	// Targets are the collection's: each account's plans run with its target's configuration,
	// and the caller's own account is the target without an id.
	Targets            []collect.Target
	AllowRevoke        bool
	PropagationTimeout time.Duration // zero: fixexec.DefaultPropagationTimeout
	// Progress, if set, is told after each action.
	Progress func(p *plan.Plan, a *plan.Action)
}

// Execute is the real ApplyFunc: internal/fixexec, one executor per account, each with that
// account's credentials. A plan for an account it has no credentials for stops it with an error.
func Execute(ctx context.Context, plans []plan.Plan, p ApplyParams) (int, error) {
	var callerCfg *aws.Config
	cfgByAccount := map[string]aws.Config{}
	for i := range p.Targets {
		if id := p.Targets[i].AccountID; id != "" {
			cfgByAccount[id] = p.Targets[i].Config
		} else {
			callerCfg = &p.Targets[i].Config
		}
	}
	byAccount := map[string]*fixexec.Executor{}
	failed := 0
	for i := range plans {
		account := plans[i].Account
		ex := byAccount[account]
		if ex == nil {
			cfg, ok := cfgByAccount[account]
			if !ok && callerCfg != nil {
				cfg, ok = *callerCfg, true
			}
			if !ok {
				return failed, fmt.Errorf("no credentials for account %s", account)
			}
			ex = fixexec.New(cfg)
			ex.PropagationTimeout = p.PropagationTimeout
			ex.AllowRevoke = p.AllowRevoke
			ex.Progress = p.Progress
			byAccount[account] = ex
		}
		failed += ex.Apply(ctx, plans[i:i+1])
	}
	return failed, nil
}

// Formats fix can write.
var Formats = []string{"table", "json"}

// NewCmd returns the fix command, collecting with collect and applying with apply (nil: the
// real ones, scope.Live and Execute).
func NewCmd(collect scope.CollectFunc, apply ApplyFunc) *cobra.Command {
	o := &Options{Collect: collect, ApplyPlans: apply}
	cmd := &cobra.Command{
		Use:   "fix [scope] [--snapshot FILE] [--checks ID,...] [--apply] [--allow-revoke]",
		Short: "Plan (and with --apply, make) the changes that fix failing checks",
		Long: `Fix reads the accounts and regions in scope, runs the checks, and for every
FAIL finding plans the exact AWS API calls that would fix it. Without --apply it
prints the plan and changes nothing.

With --snapshot FILE it plans from a snapshot written by 'lookout collect'
instead of reading AWS, and prints the plan the same way: a review offline, with
no credentials. It cannot be combined with --apply, which acts only on what it
has just read.

With --apply it makes the calls, in order, and reports each one's outcome. The
rules: nothing is deleted or overwritten; an existing resource of yours is only
changed additively (a policy statement, a log file, a rule target, an instance
profile for an instance that has none) and is named in the plan; what lookout
creates has a predictable name and the tag managed-by=lookout; a failed call
stops its plan, and rerunning finishes it. A second 'fix --apply' plans nothing.

The one exception is --allow-revoke: with it, a security group rule that
admits SSH (TCP 22) from 0.0.0.0/0 or ::/0 is revoked (the rule, never the
group). Without it such findings get a plan with no action.

Alarms and rules notify --sns-topic-arn, or a topic lookout creates per region
(lookout-alerts) with --notify-email subscribed (the address must confirm the
subscription before mail arrives).

Exit codes: 0 planned or applied; 2 an action failed, or a finding is ERROR
(lookout does not plan fixes for what it could not read); 3 invalid usage.`,
		Example: `  # What would be changed, as a table
  lookout fix --regions us-east-1,us-west-2

  # Make the changes, alarms notifying an existing topic
  lookout fix --apply --sns-topic-arn arn:aws:sns:us-east-1:123456789012:security

  # Only the CloudTrail fixes, plan as JSON for review
  lookout fix --checks cloudtrail-logging,cloudtrail-stoplogging-remediation --format json

  # The plan for a snapshot, offline: try it on the bundled demo organisation
  lookout fix --snapshot fixtures/demo-org.json --notify-email security@example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return Run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	o.Scope.AddFlags(f)
	f.StringSliceVar(&o.Checks, "checks", nil, "only fix these check ids (comma-separated; see 'lookout checks')")
	f.StringVar(&o.Snapshot, "snapshot", "", "plan from this snapshot file instead of reading AWS (no credentials needed; cannot be combined with --apply)")
	f.BoolVar(&o.Apply, "apply", false, "make the changes (without it, only print the plan)")
	f.BoolVar(&o.AllowRevoke, "allow-revoke", false, "let a plan revoke a security group rule that admits SSH from the internet (the one change that removes something: a rule, never a group)")
	f.StringSliceVar(&o.SNSTopicARNs, "sns-topic-arn", nil, "existing SNS topic(s), at most one per region, that new alarms and rules in its region notify (a rule's topic gains a policy statement letting EventBridge publish)")
	f.StringVar(&o.NotifyEmail, "notify-email", "", "subscribe this address to the lookout-alerts topic lookout creates")
	f.StringVar(&o.HomeRegion, "home-region", "", "home region of a trail lookout creates (default: us-east-1 if in scope, else the first region)")
	f.StringVar(&o.SigninRegions, "signin-regions", strings.Join(checks.DefaultSigninRegions, ","), "regions where console sign-in rules must exist")
	f.StringVar(&o.Format, "format", "table", "output format: "+strings.Join(Formats, ", "))
	f.StringVarP(&o.Output, "output", "o", "", "write the plan (or results) to this file instead of stdout")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress output")
	return cmd
}

var topicARNRe = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$`)

func validate(o *Options) error {
	if err := output.CheckFormat(o.Format, Formats); err != nil {
		return err
	}
	if o.Snapshot != "" && o.Apply {
		return exitcode.Usagef("--snapshot and --apply exclude each other: a snapshot can be old, and fix changes an account only from a fresh read (drop --snapshot to apply, or --apply to review the plan)")
	}
	if len(o.SNSTopicARNs) > 0 && o.NotifyEmail != "" {
		return exitcode.Usagef("--sns-topic-arn and --notify-email exclude each other: subscribe the address to your topic instead")
	}
	regions := map[string]string{}
	for _, t := range o.SNSTopicARNs {
		topic, err := arn.Parse(t)
		if err != nil || !topicARNRe.MatchString(t) {
			return exitcode.Usagef("--sns-topic-arn: %q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", t)
		}
		region := topic.Region
		if prev, dup := regions[region]; dup {
			return exitcode.Usagef("--sns-topic-arn: %s and %s are both in %s: give at most one topic per region", prev, t, region)
		}
		regions[region] = t
	}
	if o.NotifyEmail != "" {
		if a, err := mail.ParseAddress(o.NotifyEmail); err != nil || a.Address != o.NotifyEmail {
			return exitcode.Usagef("--notify-email: %q is not a plain email address", o.NotifyEmail)
		}
	}
	if o.HomeRegion != "" {
		if _, err := scope.ParseRegions("--home-region", o.HomeRegion); err != nil {
			return exitcode.Usagef("%v", err)
		}
	}
	return nil
}

// Run executes fix.
func Run(ctx context.Context, o *Options) error {
	if err := validate(o); err != nil {
		return err
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
	if o.HomeRegion != "" && !slices.Contains(snap.Regions, o.HomeRegion) {
		return exitcode.Usagef("--home-region %s is not among the regions in scope (%s)", o.HomeRegion, strings.Join(snap.Regions, ", "))
	}
	fo := checks.FixOptions{
		Options:      checks.Options{SigninRegions: signin},
		SNSTopicARNs: o.SNSTopicARNs, NotifyEmail: o.NotifyEmail, HomeRegion: o.HomeRegion,
		AllowRevoke: o.AllowRevoke,
	}
	pr, err := checks.PlanFixes(snap, list, fo)
	if err != nil {
		return exitcode.WithCode(exitcode.Incomplete, err)
	}
	if err := fixexec.Validate(pr.Plans); err != nil {
		return exitcode.WithCode(exitcode.Incomplete, fmt.Errorf("lookout planned actions it cannot execute (a bug; nothing was changed): %w", err))
	}
	var errored []string
	for _, f := range pr.Findings {
		if f.Status == checks.Error {
			errored = append(errored, fmt.Sprintf("%s %s %s: %s", f.CheckID, f.Account, f.Region, f.Message))
		}
	}

	failed := 0
	if o.Apply && plan.Count(pr.Plans) > 0 {
		apply := o.ApplyPlans
		if apply == nil {
			apply = Execute
		}
		p := ApplyParams{AllowRevoke: o.AllowRevoke, PropagationTimeout: o.PropagationTimeout}
		if res != nil { // an injected collection may resolve no targets
			p.Targets = res.Targets
		}
		if !o.Quiet {
			p.Progress = func(_ *plan.Plan, a *plan.Action) {
				fmt.Fprintf(o.Stderr, "%-7s %s %s %s\n", a.Outcome, a.IAMAction(), a.Region, a.Target)
			}
		}
		if failed, err = apply(ctx, pr.Plans, p); err != nil {
			return exitcode.WithCode(exitcode.Incomplete, err)
		}
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	doc := plan.NewDocument(pr.Plans, o.Apply, plan.Tool{Name: version.Name, Version: version.Version}, now())
	err = output.Write(o.Output, o.Stdout, func(w io.Writer) error {
		if o.Format == "json" {
			return plan.WriteJSON(w, doc)
		}
		return plan.WriteTable(w, doc)
	})
	if err != nil {
		return exitcode.WithCode(exitcode.Incomplete, err)
	}
	if len(errored) > 0 {
		fmt.Fprintf(o.Stderr, "lookout: %d finding(s) are ERROR and were not planned (lookout does not fix what it could not read):\n  %s\n",
			len(errored), strings.Join(errored, "\n  "))
	}
	if failed > 0 {
		return exitcode.WithCode(exitcode.Incomplete, fmt.Errorf("%d action(s) failed; their plans stopped there (rerun fix --apply to finish once the cause is fixed)", failed))
	}
	if len(errored) > 0 {
		return exitcode.Silent(exitcode.Incomplete)
	}
	return nil
}
