// Package scancmd implements `lookout scan`: collect (or load a snapshot), run the checks, write a
// report and exit with the contract's code.
package scancmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/command/output"
	"github.com/lookout-audit/lookout/internal/command/scope"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/secondopinion"
	"github.com/lookout-audit/lookout/internal/snapshot"
	"github.com/lookout-audit/lookout/internal/waiver"
	"github.com/lookout-audit/lookout/report"
)

// Options are scan's flags.
type Options struct {
	Scope     scope.Options
	Snapshot  string
	Checks    []string
	Framework string
	output.ReportFlags
	SigninRegions string
	SSHLogMaxAge  time.Duration
	Waivers       string
	Quiet         bool
	// SecurityHub imports the findings into AWS Security Hub (ASFF, BatchImportFindings).
	SecurityHub bool
	// VerifyPatterns asks AWS's own evaluators about every pattern that decided a verdict.
	VerifyPatterns bool
	// Evaluator builds the evaluator --verify-patterns asks; nil means AWS's, with the scope's
	// credentials (tests point it at the emulator's).
	Evaluator func(ctx context.Context) (secondopinion.Evaluator, error)

	Stdout, Stderr io.Writer
	// Now overrides the report time (tests).
	Now func() time.Time
	// ConfigHook, if set, is called on each account's AWS configuration before use (tests
	// attach an awsclient.Recorder here).
	ConfigHook func(*aws.Config)
	// Collect is the collection step of a scan without --snapshot; nil means scope.Live,
	// which reads AWS.
	Collect scope.CollectFunc
}

// Formats scan can write: every format of a report.
var Formats = report.Formats

