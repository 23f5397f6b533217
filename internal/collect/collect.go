// Package collect is the only code in lookout that reads AWS. It fills a snapshot.Snapshot for
// each account and region, concurrently under a bounded number of workers, and records what it
// could not read as snapshot.ReadError instead of failing the whole scan.
package collect

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lookout-audit/lookout/internal/snapshot"
	"github.com/lookout-audit/lookout/internal/version"
)

// DefaultConcurrency bounds the API tasks in flight at once across the whole scan. AWS
// throttles per account, region and API, and within one (account, region) each service is read
// by a single task, one call after another; so this bound protects the machine running lookout
// more than AWS, and it is sized so that every region of an account can be read at once: the
// wall time of a scan is then a few dependent round trips, not the number of regions.
const DefaultConcurrency = 64

// Options say what to collect.
type Options struct {
	// Regions to read; empty means the regions enabled for each account.
	Regions []string
	// Concurrency bounds the API tasks running at once (DefaultConcurrency if 0).
	Concurrency int
	// ServiceConcurrency bounds the tasks of any one service running at once (half of
	// Concurrency if 0), so that a throttled service, whose calls back off and retry, cannot
	// hold every slot and starve the others.
	ServiceConcurrency int
	// Progress, if set, is told when an account's regions are known, as each (account, region)
	// finishes, and when each account is done. It may be called from several goroutines.
	Progress func(ProgressEvent)
	// Now stamps the snapshot (time.Now if zero); tests fix it.
	Now time.Time
}

// ProgressEvent reports one step of the scan: with Region set, that region of Account is done;
// with Planned > 0, Account will read that many regions; with AccountDone, Account is finished.
type ProgressEvent struct {
	Account, Region string
	// Errors counts read errors recorded for this region (or, with AccountDone, for the
	// account as a whole: it could not be entered or listed).
	Errors      int
	Planned     int
	AccountDone bool
}

// Target is one account to collect, with credentials that act in it.
type Target struct {
	AccountID string // empty: ask STS
	Config    aws.Config
	// Err, if set, means the account could not be entered (e.g. AssumeRole was denied).
	Err *snapshot.ReadError
}

// Collector reads accounts into a snapshot.
type Collector struct {
	opts Options
	sem  chan struct{}

	svcMu  sync.Mutex
	svcCap int
	svcSem map[string]chan struct{}
}

// New returns a Collector.
func New(opts Options) *Collector {
	n := opts.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	per := opts.ServiceConcurrency
	if per <= 0 {
		per = max(1, (n+1)/2)
	}
	return &Collector{opts: opts, sem: make(chan struct{}, n), svcCap: per, svcSem: map[string]chan struct{}{}}
}

// Snapshot collects every target. It returns an error only when the scan as a whole cannot
// go on (context cancelled); per-call failures are recorded in the snapshot.
func (c *Collector) Snapshot(ctx context.Context, targets []Target) (*snapshot.Snapshot, error) {
	now := c.opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	s := &snapshot.Snapshot{
		SchemaVersion: snapshot.SchemaVersion,
		Tool:          snapshot.Tool{Name: version.Name, Version: version.Version},
		CollectedAt:   now.UTC().Truncate(time.Second),
		Accounts:      make([]snapshot.Account, len(targets)),
	}
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Accounts[i] = c.account(ctx, t)
			if c.opts.Progress != nil {
				errs := 0
				if s.Accounts[i].Error != nil {
					errs = 1
				}
				c.opts.Progress(ProgressEvent{Account: s.Accounts[i].ID, AccountDone: true, Errors: errs})
			}
		}()
	}
	wg.Wait()
	// A cancelled scan (Ctrl-C) is abandoned: a partial snapshot must not pass for a complete
	// one. A deadline (--timeout) is different: what was not read in time is recorded as
	// read errors or absent sections, which the checks report as ERROR.
	if err := ctx.Err(); errors.Is(err, context.Canceled) {
		return nil, fmt.Errorf("collection interrupted: %w", err)
	}
	regions := map[string]bool{}
	for _, a := range s.Accounts {
		for _, r := range a.Regions {
			regions[r.Name] = true
		}
	}
	for r := range regions {
		s.Regions = append(s.Regions, r)
	}
	if len(s.Regions) == 0 {
		s.Regions = append(s.Regions, c.opts.Regions...)
	}
	s.Sort()
	return s, nil
}

