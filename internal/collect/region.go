package collect

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroups"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go/middleware"

	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// regionClients are the service clients of one (account, region), built once.
type regionClients struct {
	region      string
	accountID   string
	cloudtrail  *cloudtrail.Client
	eventbridge *eventbridge.Client
	logs        *cloudwatchlogs.Client
	cloudwatch  *cloudwatch.Client
	sns         *sns.Client
	lambda      *lambda.Client
	ec2         *ec2.Client
	ssm         *ssm.Client
	groups      *resourcegroups.Client
	sqs         *sqs.Client
	kms         *kms.Client

	// now is when the scan started (Options.Now): windows into the past, such as the alarm
	// history read, are measured from it. Zero means time.Now.
	now time.Time

	// trailList keeps DescribeTrails' answer for the account-wide trail pass, so that the
	// trail details are not asked for again.
	trailList []cttypes.Trail
}

func newRegionClients(cfg aws.Config, accountID, region string) *regionClients {
	return newBoundRegionClients(nil, cfg, accountID, region)
}

// newBoundRegionClients builds the clients of one (account, region); with c set, every call
// they make runs under c's bounds (Collector.bound).
func newBoundRegionClients(c *Collector, cfg aws.Config, accountID, region string) *regionClients {
	cfg = cfg.Copy()
	cfg.Region = region
	api := func(opts []func(*middleware.Stack) error, service string) []func(*middleware.Stack) error {
		if c == nil {
			return opts
		}
		return append(opts[:len(opts):len(opts)], c.bound(service))
	}
	return &regionClients{
		region:      region,
		accountID:   accountID,
		cloudtrail:  cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.APIOptions = api(o.APIOptions, "cloudtrail") }),
		eventbridge: eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.APIOptions = api(o.APIOptions, "eventbridge") }),
		logs:        cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.APIOptions = api(o.APIOptions, "logs") }),
		cloudwatch:  awsclient.CloudWatch(cfg, func(o *cloudwatch.Options) { o.APIOptions = api(o.APIOptions, "cloudwatch") }),
		sns:         sns.NewFromConfig(cfg, func(o *sns.Options) { o.APIOptions = api(o.APIOptions, "sns") }),
		lambda:      lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.APIOptions = api(o.APIOptions, "lambda") }),
		ec2:         ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.APIOptions = api(o.APIOptions, "ec2") }),
		ssm:         ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.APIOptions = api(o.APIOptions, "ssm") }),
		groups:      resourcegroups.NewFromConfig(cfg, func(o *resourcegroups.Options) { o.APIOptions = api(o.APIOptions, "resource-groups") }),
		sqs:         sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.APIOptions = api(o.APIOptions, "sqs") }),
		kms:         kms.NewFromConfig(cfg, func(o *kms.Options) { o.APIOptions = api(o.APIOptions, "kms") }),
	}
}

// scanTime is when the scan started, for windows into the past.
func (c *regionClients) scanTime() time.Time {
	if c.now.IsZero() {
		return time.Now()
	}
	return c.now
}

// regionCollector reads one service of a region into its section of r. Each runs as its own
// task, so one slow or throttled service does not hold up the others; the calls it makes are
// bounded one by one (Collector.bound), not the task, so a task that runs independent reads
// at once takes a slot for each.
type regionCollector struct {
	service string
	run     func(ctx context.Context, c *regionClients, r *snapshot.Region)
}

// followUp is a read that depends on what collectors found in a region. It starts as soon as
// the collectors (or follow-ups) it names in after are done in that region, not when the
// whole region is.
type followUp struct {
	name  string
	after []string
	run   func(a *accountCollector, ctx context.Context, rc *regionClients, r *snapshot.Region)
}