// NewCmd returns the scan command, collecting with collect (nil: scope.Live).
func NewCmd(collect scope.CollectFunc) *cobra.Command {
	o := &Options{Collect: collect}
	cmd := &cobra.Command{
		Use:   "scan [scope] [--snapshot FILE]",
		Short: "Audit the detection controls of accounts and regions",
		Long: `Scan reads the accounts and regions in scope (or a snapshot written by
'lookout collect'), runs every check and reports one finding per scope.

Statuses: PASS, FAIL, ERROR (could not read what the check needs; never
counted as PASS) and WAIVED.

Exit codes: 0 no FAIL at or above --fail-on; 1 at least one; 2 the scan is
incomplete (some finding is ERROR); 3 invalid usage or input.`,
		Example: `  # Try it without an AWS account: scan the bundled demo organisation
  lookout scan --snapshot fixtures/demo-org.json

  # Audit two regions of the current account, JSON to a file
  lookout scan --regions us-east-1,us-west-2 --format json --output report.json

  # Against a local emulator
  lookout scan --endpoint-url http://127.0.0.1:5000 --regions us-east-1

  # A self-contained HTML page, and the findings imported into AWS Security Hub
  lookout scan --snapshot fixtures/demo-org.json --format html --output lookout.html
  lookout scan --org --role-name LookoutAudit --security-hub --format json -o report.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return Run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	o.Scope.AddFlags(f)
	o.ReportFlags.AddFlags(f)
	f.StringVar(&o.Snapshot, "snapshot", "", "evaluate this snapshot file instead of reading AWS (no credentials needed)")
	f.StringSliceVar(&o.Checks, "checks", nil, "only run these check ids (comma-separated; see 'lookout checks')")
	f.StringVar(&o.Framework, "framework", "", "only run the checks of this framework ("+strings.Join(checks.FrameworkIDs(), ", ")+"); findings carry its control ids")
	f.StringVar(&o.Waivers, "waivers", "", "YAML file of accepted risks: a matching FAIL becomes WAIVED until the waiver expires")
	f.StringVar(&o.SigninRegions, "signin-regions", strings.Join(checks.DefaultSigninRegions, ","), "regions where console sign-in rules must exist")
	f.DurationVar(&o.SSHLogMaxAge, "ssh-log-max-age", checks.DefaultSSHLogMaxAge, "how recently an instance's SSH log stream must have received data to count as shipping (ssm-cloudwatch-agent-ssh-logs)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress output")
	f.BoolVar(&o.VerifyPatterns, "verify-patterns", false, "ask AWS's own evaluators (logs:TestMetricFilter, events:TestEventPattern; they only evaluate) about every pattern that decided a verdict, with lookout's test events: a disagreement makes the finding ERROR, agreement is recorded in the evidence")
	f.BoolVar(&o.SecurityHub, "security-hub", false, "also import every finding into AWS Security Hub (ASFF via BatchImportFindings into each account's own custom integration, in the finding's region; a PASS resolves its finding); needs policies/lookout-securityhub.json")
	return cmd
}

// Run executes a scan.
func Run(ctx context.Context, o *Options) error {
	failOn, err := o.ReportFlags.Check()
	if err != nil {
		return err
	}
	list, err := checks.Select(o.Checks)
	if err != nil {
		return exitcode.Usagef("--checks: %v", err)
	}
	if list, err = inFramework(list, o.Framework); err != nil {
		return err
	}
	signin, err := scope.ParseRegions("--signin-regions", o.SigninRegions)
	if err != nil {
		return exitcode.Usagef("%v", err)
	}
	if o.SSHLogMaxAge < 0 {
		return exitcode.Usagef("--ssh-log-max-age: %s is negative (want a duration such as 24h or 72h)", o.SSHLogMaxAge)
	}
	waivers, err := loadWaivers(o.Waivers)
	if err != nil {
		return err
	}
	snap, resolved, err := o.Scope.Read(ctx, o.Snapshot, o.Collect, scope.CollectParams{Quiet: o.Quiet, Stderr: o.Stderr, ConfigHook: o.ConfigHook})
	if err != nil {
		return err
	}
	checkOpts := checks.Options{SigninRegions: signin, SSHLogMaxAge: o.SSHLogMaxAge}
	findings := checks.Run(snap, list, checkOpts)
	checks.AnnotateFixes(snap, findings, checkOpts)
	if o.VerifyPatterns {
		if err := verifyPatterns(ctx, o, findings); err != nil {
			return err
		}
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	sc := ScopeOf(snap)
	waived := waiver.Apply(waivers, findings, waiver.Scope{Checks: checkIDs(list), Accounts: sc.Accounts, Regions: sc.Regions}, now())
	for _, w := range waived.Warnings {
		fmt.Fprintf(o.Stderr, "lookout: warning: %s\n", w)
	}
	rep := report.New(waived.Findings, sc, now())
	if err := o.ReportFlags.Write(o.Stdout, o.Stderr, rep, report.WriteOptions{Notes: waived.Warnings, Framework: o.Framework}); err != nil {
		return err
	}
	if o.SecurityHub {
		configs, err := hubConfigs(ctx, o, snap, resolved)
		if err != nil {
			return exitcode.WithCode(exitcode.Incomplete, fmt.Errorf("--security-hub: %w", err))
		}
		results, err := ImportToSecurityHub(ctx, rep, configs)
		WriteHubSummary(o.Stderr, results)
		if err != nil {
			return exitcode.WithCode(exitcode.Incomplete, err)
		}
	}
	return output.Verdict(rep.Findings, failOn)
}

// verifyPatterns holds the findings' patterns against AWS's evaluators and says on stderr what
// they answered, each disagreement on a line of its own so that it can be reported.
func verifyPatterns(ctx context.Context, o *Options, findings []checks.Finding) error {
	build := o.Evaluator
	if build == nil {
		build = func(ctx context.Context) (secondopinion.Evaluator, error) {
			cfg, err := awsclient.LoadConfig(ctx, awsclient.Options{Profile: o.Scope.Profile, EndpointURL: o.Scope.EndpointURL})
			if err != nil {
				return nil, err
			}
			if o.ConfigHook != nil {
				o.ConfigHook(&cfg)
			}
			return secondopinion.NewAWS(cfg), nil
		}
	}
	ev, err := build(ctx)
	if err != nil {
		return exitcode.WithCode(exitcode.Incomplete, fmt.Errorf("--verify-patterns: %w", err))
	}
	res := secondopinion.Verify(ctx, ev, findings, secondopinion.Options{})
	fmt.Fprintf(o.Stderr, "lookout: --verify-patterns: %d pattern(s), %d call(s) to AWS's evaluators, %d disagreement(s)\n", res.Patterns, res.Calls, len(res.Disagreements))
	for _, d := range res.Disagreements {
		for _, e := range d.Events {
			fmt.Fprintf(o.Stderr, "lookout: disagreement: %s %s %s: %s, event [%s]: AWS %s, lookout %s; pattern: %s\n", d.CheckID, d.Account, d.Region, d.What, e.Event,
				matchWord(e.AWSMatches), matchWord(e.LookoutMatches), d.Pattern)
		}
	}
	for _, e := range res.Errors {
		fmt.Fprintf(o.Stderr, "lookout: warning: --verify-patterns: %s\n", e)
	}
	return nil
}

func matchWord(m bool) string {
	if m {
		return "matches"
	}
	return "does not match"
}

// loadWaivers reads the --waivers file ("" for none); a malformed file is invalid input.
func loadWaivers(path string) (*waiver.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := waiver.Load(path)
	if err != nil {
		return nil, exitcode.WithCode(exitcode.Usage, err)
	}
	var known []string
	for _, c := range checks.All() {
		known = append(known, c.ID)
	}
	if err := f.CheckIDs(known); err != nil {
		return nil, exitcode.WithCode(exitcode.Usage, err)
	}
	return f, nil
}

// inFramework keeps the checks of list that implement a control of framework ("" keeps all).
func inFramework(list []*checks.Check, framework string) ([]*checks.Check, error) {
	if framework == "" {
		return list, nil
	}
	in, err := checks.ForFramework(framework)
	if err != nil {
		return nil, exitcode.Usagef("--framework: %v", err)
	}
	var out []*checks.Check
	for _, c := range list {
		for _, f := range in {
			if f.ID == c.ID {
				out = append(out, c)
			}
		}
	}
	if len(out) == 0 {
		return nil, exitcode.Usagef("--framework %s: none of the selected checks implements a control of it", framework)
	}
	return out, nil
}

func checkIDs(list []*checks.Check) []string {
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	return ids
}

// hubConfigs returns each scanned account's configuration for the Security Hub import: the
// collection's own for a live scan, and for a snapshot the scope flags' (--profile,
// --role-name, --endpoint-url), entering exactly the snapshot's accounts unless --accounts or
// --org says otherwise.
func hubConfigs(ctx context.Context, o *Options, snap *snapshot.Snapshot, res *scope.Resolved) (map[string]aws.Config, error) {
	if res == nil {
		sc := o.Scope
		if strings.TrimSpace(sc.Accounts) == "" && !sc.Org {
			var ids []string
			for _, a := range snap.Accounts {
				ids = append(ids, a.ID)
			}
			sc.Accounts = strings.Join(ids, ",")
		}
		sc.Shard = ""
		var err error
		if res, err = sc.Resolve(ctx); err != nil {
			return nil, err
		}
		if o.ConfigHook != nil {
			for i := range res.Targets {
				o.ConfigHook(&res.Targets[i].Config)
			}
		}
	}
	configs := map[string]aws.Config{}
	for _, t := range res.Targets {
		if t.Err != nil {
			continue
		}
		id := t.AccountID
		if id == "" && len(snap.Accounts) == 1 {
			id = snap.Accounts[0].ID // the caller's own account, as the collector named it
		}
		if id != "" {
			configs[id] = t.Config
		}
	}
	return configs, nil
}

// ScopeOf lists the accounts and regions a snapshot covers.
func ScopeOf(s *snapshot.Snapshot) report.Scope {
	var sc report.Scope
	for _, a := range s.Accounts {
		sc.Accounts = append(sc.Accounts, a.ID)
	}
	sc.Regions = append(sc.Regions, s.Regions...)
	sc.Shard = s.Shard
	return sc
}

// String is for debugging.
func (o *Options) String() string { return fmt.Sprintf("%+v", *o) }
