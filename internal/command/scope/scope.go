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

	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/collect"
)

// Options are the scope flags of the contract.
type Options struct {
	Profile     string
	Regions     string // "all" or a comma-separated list
	EndpointURL string
	Concurrency int
	// Timeout bounds the whole collection: what is not read by then is recorded as a read
	// error (its checks say ERROR) instead of hanging the scan.
	Timeout time.Duration
}

// AddFlags registers the scope flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Profile, "profile", "", "AWS shared-config profile to use (default: the SDK default chain: env, profile, SSO, IMDS)")
	fs.StringVar(&o.Regions, "regions", "all", "regions to read: all (the regions enabled for the account) or a comma-separated list")
	fs.StringVar(&o.EndpointURL, "endpoint-url", "", "send every AWS call to this endpoint, e.g. a moto_server (default: $AWS_ENDPOINT_URL)")
	fs.IntVar(&o.Concurrency, "concurrency", collect.DefaultConcurrency, "maximum AWS API calls in flight at once")
	fs.DurationVar(&o.Timeout, "timeout", 15*time.Minute, "give up on AWS calls still unanswered after this long (their checks report ERROR)")
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
}

// Resolve loads credentials and returns the accounts to read. Flag errors are returned
// before any AWS call is made.
func (o *Options) Resolve(ctx context.Context) (*Resolved, error) {
	regions, err := o.RegionList()
	if err != nil {
		return nil, err
	}
	cfg, err := awsclient.LoadConfig(ctx, awsclient.Options{Profile: o.Profile, EndpointURL: o.EndpointURL})
	if err != nil {
		return nil, err
	}
	return &Resolved{Targets: []collect.Target{{Config: cfg}}, Regions: regions}, nil
}