// regionCollectors is what is read in every region, one entry per service.
var regionCollectors = []regionCollector{
	{service: "cloudtrail", run: collectTrailView},
	{service: "eventbridge", run: collectEventBridge},
	{service: "logs", run: collectLogs},
	{service: "cloudwatch", run: collectCloudWatch},
	// The topics' subscriptions and attributes are the sns-topics follow-up: what needs only
	// the topics' names (activity) need not wait for them.
	{service: "sns", run: listTopics},
	{service: "lambda", run: collectLambda},
	{service: "ec2", run: collectEC2},
	{service: "ssm", run: collectSSM},
}

// followUps are reads that depend on what collectors found (e.g. the log streams of the log
// groups an agent configuration names). Follow-ups run at once with each other and with the
// other collectors, so each writes only sections no other task of the region writes
// meanwhile: ssh-log-streams the managed instances' tags (SSM) and the streams of log groups
// (Logs), sns-topics each listed topic's subscriptions and attributes (not the list, whose
// ARNs activity reads meanwhile), delivery the functions' policies, state and concurrency (Lambda; not their ARN or
// role, which the roles follow-up reads), SQS, KMS and the runbooks; activity the metrics AWS
// recorded of the deliveries of the rules, their functions and the topics. The others write nothing in
// the region: they start the account-wide reads its answers call for (the details of the
// trails it lists, the roles its rule targets name, the instance profiles of its instances),
// which run in the account's context, so that a slow call of another service, or of another
// region, holds up none of them (accountCollector.trails, roles, instanceProfiles).
var followUps = []followUp{
	{name: "ssh-log-streams", run: (*accountCollector).sshLogStreams, after: []string{"ssm", "ec2", "logs"}},
	{name: "sns-topics", run: func(_ *accountCollector, ctx context.Context, rc *regionClients, r *snapshot.Region) {
		topicDetails(ctx, rc, r)
	}, after: []string{"sns"}},
	{name: "delivery", run: (*accountCollector).delivery, after: []string{"eventbridge", "sns-topics", "lambda"}},
	{name: "activity", run: func(_ *accountCollector, ctx context.Context, rc *regionClients, r *snapshot.Region) {
		collectActivity(ctx, rc, r)
	}, after: []string{"eventbridge", "sns"}},
	{name: "trail-details", run: (*accountCollector).startTrailDetails, after: []string{"cloudtrail"}},
	{name: "roles", run: iamFollowUp(roleTargets, func(a *accountCollector, region, name string) { a.role(region, name) }), after: []string{"eventbridge", "lambda"}},
	{name: "instance-profiles", run: iamFollowUp(profileTargets, func(a *accountCollector, region, name string) { a.instanceProfile(region, name) }), after: []string{"ec2", "ssm"}},
}

// accountCollector holds the per-account state: the region clients, built once each, the
// IAM client (IAM is global: one per account), and the account-wide reads, started from each
// region's answers as they come.
type accountCollector struct {
	c         *Collector
	cfg       aws.Config
	accountID string
	now       time.Time
	mu        sync.Mutex
	clients   map[string]*regionClients
	iam       *iam.Client

	// known is closed once accountID is set (sts:GetCallerIdentity answered, or the target
	// named the account): delivery reads wait for it, as they compare owners with it, and so
	// do the role and instance profile reads, which are of this account only.
	known chan struct{}
	// The account-wide reads, each item read once, started by the first region that names
	// it: each trail's status and selectors (by ARN), the roles rule targets name, the
	// instance profiles and the attached policies of their roles (by name).
	trailReads   once[trailDetail]
	roleReads    once[roleRead]
	profileReads once[profileRead]
	policyReads  once[policiesRead]
	// wg counts the account-wide reads started, so that none outlives the account; ctx is
	// the account's context, which they run in (a region's may end sooner).
	wg  sync.WaitGroup
	ctx context.Context
}

