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
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/lookout-audit/lookout/internal/snapshot"
	"github.com/lookout-audit/lookout/internal/version"
)

// DefaultConcurrency bounds the API calls in flight at once across the whole scan. AWS
// throttles per account, region and API, and within one (account, region) each service makes
// a few calls at a time; so this bound protects the machine running lookout more than AWS. One
// account's 17 regions put about 190 first reads in flight at once, so the wall time of a scan
// is a few dependent round trips, not the number of regions; an organisation keeps 16 accounts
// in flight (DefaultConcurrency/32), about 32 calls each, which is what two CPUs can issue at
// 50 ms a round trip (BENCHMARKS.md: 1,000 accounts, 4,100 calls a second).
const DefaultConcurrency = 512

// Options say what to collect.
type Options struct {
	// Regions to read; empty means the regions enabled for each account.
	Regions []string
	// Concurrency bounds the API calls in flight at once, retries and back-off included
	// (DefaultConcurrency if 0).
	Concurrency int
	// ServiceConcurrency bounds the calls of any one service in flight at once (half of
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
	// Enter, if set, enters the account (e.g. assumes its role) when the scan comes to it;
	// its error makes the account unreadable, as Err does, and Snapshot records it in the
	// target's Err for callers that use the targets afterwards.
	Enter func(ctx context.Context) *snapshot.ReadError
}

