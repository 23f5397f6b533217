package collect

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
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
	}
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
}

// accountCollector holds the per-account state: the region clients, built once each.
type accountCollector struct {
	c         *Collector
	cfg       aws.Config
	accountID string
	mu        sync.Mutex
	clients   map[string]*regionClients
}

func newAccountCollector(c *Collector, cfg aws.Config, accountID string) *accountCollector {
	return &accountCollector{c: c, cfg: cfg, accountID: accountID, clients: map[string]*regionClients{}}
}

func (a *accountCollector) clientsFor(region string) *regionClients {
	a.mu.Lock()
	defer a.mu.Unlock()
	rc, ok := a.clients[region]
	if !ok {
		rc = newRegionClients(a.cfg, a.accountID, region)
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