func newAccountCollector(c *Collector, cfg aws.Config, accountID string) *accountCollector {
	a := &accountCollector{c: c, cfg: cfg, accountID: accountID, now: c.opts.Now, clients: map[string]*regionClients{},
		known: make(chan struct{}), ctx: context.Background()}
	if accountID != "" {
		close(a.known)
	}
	return a
}

// setAccountID records the account id learnt from STS.
func (a *accountCollector) setAccountID(id string) {
	a.mu.Lock()
	a.accountID = id
	a.mu.Unlock()
	close(a.known)
}

// id waits for the account id; false if ctx ended first.
func (a *accountCollector) id(ctx context.Context) (string, bool) {
	select {
	case <-a.known:
	case <-ctx.Done():
		select {
		case <-a.known:
		default:
			return "", false
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.accountID, true
}

// iamClient returns the account's IAM client. IAM is a global service with one endpoint per
// partition; the SDK resolves it from any region of the partition, so the client is built
// for a region the scan reads (which is in the account's partition, unlike a fixed us-east-1
// for an aws-cn or aws-us-gov account).
func (a *accountCollector) iamClient(region string) *iam.Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.iam == nil {
		cfg := a.cfg.Copy()
		cfg.Region = region
		a.iam = iam.NewFromConfig(cfg)
	}
	return a.iam
}

func (a *accountCollector) clientsFor(region string) *regionClients {
	a.mu.Lock()
	defer a.mu.Unlock()
	rc, ok := a.clients[region]
	if !ok {
		rc = newBoundRegionClients(a.c, a.cfg, a.accountID, region)
		rc.now = a.now
		a.clients[region] = rc
	}
	return rc
}

// region reads every service of one region concurrently; each follow-up starts when the
// collectors it reads are done.
func (a *accountCollector) region(ctx context.Context, name string) snapshot.Region {
	r := snapshot.Region{Name: name}
	rc := a.clientsFor(name)
	done := make(map[string]chan struct{}, len(regionCollectors)+len(followUps))
	for _, col := range regionCollectors {
		done[col.service] = make(chan struct{})
	}
	for _, f := range followUps {
		done[f.name] = make(chan struct{})
	}
	// Each collector writes only its own section of r, so they may run at once.
	var wg sync.WaitGroup
	for _, col := range regionCollectors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			col.run(ctx, rc, &r)
			close(done[col.service])
		}()
	}
	for _, f := range followUps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, dep := range f.after {
				<-done[dep]
			}
			f.run(a, ctx, rc, &r)
			close(done[f.name])
		}()
	}
	wg.Wait()
	return r
}

func (a *accountCollector) sshLogStreams(ctx context.Context, rc *regionClients, r *snapshot.Region) {
	collectSSHLogStreams(ctx, rc, r)
}

// delivery compares owners with the account id, which STS may still be reading: it waits for
// it (or for the end of the scan).
func (a *accountCollector) delivery(ctx context.Context, rc *regionClients, r *snapshot.Region) {
	id, ok := a.id(ctx)
	if !ok {
		return
	}
	rc.accountID = id
	collectDelivery(ctx, rc, r)
}

// fanOutLimit is how many independent reads of one service a collector makes at once in one
// region (a topic's subscriptions and attributes, every rule's targets): AWS throttles per
// account, region and API, and a handful in flight keeps a long list to a few round trips
// without bursting far past the rates of the slower APIs (ListTargetsByRule allows 50 a
// second); adaptive retry paces what is throttled all the same.
const fanOutLimit = 4

// fanOut runs f(0), …, f(n-1), at most fanOutLimit at once, and returns when all are done.
// Each call must write only what belongs to its own index. The calling goroutine takes part,
// and each goroutine started runs items until none is left: a call made in a goroutine whose
// stack has already grown to the SDK's depth costs less than one in a new goroutine.
func fanOut(n int, f func(i int)) {
	var next atomic.Int64
	work := func() {
		for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
			f(i)
		}
	}
	var wg sync.WaitGroup
	for range min(n, fanOutLimit) - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}
