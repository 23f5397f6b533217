// Package scope holds the flags that say which accounts and regions a command reads, shared by
// scan, collect and fix, and turns them into collection targets.
package scope

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/pflag"

	"github.com/lookout-audit/lookout/internal/accounts"
	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/collect"
	"github.com/lookout-audit/lookout/internal/command/output"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/progress"
	"github.com/lookout-audit/lookout/internal/shard"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// Options are the scope flags of the contract.
type Options struct {
	Profile     string
	Regions     string // "all" or a comma-separated list
	EndpointURL string
	Concurrency int
	// Timeout bounds the whole collection: what is not read by then is recorded as a read
	// error (its checks say ERROR) instead of hanging the scan.
	Timeout  time.Duration
	Org      bool
	Accounts string // comma-separated account ids; "" means no limit
	RoleName string
	Shard    string // "K/N" or "index/N"; "" means not sharded
}

// AddFlags registers the scope flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Profile, "profile", "", "AWS shared-config profile to use (default: the SDK default chain: env, profile, SSO, IMDS)")
	fs.StringVar(&o.Regions, "regions", "all", "regions to read: all (the regions enabled for the account) or a comma-separated list")
	fs.StringVar(&o.EndpointURL, "endpoint-url", "", "send every AWS call to this endpoint, e.g. a moto_server (default: $AWS_ENDPOINT_URL)")
	fs.IntVar(&o.Concurrency, "concurrency", collect.DefaultConcurrency, "maximum AWS API calls in flight at once, across all accounts and regions (retries included); any one service gets at most half")
	o.Timeout = 15 * time.Minute
	fs.Var((*positiveDuration)(&o.Timeout), "timeout", "give up on AWS calls still unanswered after this long (their checks report ERROR); must be positive")
	fs.BoolVar(&o.Org, "org", false, "scan every ACTIVE account of the AWS Organization (run from the management or a delegated administrator account)")
	fs.StringVar(&o.Accounts, "accounts", "", "only these account ids (comma-separated); without --org, scan exactly these")
	fs.StringVar(&o.RoleName, "role-name", accounts.DefaultRoleName, "role assumed in every account but the caller's own (a read-only audit role is the usual choice)")
	fs.StringVar(&o.Shard, "shard", "", "scan only shard K of N of the accounts, e.g. 2/3 (by hash of the account id, stable as accounts join); index/N takes K from $JOB_COMPLETION_INDEX+1")
}

var regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// RegionList parses --regions: nil for "all".
func (o *Options) RegionList() ([]string, error) {
	v := strings.TrimSpace(o.Regions)
	if v == "" || v == "all" {
		return nil, nil
	}
	return ParseRegions("--regions", v)
}

// ParseRegions parses a comma-separated region list, naming the flag in errors.
func ParseRegions(flag, v string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, r := range strings.Split(v, ",") {
		r = strings.TrimSpace(r)
		if r == "" || seen[r] {
			continue
		}
		if !regionRe.MatchString(r) {
			return nil, fmt.Errorf("%s: %q is not a region name (like us-east-1)", flag, r)
		}
		seen[r] = true
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no region given", flag)
	}
	return out, nil
}

// Resolved is a scope ready for collection.
type Resolved struct {
	Targets []collect.Target
	Regions []string // nil: all enabled regions of each account
	Shard   string   // "K/N" when sharded, for the report's scope.shard
}

// Resolve loads credentials and returns the accounts to read. Flag errors are returned
// before any AWS call is made.
func (o *Options) Resolve(ctx context.Context) (*Resolved, error) {
	return o.resolve(ctx, false)
}

// resolve is Resolve; with deferEntry the member accounts' roles are assumed by the collector
// as it comes to each account (accounts.Options.Defer), for Collect.
func (o *Options) resolve(ctx context.Context, deferEntry bool) (*Resolved, error) {
	regions, err := o.RegionList()
	if err != nil {
		return nil, err
	}
	var ids []string
	if strings.TrimSpace(o.Accounts) != "" {
		if ids, err = accounts.ParseIDs("--accounts", o.Accounts); err != nil {
			return nil, err
		}
	}
	var sh shard.Spec
	if o.Shard != "" {
		if sh, err = shard.Parse(o.Shard, nil); err != nil {
			return nil, fmt.Errorf("--shard: %w", err)
		}
	}
	cfg, err := awsclient.LoadConfig(ctx, awsclient.Options{Profile: o.Profile, EndpointURL: o.EndpointURL})
	if err != nil {
		return nil, err
	}
	targets, err := accounts.Resolve(ctx, accounts.Options{Config: cfg, Org: o.Org, Accounts: ids, RoleName: o.RoleName, Shard: sh, Defer: deferEntry})
	if err != nil {
		return nil, err
	}
	return &Resolved{Targets: targets, Regions: regions, Shard: sh.String()}, nil
}