// Collector reads accounts into a snapshot.
type Collector struct {
	opts Options
	sem  chan struct{}

	svcMu  sync.Mutex
	svcCap int
	svcSem map[string]chan struct{}

	// accounts bounds the accounts read at once: enough to keep sem full, few enough that an
	// organisation's memory holds the accounts in flight and the finished snapshots, not a
	// task for every region of every account.
	accounts chan struct{}
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
	return &Collector{opts: opts, sem: make(chan struct{}, n), svcCap: per, svcSem: map[string]chan struct{}{},
		accounts: make(chan struct{}, max(2, n/32))}
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
			// Entering (assuming a role) is bounded on its own and runs ahead of reading:
			// the accounts in flight are read, not waiting for STS.
			if t.Err == nil && t.Enter != nil {
				if err := t.Enter(ctx); err != nil {
					t.Err, targets[i].Err = err, err
				}
			}
			select {
			case c.accounts <- struct{}{}:
				defer func() { <-c.accounts }()
			case <-ctx.Done():
				// Not started before the scan ended: read nothing, as a region whose slot
				// never came.
			}
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

// bound is an API option that runs every call of a client under its service's bound and the
// global one (doAs), retries and back-off included: the bounds count calls in flight, and a
// collector that makes independent calls at once takes a slot for each. A call that gets no
// slot before the scan ends fails with the context's error.
func (c *Collector) bound(service string) func(*middleware.Stack) error {
	mw := middleware.InitializeMiddlewareFunc("lookoutBound", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (out middleware.InitializeOutput, md middleware.Metadata, err error) {
		ran := false
		c.doAs(ctx, service, func() {
			ran = true
			out, md, err = next.HandleInitialize(ctx, in)
		})
		if !ran {
			if err = ctx.Err(); err == nil {
				err = context.Canceled
			}
		}
		return out, md, err
	})
	return func(s *middleware.Stack) error { return s.Initialize.Add(mw, middleware.Before) }
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

// account collects one account. Nothing waits for what it does not need: every region starts
// at once — with --regions, the regions named; with all, the regions every account of the
// partition has enabled, while ec2:DescribeRegions says which others are — and
// sts:GetCallerIdentity, which only names the account, runs alongside. The account-wide reads
// (the trails' details, the IAM roles that rule targets name, the instance profiles of
// instances SSM does not manage) start from each region's answers as they come (followUps),
// each in the account's context: a region still waiting on a slow call holds up only what
// needs that call. They are gathered once every region is read.
//
// If the identity or the region list cannot be read, the account is that error, as before
// any region was read: the reads already started are abandoned and dropped, and so is a
// region started early that DescribeRegions does not list.
func (c *Collector) account(ctx context.Context, t Target) snapshot.Account {
	a := snapshot.Account{ID: t.AccountID, Partition: "aws"}
	if t.Err != nil {
		a.Error = t.Err
		return a
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	acc := newAccountCollector(c, t.Config, a.ID)
	acc.ctx = ctx

	type identity struct {
		id, partition string
		err           *snapshot.ReadError
	}
	idc := make(chan identity, 1)
	if a.ID == "" {
		go func() {
			id, partition, err := c.identity(ctx, t.Config)
			if err == nil {
				acc.setAccountID(id)
			}
			idc <- identity{id, partition, err}
		}()
	} else {
		idc <- identity{id: a.ID}
	}
	type regionList struct {
		names []string
		err   error
	}
	listc := make(chan regionList, 1)
	regions := c.opts.Regions
	early := regions
	if len(regions) == 0 {
		go func() {
			names, err := c.enabledRegions(ctx, t.Config)
			listc <- regionList{names, err}
		}()
		early = alwaysEnabled(t.Config.Region)
	}

	// ready is closed once the account is known and its regions planned: progress about
	// regions is told only then, only for the regions planned, and never for an account
	// that fails. a.ID and planned are written before, and only read after.
	ready := make(chan struct{})
	planned := map[string]bool{}
	type regionRun struct {
		r      snapshot.Region
		done   chan struct{}
		cancel context.CancelFunc
	}
	runs := map[string]*regionRun{}
	start := func(name string) {
		if runs[name] != nil {
			return
		}
		rctx, rcancel := context.WithCancel(ctx)
		run := &regionRun{done: make(chan struct{}), cancel: rcancel}
		runs[name] = run
		go func() {
			defer close(run.done)
			run.r = acc.region(rctx, name)
			if c.opts.Progress == nil {
				return
			}
			select {
			case <-ready:
			default:
				select {
				case <-ready:
				case <-rctx.Done():
					return // the account failed, or the region is not enabled after all
				}
			}
			if planned[name] {
				c.opts.Progress(ProgressEvent{Account: a.ID, Region: name, Errors: countErrors(&run.r)})
			}
		}()
	}
	for _, name := range early {
		start(name)
	}
	// abandon drops every region started and waits for their reads to end.
	abandon := func() {
		cancel()
		for _, run := range runs {
			<-run.done
		}
		acc.wg.Wait()
	}

	id := <-idc
	if id.err != nil {
		a.ID = "000000000000"
		a.Error = id.err
		abandon()
		return a
	}
	a.ID = id.id
	if id.partition != "" {
		a.Partition = id.partition
	}
	if len(regions) == 0 {
		list := <-listc
		if list.err != nil {
			a.Error = readError("ec2:DescribeRegions", list.err)
			abandon()
			return a
		}
		regions = list.names
		listed := map[string]bool{}
		for _, name := range regions {
			listed[name] = true
			start(name)
		}
		for name, run := range runs {
			if !listed[name] {
				run.cancel() // started early, but not enabled here after all
			}
		}
	}
	for _, name := range regions {
		planned[name] = true
	}
	if c.opts.Progress != nil {
		c.opts.Progress(ProgressEvent{Account: a.ID, Planned: len(regions)})
	}
	close(ready)
	a.Regions = make([]snapshot.Region, len(regions))
	for i, name := range regions {
		<-runs[name].done
		a.Regions[i] = runs[name].r
	}
	for _, run := range runs {
		<-run.done
	}
	// The account-wide reads, started as each region answered, are gathered.
	a.Roles = acc.roles(a.Regions)
	a.InstanceProfiles = acc.instanceProfiles(a.Regions)
	a.Trails = acc.trails(a.Regions)
	acc.wg.Wait()
	return a
}

// identity asks STS which account cfg acts in, and its partition.
func (c *Collector) identity(ctx context.Context, cfg aws.Config) (string, string, *snapshot.ReadError) {
	client := sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.APIOptions = append(o.APIOptions[:len(o.APIOptions):len(o.APIOptions)], c.bound("sts"))
	})
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", readError("sts:GetCallerIdentity", err)
	}
	if !accountIDRe.MatchString(aws.ToString(out.Account)) {
		// An empty or garbled answer is not an identity: findings under account "" would
		// be nobody's.
		return "", "", &snapshot.ReadError{Operation: "sts:GetCallerIdentity", Code: "EmptyAnswer",
			Message: fmt.Sprintf("the answer holds no account id (%q)", aws.ToString(out.Account))}
	}
	return aws.ToString(out.Account), Partition(aws.ToString(out.Arn)), nil
}

// Partition is the partition an ARN names (aws, aws-cn, aws-us-gov...): given a caller's ARN,
// the partition of its account, in which every ARN of the account is written. It is "aws"
// when s is not an ARN or names no partition.
func Partition(s string) string {
	if a, err := arn.Parse(s); err == nil && a.Partition != "" {
		return a.Partition
	}
	return "aws"
}

// defaultRegions are the regions enabled in every account of the aws partition, which an
// account cannot disable (regions launched since March 2019 are opt-in).
var defaultRegions = []string{
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
	"ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3",
	"sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

// alwaysEnabled is what --regions all may read before DescribeRegions answers: the default
// regions when the configuration's region is one of them (so the account is in the aws
// partition), else none.
func alwaysEnabled(region string) []string {
	for _, r := range defaultRegions {
		if r == region {
			return defaultRegions
		}
	}
	return nil
}

// enabledRegions lists the regions enabled for the account (DescribeRegions without
// AllRegions returns only enabled ones).
func (c *Collector) enabledRegions(ctx context.Context, cfg aws.Config) ([]string, error) {
	client := ec2.NewFromConfig(cfg, func(o *ec2.Options) {
		o.APIOptions = append(o.APIOptions[:len(o.APIOptions):len(o.APIOptions)], c.bound("ec2"))
	})
	out, err := client.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
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
