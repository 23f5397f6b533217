package collect

import (
	"context"
	"sync"
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
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

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
	cfg = cfg.Copy()
	cfg.Region = region
	return &regionClients{
		region:      region,
		accountID:   accountID,
		cloudtrail:  cloudtrail.NewFromConfig(cfg),
		eventbridge: eventbridge.NewFromConfig(cfg),
		logs:        cloudwatchlogs.NewFromConfig(cfg),
		cloudwatch:  awsclient.CloudWatch(cfg),
		sns:         sns.NewFromConfig(cfg),
		lambda:      lambda.NewFromConfig(cfg),
		ec2:         ec2.NewFromConfig(cfg),
		ssm:         ssm.NewFromConfig(cfg),
		sqs:         sqs.NewFromConfig(cfg),
		kms:         kms.NewFromConfig(cfg),
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
// task, so one slow or throttled service does not hold up the others.
type regionCollector struct {
	service string
	run     func(ctx context.Context, c *regionClients, r *snapshot.Region)
}

// regionCollectors is what is read in every region, one entry per service.
var regionCollectors = []regionCollector{
	{"cloudtrail", collectTrailView},
	{"eventbridge", collectEventBridge},
	{"logs", collectLogs},
	{"cloudwatch", collectCloudWatch},
	{"sns", collectSNS},
	{"lambda", collectLambda},
	{"ec2", collectEC2},
	{"ssm", collectSSM},
}

// regionFollowUps run after every regionCollector of the region has finished, for reads that
// depend on what those found (e.g. the log streams of the log groups an agent configuration
// names). They run one after another and may read and write any section.
var regionFollowUps = []regionCollector{
	{"ssh-log-streams", collectSSHLogStreams},
	{"delivery", collectDelivery},
}

// accountCollector holds the per-account state: the region clients, built once each, and the
// IAM client (IAM is global: one per account).
type accountCollector struct {
	c         *Collector
	cfg       aws.Config
	accountID string
	now       time.Time
	mu        sync.Mutex
	clients   map[string]*regionClients
	iam       *iam.Client
}

func newAccountCollector(c *Collector, cfg aws.Config, accountID string) *accountCollector {
	return &accountCollector{c: c, cfg: cfg, accountID: accountID, now: c.opts.Now, clients: map[string]*regionClients{}}
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
		rc = newRegionClients(a.cfg, a.accountID, region)
		rc.now = a.now
		a.clients[region] = rc
	}
	return rc
}

// region reads every service of one region concurrently.
func (a *accountCollector) region(ctx context.Context, name string) snapshot.Region {
	r := snapshot.Region{Name: name}
	rc := a.clientsFor(name)
	// Each collector writes only its own section of r, so they may run at once.
	var wg sync.WaitGroup
	for _, col := range regionCollectors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.c.doAs(ctx, col.service, func() { col.run(ctx, rc, &r) })
		}()
	}
	wg.Wait()
	for _, col := range regionFollowUps {
		a.c.doAs(ctx, col.service, func() { col.run(ctx, rc, &r) })
	}
	return r
}