// accountIDRe is a 12-digit AWS account id.
var accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)

// doAs runs one API task of a service under both the service's bound and the global one. The
// service slot is taken first, so a task waiting on a busy service holds no global slot.
func (c *Collector) doAs(ctx context.Context, service string, f func()) {
	c.svcMu.Lock()
	sem, ok := c.svcSem[service]
	if !ok {
		sem = make(chan struct{}, c.svcCap)
		c.svcSem[service] = sem
	}
	c.svcMu.Unlock()
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-sem }()
	c.do(ctx, f)
}

// do runs one API task under the global concurrency bound.
func (c *Collector) do(ctx context.Context, f func()) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-c.sem }()
	f()
}

// account collects one account: identity, regions, then every region concurrently, then the
// account-wide trail details (once per trail, in its home region), the IAM roles that rule
// targets name and the instance profiles of instances SSM does not manage.
func (c *Collector) account(ctx context.Context, t Target) snapshot.Account {
	a := snapshot.Account{ID: t.AccountID, Partition: "aws"}
	if t.Err != nil {
		a.Error = t.Err
		return a
	}
	if a.ID == "" {
		var out *sts.GetCallerIdentityOutput
		var err error
		c.doAs(ctx, "sts", func() { out, err = sts.NewFromConfig(t.Config).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}) })
		if err == nil && out == nil {
			err = ctx.Err()
		}
		if err != nil {
			a.ID = "000000000000"
			a.Error = readError("sts:GetCallerIdentity", err)
			return a
		}
		if !accountIDRe.MatchString(aws.ToString(out.Account)) {
			// An empty or garbled answer is not an identity: findings under account "" would
			// be nobody's.
			a.ID = "000000000000"
			a.Error = &snapshot.ReadError{Operation: "sts:GetCallerIdentity", Code: "EmptyAnswer",
				Message: fmt.Sprintf("the answer holds no account id (%q)", aws.ToString(out.Account))}
			return a
		}
		a.ID = aws.ToString(out.Account)
		if p := partitionOf(aws.ToString(out.Arn)); p != "" {
			a.Partition = p
		}
	}
	regions := c.opts.Regions
	if len(regions) == 0 {
		var err error
		regions, err = c.enabledRegions(ctx, t.Config)
		if err != nil {
			a.Error = readError("ec2:DescribeRegions", err)
			return a
		}
	}
	if c.opts.Progress != nil {
		c.opts.Progress(ProgressEvent{Account: a.ID, Planned: len(regions)})
	}
	acc := newAccountCollector(c, t.Config, a.ID)
	a.Regions = make([]snapshot.Region, len(regions))
	var wg sync.WaitGroup
	for i, name := range regions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.Regions[i] = acc.region(ctx, name)
			if c.opts.Progress != nil {
				c.opts.Progress(ProgressEvent{Account: a.ID, Region: name, Errors: countErrors(&a.Regions[i])})
			}
		}()
	}
	wg.Wait()
	// The account-wide reads depend on every region and not on each other.
	var after sync.WaitGroup
	after.Add(2)
	go func() {
		defer after.Done()
		a.Roles = acc.roles(ctx, a.Regions)
	}()
	go func() {
		defer after.Done()
		a.InstanceProfiles = acc.instanceProfiles(ctx, a.Regions)
	}()
	a.Trails = acc.trails(ctx, a.Regions)
	after.Wait()
	return a
}

// enabledRegions lists the regions enabled for the account (DescribeRegions without
// AllRegions returns only enabled ones).
func (c *Collector) enabledRegions(ctx context.Context, cfg aws.Config) ([]string, error) {
	var out *ec2.DescribeRegionsOutput
	var err error
	c.doAs(ctx, "ec2", func() { out, err = ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{}) })
	if err == nil && out == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, r := range out.Regions {
		if st := aws.ToString(r.OptInStatus); st == "not-opted-in" {
			continue
		}
		names = append(names, aws.ToString(r.RegionName))
	}
	sort.Strings(names)
	return names, nil
}

func partitionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 || parts[0] != "arn" {
		return ""
	}
	return parts[1]
}
