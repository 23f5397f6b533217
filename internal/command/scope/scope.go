// Package scope holds the flags that say which accounts and regions a command reads, shared by
// scan, collect and fix, and turns them into collection targets.
package scope

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/lookout-audit/lookout/internal/accounts"
	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/collect"
	"github.com/lookout-audit/lookout/internal/shard"
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
	fs.IntVar(&o.Concurrency, "concurrency", collect.DefaultConcurrency, "maximum AWS API tasks in flight at once, across all accounts and regions; any one service gets at most half")
	fs.DurationVar(&o.Timeout, "timeout", 15*time.Minute, "give up on AWS calls still unanswered after this long (their checks report ERROR)")
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
	targets, err := accounts.Resolve(ctx, accounts.Options{Config: cfg, Org: o.Org, Accounts: ids, RoleName: o.RoleName, Shard: sh})
	if err != nil {
		return nil, err
	}
	return &Resolved{Targets: targets, Regions: regions, Shard: sh.String()}, nil
}