// Validate checks the scope flags without calling AWS: a bad flag is a usage error (exit 3).
func (o *Options) Validate() error {
	if _, err := o.RegionList(); err != nil {
		return exitcode.Usagef("%v", err)
	}
	if strings.TrimSpace(o.Accounts) != "" {
		if _, err := accounts.ParseIDs("--accounts", o.Accounts); err != nil {
			return exitcode.Usagef("%v", err)
		}
	}
	if o.Shard != "" {
		if _, err := shard.Parse(o.Shard, nil); err != nil {
			return exitcode.Usagef("--shard: %v", err)
		}
	}
	if o.Timeout < 0 {
		return exitcode.Usagef("--timeout: %s is not a positive duration (want e.g. 15m)", o.Timeout)
	}
	if o.Concurrency < 0 {
		return exitcode.Usagef("--concurrency: %d is negative", o.Concurrency)
	}
	return nil
}

// positiveDuration is a flag value that refuses zero and negative durations: "--timeout 0s"
// would otherwise read as "no limit" (or end every call at once), neither of which the user
// meant.
type positiveDuration time.Duration

func (d *positiveDuration) String() string { return time.Duration(*d).String() }
func (d *positiveDuration) Type() string   { return "duration" }
func (d *positiveDuration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v <= 0 {
		return fmt.Errorf("%s is not a positive duration (want e.g. 15m)", v)
	}
	*d = positiveDuration(v)
	return nil
}

// CollectParams are what Collect needs beyond the flags.
type CollectParams struct {
	Quiet  bool
	Stderr io.Writer
	// ConfigHook, if set, adjusts every target's AWS config before collection (tests).
	ConfigHook func(*aws.Config)
}

// CollectFunc is the collection step scan, collect and fix take through their Options, as gh's
// commands take their clients from a factory: Live reads AWS, and tests of the command line
// pass one that returns a snapshot fixture, so that they need neither AWS nor moto.
type CollectFunc func(ctx context.Context, o *Options, p CollectParams) (*snapshot.Snapshot, *Resolved, error)

// Read returns the snapshot a command works on: the snapshot file when file is set (no
// targets: nothing was read from AWS), else a collection of the scope by collect (Live when
// nil), with the targets it resolved. It is how scan, fix and drill all obtain theirs.
func (o *Options) Read(ctx context.Context, file string, collect CollectFunc, p CollectParams) (*snapshot.Snapshot, *Resolved, error) {
	if file != "" {
		s, err := LoadSnapshot(file)
		return s, nil, err
	}
	if collect == nil {
		collect = Live
	}
	return collect(ctx, o, p)
}

// Live is the CollectFunc that reads AWS (o.Collect): what lookout runs.
func Live(ctx context.Context, o *Options, p CollectParams) (*snapshot.Snapshot, *Resolved, error) {
	return o.Collect(ctx, p)
}

// Collect resolves the scope and reads it into a snapshot. It is the one collection path of
// scan, collect and fix, so that --timeout, progress and connection reuse behave the same in
// all three. A bad flag is a usage error (exit 3); what the environment refuses — no
// credentials, no network, STS or Organizations failing, an expired token — leaves the scan
// incomplete (exit 2), never "invalid usage". The resolved targets come back too: fix
// applies its plans with the same credentials.
func (o *Options) Collect(ctx context.Context, p CollectParams) (*snapshot.Snapshot, *Resolved, error) {
	if err := o.Validate(); err != nil {
		return nil, nil, err
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	res, err := o.resolve(ctx, true)
	if err != nil {
		return nil, nil, exitcode.WithCode(exitcode.Incomplete, fmt.Errorf("%w%s", err, remedy(err)))
	}
	if p.ConfigHook != nil {
		for i := range res.Targets {
			p.ConfigHook(&res.Targets[i].Config)
		}
	}
	stderr := p.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	bar := progress.NewScan(stderr, len(res.Targets), len(res.Regions), !p.Quiet && output.IsTerminal(stderr))
	for i := range res.Targets {
		bar.Attach(&res.Targets[i].Config)
	}
	c := collect.New(collect.Options{Regions: res.Regions, Concurrency: o.Concurrency, Progress: bar.Observe})
	s, err := c.Snapshot(ctx, res.Targets)
	bar.Done()
	for _, t := range res.Targets {
		awsclient.CloseIdleConnections(t.Config)
	}
	if err != nil {
		return nil, nil, exitcode.WithCode(exitcode.Incomplete, err)
	}
	s.Shard = res.Shard
	return s, res, nil
}

// LoadSnapshot reads a snapshot file written by collect, the offline source of scan and fix.
// A file that cannot be read or is not a snapshot lookout understands is invalid input (exit 3).
func LoadSnapshot(file string) (*snapshot.Snapshot, error) {
	s, err := snapshot.Load(file)
	if err != nil {
		return nil, exitcode.WithCode(exitcode.Usage, err)
	}
	return s, nil
}

// remedy suggests what usually fixes an environment failure.
func remedy(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "ExpiredToken") || strings.Contains(msg, "expired") || strings.Contains(msg, "SSO"):
		return " (credentials expired: run `aws sso login`, or refresh them)"
	case strings.Contains(msg, "no EC2 IMDS role") || strings.Contains(msg, "failed to retrieve credentials") || strings.Contains(msg, "NoCredentialProviders"):
		return " (no credentials found: set --profile, or AWS_PROFILE / AWS_ACCESS_KEY_ID)"
	case strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host") || strings.Contains(msg, "dial tcp"):
		return " (AWS could not be reached: check the network, or --endpoint-url / AWS_ENDPOINT_URL)"
	}
	return ""
}
